"""Dataset routing: NASLib-style dataset names onto our benchmarks, opened once per process.

Besides the shipped names, every store built with `eo-naslib build store` is a dataset under its
own name (overall accuracies), added to `DATASETS` when `is_dataset` first finds it in a data dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from ..errors import ConfigError
from ..paths import data_dir as default_data_dir
from ..space import CellTable, all_cells
from . import load_benchmark
from .base import Benchmark
from .store import installed


@dataclass(frozen=True)
class DatasetSpec:
    """How a dataset name maps onto one of our benchmarks."""

    benchmark: str  # name for `load_benchmark`
    macro: bool  # accuracies are class-averaged (macro)
    description: str

    @property
    def accuracy(self) -> str:
        """The validation-accuracy metric this dataset ranks by."""
        return "val_accuracy_macro" if self.macro else "val_accuracy"


DATASETS: dict[str, DatasetSpec] = {
    "cifar10": DatasetSpec("cifar10", False, "NAS-Bench-101 on CIFAR-10"),
    "so2sat_lcz42_micro": DatasetSpec("so2sat", False, "So2Sat LCZ42 (Sentinel-2), overall accuracy"),
    "so2sat_lcz42_macro": DatasetSpec("so2sat", True, "So2Sat LCZ42 (Sentinel-2), class-averaged accuracy"),
}


def is_dataset(dataset: object, data_dir: str | os.PathLike | None = None) -> bool:
    """True for a shipped dataset name or a store built into `data_dir` (default: the data dir),
    which is then added to `DATASETS` under its own name."""
    if not isinstance(dataset, str):
        return False
    if dataset not in DATASETS and dataset in installed(default_data_dir(data_dir)):
        DATASETS[dataset] = DatasetSpec(dataset, False, f"benchmark {dataset!r} built with eo-naslib build")
    return dataset in DATASETS


def dataset_spec(dataset: str) -> DatasetSpec:
    """The spec of a dataset name; `ConfigError` listing the names otherwise."""
    try:
        return DATASETS[dataset]
    except (KeyError, TypeError):
        raise ConfigError(f"dataset {dataset!r} is unknown; allowed: {sorted(DATASETS)}") from None


@lru_cache(maxsize=8)
def _open(benchmark: str, data_dir: str | None, surrogate: bool = True) -> Benchmark:
    return load_benchmark(benchmark, data_dir, surrogate=surrogate)


def open_dataset(
    dataset: str, data_dir: str | os.PathLike | None = None, surrogate: bool = True, join: str | None = None
) -> tuple[Benchmark, CellTable]:
    """The benchmark behind a dataset name (opened once per process, data dir and mode) and the
    space; tabular-only (measured values only) with `surrogate=False`. `join` (e.g.
    `"my-rpi4[latency_ms]"`) joins another benchmark's metrics onto it (`join_benchmarks`)."""
    spec = dataset_spec(dataset)
    if join is not None and (not isinstance(join, str) or not join.strip() or "+" in join):
        raise ConfigError(f"join {join!r} must name one benchmark (and its metrics), e.g. 'my-rpi4[latency_ms]'")
    name = spec.benchmark if join is None else f"{spec.benchmark}+{join.strip()}"
    return _open(name, None if data_dir is None else str(data_dir), surrogate), all_cells()


def open_benchmark(name: str, data_dir: str | os.PathLike | None = None) -> Benchmark:
    """A benchmark by name (`so2sat`, `cifar10`), opened once per process and data dir."""
    return _open(name, None if data_dir is None else str(data_dir))
