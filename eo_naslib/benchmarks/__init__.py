"""Benchmarks: So2Sat LCZ42 (EO HW-NAS) and NB101 CIFAR-10 behind one query API."""

from __future__ import annotations

import os

from ..errors import DataFileError
from ..paths import data_dir as default_data_dir
from .base import Benchmark
from .metrics import METRICS, MetricInfo, metric_info
from .store import BenchmarkStore
from .stored import StoredBenchmark

#: benchmark name -> what `eo-naslib data import` needs to install it
BENCHMARKS = {
    "so2sat": "the EO HW-NAS folder (e.g. ../shared/data/eo_hwnas_so2sat)",
    "cifar10": "the NB101 subset folder, NASLib's nasbench_only108.pkl or an official nasbench .tfrecord",
}


def load_benchmark(
    name: str, data_dir: str | os.PathLike | None = None, surrogate: bool = True
) -> StoredBenchmark:
    """Open an installed benchmark (`"so2sat"` or `"cifar10"`); tabular-only with `surrogate=False`."""
    if name not in BENCHMARKS:
        raise DataFileError(f"unknown benchmark {name!r}; choose one of {sorted(BENCHMARKS)}")
    directory = default_data_dir(data_dir)
    store = BenchmarkStore.load(directory, name)
    return StoredBenchmark(store, surrogate=surrogate)


__all__ = [
    "BENCHMARKS",
    "METRICS",
    "Benchmark",
    "BenchmarkStore",
    "MetricInfo",
    "StoredBenchmark",
    "load_benchmark",
    "metric_info",
]
