"""Query speed of both benchmarks next to a plain dict lookup measured in the same run.

Usage: python scripts/bench_query.py [--data-dir DIR] [--first-build]
(benchmarks not installed yet are built from benchmarks_data/ on first use). The last line is a
JSON object. Targets: by hash <= 2 us, by cell (hashing included) <= 25 us, query_many >= 5
million values/s (with_std=True, values and standard deviations: within 2x of its time), surrogate prediction of all 423,624 cells <= 3 s, and with `--first-build` the
build of both benchmarks from benchmarks_data/ into an empty data dir <= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable

import numpy as np

from eo_naslib.benchmarks import load_benchmark
from eo_naslib.benchmarks.install import build_bundled
from eo_naslib.benchmarks.surrogate import cell_features, fit_regressor
from eo_naslib.space import Cell


def per_call_us(action: Callable[[object], object], items: list, repeats: int = 5) -> float:
    """Best-of-`repeats` mean microseconds of `action(item)` over `items`."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            action(item)
        best = min(best, (time.perf_counter() - start) / len(items))
    return best * 1e6


def bench(name: str, data_dir: str | None, n: int = 20_000) -> dict[str, float]:
    benchmark = load_benchmark(name, data_dir)
    space = benchmark.space
    rows = np.random.default_rng(0).choice(len(space), n, replace=False)
    hashes = space.hashes[rows].tolist()
    metric = "val_accuracy"
    plain = dict(zip(hashes, benchmark.values(metric)[rows].tolist()))
    benchmark.query(hashes[0], metric)  # resolve the column once
    specs = [space.cell(r).to_spec() for r in rows[:2_000]]
    fresh_cells = [Cell(s["matrix"], s["ops"]) for s in specs]  # not yet hashed

    metrics = list(benchmark.metrics)
    benchmark.query_many(hashes[:1], metrics)  # resolve every column once
    benchmark.query_many(hashes[:1], metrics, with_std=True)  # resolve every std column once
    many_seconds = with_std_seconds = float("inf")
    for _ in range(3):  # best of 3, alternating, so both see the same machine load
        start = time.perf_counter()
        many = benchmark.query_many(hashes, metrics)
        many_seconds = min(many_seconds, time.perf_counter() - start)
        start = time.perf_counter()
        values, std = benchmark.query_many(hashes, metrics, with_std=True)
        with_std_seconds = min(with_std_seconds, time.perf_counter() - start)
    assert np.array_equal(values, many)
    return {
        "plain_dict_lookup_us": per_call_us(plain.__getitem__, hashes),
        "query_by_hash_us": per_call_us(lambda h: benchmark.query(h, metric), hashes),
        "query_by_cell_us": per_call_us(lambda c: benchmark.query(c, metric), fresh_cells, repeats=1),
        "query_many_values_per_s": many.size / many_seconds,
        "query_many_with_std_values_per_s": many.size / with_std_seconds,
        "with_std_time_ratio": with_std_seconds / many_seconds,
    }


def surrogate_predict_seconds(data_dir: str | None) -> dict[str, float]:
    """One fitted surrogate's prediction of every cell: features (once per process) and predict."""
    benchmark = load_benchmark("so2sat", data_dir)
    space = benchmark.space
    measured = space.indices(benchmark.measured_hashes())
    model = fit_regressor(cell_features(space, measured), benchmark.query_rows(measured, "val_accuracy"))
    start = time.perf_counter()
    features = cell_features(space)
    encoded = time.perf_counter()
    predictions = model.predict(features)
    done = time.perf_counter()
    assert predictions.shape == (len(space),)
    return {"surrogate_features_all_cells_s": encoded - start, "surrogate_predict_all_cells_s": done - encoded}


def first_build_seconds() -> dict[str, float]:
    """Wall and CPU seconds of building both benchmarks from benchmarks_data/ into an empty data dir."""
    with tempfile.TemporaryDirectory(prefix="eo_naslib_first_build_") as directory:
        figures = {}
        for name in ("so2sat", "cifar10"):
            wall, cpu = time.perf_counter(), time.process_time()
            build_bundled(name, directory, progress=False)
            figures[f"first_build_{name}_s"] = time.perf_counter() - wall
            figures[f"first_build_{name}_cpu_s"] = time.process_time() - cpu
        figures["first_build_total_s"] = figures["first_build_so2sat_s"] + figures["first_build_cifar10_s"]
        figures["load_average_1min"] = os.getloadavg()[0]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="benchmark data dir (default: $EO_NASLIB_DATA or the user data dir)")
    parser.add_argument("--first-build", action="store_true", help="also time the first build of both benchmarks")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    if args.first_build:
        for key, value in first_build_seconds().items():
            figures[key] = round(value, 2)
            print(f"{key:37s} {value:14,.2f}")
    for name in ("so2sat", "cifar10"):
        for key, value in bench(name, args.data_dir).items():
            figures[f"{name}_{key}"] = round(value, 3)
            print(f"{name:8s} {key:28s} {value:14,.3f}")
    for key, value in surrogate_predict_seconds(args.data_dir).items():
        figures[key] = round(value, 3)
        print(f"{key:37s} {value:14,.3f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
