"""Benchmark multi-objective search: non-dominated front, hypervolume, one PLS run, data-centric init.

Prints a JSON object on its last line (seconds, with the issue's limits and whether each is met).
The landscape is an array-backed stand-in over all 423,624 cells (op counts, edges, seeded noise),
so the script needs the enumerated space only, not installed benchmark data.
"""

from __future__ import annotations

import json
import time

import numpy as np

from eo_naslib.search import Evaluator, ParetoLocalSearch
from eo_naslib.search.init import predicted_front
from eo_naslib.search.pareto import hypervolume, non_dominated
from eo_naslib.space import CellTable, all_cells

LIMITS_S = {"non_dominated_423624": 0.5, "hypervolume_10000": 0.05, "pls_2500": 2.0, "surrogate_front_init": 10.0}


class ArrayLandscape:
    """Benchmark-protocol stand-in: two metrics as arrays over every row, every cell 'measured'."""

    name = "array_landscape"

    def __init__(self, space: CellTable, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        conv3 = (space.labels == 0).sum(axis=1)
        edges = space.matrices.reshape(len(space), -1).sum(axis=1)
        self.space = space
        self._values = {
            "val_accuracy": np.clip(0.6 + 0.05 * conv3 + 0.01 * edges + rng.normal(0, 0.02, len(space)), 0, 1),
            "train_time_s": 100.0 + 50.0 * conv3 + 10.0 * edges + rng.uniform(0, 5, len(space)),
        }

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        return self._values[metric][np.asarray(rows)]

    def measured_hashes(self) -> np.ndarray:
        return self.space.hashes


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    space = all_cells()
    space.neighbour_table("edit")  # load the cached table once (not part of a search's cost)
    rng = np.random.default_rng(0)
    results: dict[str, float] = {}

    points = rng.random((len(space), 2))
    results["non_dominated_423624"], _ = timed(lambda: non_dominated(points))

    x = np.sort(rng.random(10_000))
    front = np.stack([x, 1.0 - np.sqrt(x)], axis=1)
    results["hypervolume_10000"], _ = timed(lambda: hypervolume(front, [1.1, 1.1]))

    landscape = ArrayLandscape(space)
    evaluator = Evaluator(landscape, ["val_accuracy", "train_time_s:min"], budget=2500, space=space)
    pls = ParetoLocalSearch(evaluator, seed=0)
    results["pls_2500"], _ = timed(pls.run)
    assert evaluator.n_evaluations == 2500

    objectives = ["val_accuracy", "train_time_s:min"]
    results["surrogate_front_init"], predicted = timed(
        lambda: predicted_front(landscape, objectives, space, 2000, np.random.default_rng(0))
    )
    summary = {
        **{k: round(v, 4) for k, v in results.items()},
        "limits_s": LIMITS_S,
        "within_limits": {k: results[k] <= LIMITS_S[k] for k in LIMITS_S},
        "pls_front_size": len(pls.archive_rows),
        "predicted_front_size": len(predicted.front_rows),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
