"""`get_dataset_api(search_space, dataset)`: NASLib's entry point, backed by a registry plugins extend."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

SEARCH_SPACE_ALIASES = {"nasbench101": "nasbench101", "eo_nasbench101": "nasbench101"}


@dataclass(frozen=True)
class DatasetSpec:
    """How a NASLib dataset name maps onto one of our benchmarks."""

    benchmark: str  # name for `load_benchmark`
    macro: bool  # accuracies are class-averaged (macro)
    description: str


DATASETS: dict[str, DatasetSpec] = {
    "cifar10": DatasetSpec("cifar10", False, "NAS-Bench-101 on CIFAR-10"),
    "so2sat_lcz42_micro": DatasetSpec("so2sat", False, "So2Sat LCZ42 (Sentinel-2), overall accuracy"),
    "so2sat_lcz42_macro": DatasetSpec("so2sat", True, "So2Sat LCZ42 (Sentinel-2), class-averaged accuracy"),
}

DatasetApiFactory = Callable[[str, str | None], dict[str, Any]]
_REGISTRY: dict[tuple[str, str], DatasetApiFactory] = {}


def register_dataset_api(search_space: str, dataset: str, factory: DatasetApiFactory) -> None:
    """Register `factory(dataset, data_dir) -> dataset_api` for a (search space, dataset) pair."""
    _REGISTRY[(search_space, dataset)] = factory


def canonical_search_space(name: str) -> str:
    try:
        return SEARCH_SPACE_ALIASES[name]
    except KeyError:
        raise ConfigError(f"search_space {name!r} is unknown; allowed: {sorted(SEARCH_SPACE_ALIASES)}") from None


def _nb101_api(dataset: str, data_dir: str | None) -> dict[str, Any]:
    from ..benchmarks import load_benchmark
    from ..space import all_cells

    spec = DATASETS[dataset]
    return {
        "benchmark": load_benchmark(spec.benchmark, data_dir=data_dir),
        "space": all_cells(),
        "dataset": dataset,
        "macro": spec.macro,
    }


for _dataset in DATASETS:
    register_dataset_api("nasbench101", _dataset, _nb101_api)


def get_dataset_api(
    search_space: str | None = None, dataset: str | None = None, data_dir: str | os.PathLike | None = None
) -> dict[str, Any]:
    """The dataset API for a search space and dataset: `{"benchmark", "space", "dataset", "macro"}`."""
    space = canonical_search_space(search_space or "nasbench101")
    dataset = dataset or "cifar10"
    factory = _REGISTRY.get((space, dataset))
    if factory is None:
        known = sorted(d for s, d in _REGISTRY if s == space)
        raise ConfigError(f"dataset {dataset!r} is not available for search_space {space!r}; allowed: {known}")
    return factory(dataset, None if data_dir is None else str(data_dir))
