"""Benchmark the population methods: clustering initialisation of 10,000 samples, one 2,000-
evaluation GA / EA / AE run, one 2,500-evaluation NSGA-II run.

Prints a JSON object on its last line (seconds, with the issue's limits and whether each is met,
plus the clustering's chosen size, scores and non-empty clusters). The landscape is an array-backed
stand-in over all 423,624 cells (op counts, edges, seeded noise, four fidelities), so the script
needs the enumerated space only, not installed benchmark data.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from eo_naslib.search import OPTIMIZERS, Evaluator
from eo_naslib.search.init import ClusterInit
from eo_naslib.space import CellTable, all_cells

LIMITS_S = {"clusters_init_10000": 30.0, "ga_2000": 2.0, "ea_2000": 2.0, "ae_2000": 2.0, "nsga2_2500": 5.0}


class ArrayLandscape:
    """Benchmark-protocol stand-in: accuracy at 4 fidelities and a cost, arrays over every row."""

    name = "array_landscape"
    fidelities = (4, 12, 36, 108)
    default_epoch = 108

    def __init__(self, space: CellTable, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        conv3 = (space.labels == 0).sum(axis=1)
        edges = space.matrices.reshape(len(space), -1).sum(axis=1)
        noise = rng.normal(0, 0.02, len(space))
        self.space = space
        self._accuracy = {
            e: np.clip(0.5 + (0.05 * conv3 + 0.01 * edges) * (e / 108) ** 0.3 + noise, 0, 1)
            for e in self.fidelities
        }
        self._cost = 100.0 + 50.0 * conv3 + 10.0 * edges + rng.uniform(0, 5, len(space))

    def values(self, metric: str, epoch: int | None = None) -> np.ndarray:
        return self._accuracy[epoch or 108] if metric == "val_accuracy" else self._cost

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        return self.values(metric, epoch)[np.asarray(rows)]

    def measured_hashes(self) -> np.ndarray:
        return self.space.hashes


CPU_SECONDS: dict[str, float] = {}


def timed(fn, key: str) -> tuple[float, object]:
    """Wall seconds of `fn()` (CPU seconds of this process kept in CPU_SECONDS[key]: on a shared,
    oversubscribed machine they show what the code costs without the wait for a core)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    CPU_SECONDS[key] = time.process_time() - cpu
    return time.perf_counter() - start, result


def main() -> None:
    space = all_cells()
    landscape = ArrayLandscape(space)
    results: dict[str, float] = {}

    init = ClusterInit(sizes=(10000, 5000, 2500, 1000, 500, 100), source=landscape)
    evaluator = Evaluator(landscape, ["val_accuracy"], space=space)
    results["clusters_init_10000"], rows = timed(
        lambda: init(evaluator, 19, np.random.default_rng(0)), "clusters_init_10000"
    )
    clustering = init.last.to_dict()

    for name in ("ga", "ea", "ae"):
        evaluator = Evaluator(landscape, ["val_accuracy"], budget=2000, space=space)
        optimizer = OPTIMIZERS[name](evaluator, seed=0)
        results[f"{name}_2000"], _ = timed(optimizer.run, f"{name}_2000")
    evaluator = Evaluator(landscape, ["val_accuracy", "train_time_s:min"], budget=2500, space=space)
    results["nsga2_2500"], _ = timed(OPTIMIZERS["nsga2"](evaluator, seed=0).run, "nsga2_2500")

    for key, seconds in results.items():
        print(f"{key:>22}: {seconds:8.3f} s wall, {CPU_SECONDS[key]:8.3f} s CPU (limit {LIMITS_S[key]} s)")
    print(
        json.dumps(
            {
                "seconds": {k: round(v, 4) for k, v in results.items()},
                "cpu_seconds": {k: round(v, 4) for k, v in CPU_SECONDS.items()},
                "limits_s": LIMITS_S,
                "met": {k: results[k] <= LIMITS_S[k] for k in results},
                "clustering": {"start_cells": len(rows), **clustering},
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
