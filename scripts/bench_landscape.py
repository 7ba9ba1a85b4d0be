"""Time the landscape hot paths on a full-space landscape; the last line printed is a JSON object.

Targets (issue 6): exact local-optimum count over all 423,624 cells <= 60 s; 30 walks of 100
steps <= 1 s; BILS with T=9, M=200 <= 60 s. The landscape is synthetic (eo_naslib.testing)
unless --benchmark names an installed one (surrogate-completed, so every cell has a value).
"""

from __future__ import annotations

import argparse
import json
import time

from eo_naslib.benchmarks import load_benchmark
from eo_naslib.landscape import from_benchmark, optima, walks
from eo_naslib.space import all_cells
from eo_naslib.testing import SyntheticBenchmark

TARGETS_S = {"exact_local_optima": 60.0, "walks_30x100": 1.0, "bils_T9_M200": 60.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--benchmark", help="installed benchmark (default: the synthetic one)")
    parser.add_argument("--metric", default="val_accuracy")
    parser.add_argument("--data-dir")
    parser.add_argument("--neighbourhood", default="edit", choices=("edit", "hamming"))
    args = parser.parse_args()

    start = time.perf_counter()
    space = all_cells()
    if args.benchmark:
        benchmark = load_benchmark(args.benchmark, args.data_dir, surrogate=True)
    else:
        benchmark = SyntheticBenchmark(space, seed=0)
    land = from_benchmark(benchmark, args.metric, neighbourhood=args.neighbourhood, space=space)
    setup = time.perf_counter() - start

    timings, results = {}, {}
    start = time.perf_counter()
    results["exact_local_optima"] = optima.exact_local_optima(land)["count"]
    timings["exact_local_optima"] = time.perf_counter() - start
    start = time.perf_counter()
    paths = walks.random_walks(land, 30, 100, seed=0)
    results["tau"] = walks.ruggedness(walks.walk_fitness(land, paths))["tau"]
    timings["walks_30x100"] = time.perf_counter() - start
    start = time.perf_counter()
    birthday = optima.birthday_local_optima(land, trials=9, runs=200, seed=0)
    results["birthday_estimate"] = birthday["estimate"]
    timings["bils_T9_M200"] = time.perf_counter() - start

    print(
        json.dumps(
            {
                "benchmark": benchmark.name,
                "metric": args.metric,
                "neighbourhood": args.neighbourhood,
                "cells": len(land),
                "setup_s": round(setup, 3),
                "seconds": {k: round(v, 4) for k, v in timings.items()},
                "targets_s": TARGETS_S,
                "within_targets": all(timings[k] <= t for k, t in TARGETS_S.items()),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
