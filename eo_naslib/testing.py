"""`SyntheticBenchmark`: a benchmark over the whole space for tests, scripts and users' own tests;
`TINY_TRAINING` / `TWO_STACK_TRAINING`: training settings that take seconds per cell on a CPU.

Values are smooth-ish functions of the cell (op counts, edges) plus seeded noise, so optimizers
have something to climb. Clearly synthetic: no number here is a real measurement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from eo_naslib.benchmarks.metrics import METRICS
from eo_naslib.benchmarks.results import CellMetrics
from eo_naslib.errors import UnknownMetricError
from eo_naslib.space import Cell, CellTable

#: a small network (stem 16, one stack of one cell), 2 epochs on all images: seconds per cell on a
#: CPU, for tests and demos (NOT the seeds' settings, which are `TrainConfig`'s defaults)
TINY_TRAINING: dict[str, Any] = {
    "epochs": 2,
    "batch_size": 64,
    "stem_channels": 16,
    "num_stacks": 1,
    "cells_per_stack": 1,
    "eval_every": 1,
    "subset_fraction": 1.0,
    "latency_repeats": 3,
    "latency_warmup": 1,
}
#: two stacks of one cell on an 8-channel stem, 4 epochs on CPU: the training tests' model and run
TWO_STACK_TRAINING: dict[str, Any] = {
    "epochs": 4,
    "batch_size": 32,
    "lr": 0.1,
    "bn_momentum": 0.1,
    "stem_channels": 8,
    "num_stacks": 2,
    "cells_per_stack": 1,
    "subset_fraction": 1.0,
    "latency_batch_size": 8,
    "latency_repeats": 3,
    "latency_warmup": 1,
    "device": "cpu",
}


class SyntheticBenchmark:
    name = "synthetic"
    fidelities = (108,)
    default_epoch = 108

    def __init__(self, space: CellTable, seed: int = 0, measured_share: float = 1.0) -> None:
        rng = np.random.default_rng(seed)
        labels = space.labels.astype(int)
        conv3 = (labels == 0).sum(axis=1)
        edges = space.matrices.reshape(len(space), -1).sum(axis=1)
        noise = rng.normal(0, 0.02, len(space))
        self.space = space
        self._values = {
            "val_accuracy": np.clip(0.6 + 0.05 * conv3 + 0.01 * edges + noise, 0, 1),
            "train_time_s": 100.0 + 50.0 * conv3 + 10.0 * edges + rng.uniform(0, 5, len(space)),
        }
        self.metrics = tuple(self._values)
        self._measured = rng.random(len(space)) < measured_share

    def _rows(self, cells: Iterable[Cell | str]) -> np.ndarray:
        return np.array([self.space.row_of(c) for c in cells], dtype=np.int64)

    def _check(self, metric: str, epoch: int | None) -> None:
        if metric not in self._values:
            raise UnknownMetricError(f"unknown metric {metric!r}; known: {list(self.metrics)}")
        if epoch not in (None, 108):
            raise UnknownMetricError(f"epoch {epoch} not offered; fidelities: [108]")

    def epochs_of(self, metric: str) -> tuple[int, ...]:
        self._check(metric, None)
        return self.fidelities

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        self._check(metric, epoch)
        return self._values[metric][np.asarray(rows)]

    def query(self, cell: Cell | str, metric: str, epoch: int | None = None) -> float:
        return float(self.query_rows(self._rows([cell]), metric, epoch)[0])

    def query_many(self, cells: Iterable[Cell | str], metrics: str | Sequence[str], epoch: int | None = None) -> np.ndarray:
        rows = self._rows(cells)
        if isinstance(metrics, str):
            return self.query_rows(rows, metrics, epoch)
        return np.stack([self.query_rows(rows, m, epoch) for m in metrics], axis=1)

    def values(self, metric: str, epoch: int | None = None) -> np.ndarray:
        self._check(metric, epoch)
        return self._values[metric]

    def query_all(self, cell: Cell | str, epoch: int | None = None) -> CellMetrics:
        self._check(self.metrics[0], epoch)
        row = self._rows([cell])[0]
        return CellMetrics(
            hash=str(self.space.hashes[row]),
            epoch=108,
            values={m: float(v[row]) for m, v in self._values.items()},
            measured={m: bool(self._measured[row]) for m in self.metrics},
            units={m: METRICS[m].unit for m in self.metrics},
        )

    def measured_hashes(self) -> np.ndarray:
        return self.space.hashes[self._measured]

    def measured_mask(self, metric: str, epoch: int | None = None) -> np.ndarray:
        """(n,) booleans over the space: True where `metric` counts as measured (vectorised flags)."""
        self._check(metric, epoch)
        return self._measured

    def is_measured(self, cell: Cell | str, metric: str) -> bool:
        return bool(self._measured[self._rows([cell])[0]])

    def walks(self) -> list[list[str]]:
        return []

    def to_dataframe(self) -> Any:
        return pd.DataFrame({"hash": self.space.hashes, **self._values})
