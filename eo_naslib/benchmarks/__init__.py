"""Benchmarks: So2Sat LCZ42 (EO HW-NAS) and NB101 CIFAR-10 behind one query API."""

from __future__ import annotations

import os

from ..errors import DataFileError
from ..lazy import lazy_module
from ..paths import data_dir as default_data_dir
from .base import Benchmark
from .joined import JoinedBenchmark, join_benchmarks, parse_join
from .metrics import METRICS, MetricInfo, metric_info
from .results import CellMetrics, Estimate
from .store import BenchmarkStore, installed, is_stale, store_path
from .stored import StoredBenchmark

#: building a bundled store needs the importers and the surrogate stack (xgboost, scikit-learn):
#: loaded only when a store is missing
installer = lazy_module("eo_naslib.benchmarks.install")

#: benchmark name -> what `eo-naslib data import` needs to install it
BENCHMARKS = {
    "so2sat": "the EO HW-NAS folder (built from benchmarks_data/eo_hwnas_so2sat on first use)",
    "cifar10": "the NB101 subset folder (built from benchmarks_data/ on first use), NASLib's "
    "nasbench_only108.pkl or an official nasbench .tfrecord",
}


def load_benchmark(
    name: str, data_dir: str | os.PathLike | None = None, surrogate: bool = True, build: bool = True
) -> StoredBenchmark | JoinedBenchmark:
    """Open benchmark `"so2sat"`, `"cifar10"` or one built with `eo-naslib build store`;
    tabular-only with `surrogate=False`. `"so2sat+my-rpi4[latency_ms]"` joins two of them
    (`join_benchmarks`: latency_ms from my-rpi4, every other metric from so2sat).

    `so2sat` and `cifar10` not installed yet: built once from the bundled `benchmarks_data/` into
    the data dir (`$EO_NASLIB_DATA` or the user data dir), with a progress bar (and rebuilt, the
    old file kept as a backup, when it is of an older store format); `build=False` raises instead.
    """
    if isinstance(name, str) and "+" in name:
        first, second, metrics = parse_join(name)
        return join_benchmarks(
            load_benchmark(first, data_dir, surrogate, build), load_benchmark(second, data_dir, surrogate, build), metrics, name.strip()
        )
    directory = default_data_dir(data_dir)
    if not isinstance(name, str) or (name not in BENCHMARKS and name not in installed(directory)):
        choices = sorted({*BENCHMARKS, *installed(directory)})
        raise DataFileError(f"unknown benchmark {name!r}; choose one of {choices} (build others with `eo-naslib build store`)")
    path = store_path(directory, name)
    if build and name in BENCHMARKS and (not path.is_file() or is_stale(path)):
        installer.build_bundled(name, directory)
    store = BenchmarkStore.load(directory, name)
    return StoredBenchmark(store, surrogate=surrogate)


__all__ = [
    "BENCHMARKS",
    "METRICS",
    "Benchmark",
    "BenchmarkStore",
    "CellMetrics",
    "Estimate",
    "JoinedBenchmark",
    "MetricInfo",
    "StoredBenchmark",
    "join_benchmarks",
    "load_benchmark",
    "metric_info",
]
