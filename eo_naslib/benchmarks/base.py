"""The `Benchmark` protocol shared by every benchmark (tabular part + optional surrogate)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, Union, runtime_checkable

import numpy as np

from ..space import Cell
from .results import CellMetrics

CellOrHash = Union[Cell, str]  # typing.Union: a runtime alias, `|` on classes needs Python >= 3.10


@runtime_checkable
class Benchmark(Protocol):
    """Answers metrics for NB101 cells; every answer knows whether it was measured or predicted.

    `epoch=None` means the benchmark's `default_epoch`. Accuracies are fractions in [0, 1].
    Errors: `UnknownArchitectureError` (unknown cell, tabular-only), `UnknownMetricError`
    (metric or epoch not offered; the message lists what is), `DataFileError` (data missing).
    """

    name: str
    metrics: tuple[str, ...]
    fidelities: tuple[int, ...]
    default_epoch: int

    def epochs_of(self, metric: str) -> tuple[int, ...]:
        """The fidelities at which `metric` is held (all of them for an epoch-independent metric)."""

    def query(self, cell: CellOrHash, metric: str, epoch: int | None = None) -> float: ...

    def query_many(
        self, cells: Iterable[CellOrHash] | np.ndarray, metrics: str | Sequence[str], epoch: int | None = None
    ) -> np.ndarray:
        """Vectorised: (n,) for one metric name, (n, m) for a list of m metrics."""

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        """Values for rows of `all_cells()` (the fast path of optimizers and landscape analysis)."""

    def values(self, metric: str, epoch: int | None = None) -> np.ndarray:
        """(423,624,) values over all rows of `all_cells()`; NaN where unknown (tabular-only)."""

    def query_all(self, cell: CellOrHash, epoch: int | None = None) -> CellMetrics:
        """Every metric of one cell at one epoch, with measured flags and units."""

    def measured_hashes(self) -> np.ndarray: ...

    def is_measured(self, cell: CellOrHash, metric: str) -> bool: ...

    def walks(self) -> list[list[str]]:
        """Recorded random walks (lists of hashes) where the source has them, else []."""

    def to_dataframe(self) -> Any: ...
