"""`StoredBenchmark`: the `Benchmark` protocol over a `BenchmarkStore`, tabular first, surrogate else.

Every metric column is held as one array over all 423,624 rows of `all_cells()`: the mean of the
measured repeats where a cell was measured, the surrogate's prediction elsewhere (NaN when the
benchmark is opened tabular-only). A query is then a dict lookup plus an array read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..errors import UnknownArchitectureError, UnknownMetricError
from ..space import Cell, CellTable, all_cells
from .metrics import METRICS
from .store import BenchmarkStore, column_key

CellOrHash = Cell | str


class StoredBenchmark:
    """One benchmark (`so2sat`, `cifar10`) answering every metric for every cell.

    `query(cell, metric, epoch=None, repeat=None)`: `epoch=None` is `default_epoch`;
    `repeat=None` is the mean of the measured repeats, `repeat=k` the k-th run only.
    With `surrogate=False` an unmeasured cell raises `UnknownArchitectureError`.
    """

    def __init__(self, store: BenchmarkStore, surrogate: bool = True, space: CellTable | None = None) -> None:
        self.store = store
        self.name = store.name
        self.metrics = tuple(store.metrics)
        self.fidelities = tuple(store.fidelities)
        self.default_epoch = store.default_epoch
        self.surrogate = surrogate and bool(store.predicted)
        self.space = space if space is not None else all_cells()
        self._measured_rows = self.space.indices(store.hashes)
        self._row_of_hash: dict[str, int] | None = None
        self._resolved: dict[tuple[str, int | None, int | None], tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ columns
    def _key(self, metric: str, epoch: int | None) -> str:
        record = self.store.metrics.get(metric)
        if record is None:
            hint = " (a known metric this benchmark has not measured)" if metric in METRICS else ""
            raise UnknownMetricError(
                f"benchmark {self.name!r} has no metric {metric!r}{hint}; it offers {list(self.metrics)}"
            )
        epoch = self.default_epoch if epoch is None else epoch
        if epoch not in self.fidelities:
            raise UnknownMetricError(f"benchmark {self.name!r} has no epoch {epoch}; fidelities: {list(self.fidelities)}")
        if record.epochs is None:
            return column_key(metric, None)
        if epoch not in record.epochs:
            raise UnknownMetricError(
                f"{metric!r} of benchmark {self.name!r} is recorded at epochs {record.epochs} only, not {epoch}"
            )
        return column_key(metric, epoch)

    def _column(self, metric: str, epoch: int | None, repeat: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(values over all rows, measured mask) of a metric at an epoch; cached."""
        cached = self._resolved.get((metric, epoch, repeat))
        if cached is not None:
            return cached
        key = self._key(metric, epoch)
        table = self.store.columns[key]
        if repeat is None:
            known = ~np.isnan(table).all(axis=1)
            measured_values = np.full(len(table), np.nan)
            measured_values[known] = np.nanmean(table[known], axis=1)
        else:
            if not 0 <= repeat < table.shape[1]:
                raise UnknownMetricError(
                    f"{metric!r} of benchmark {self.name!r} has {table.shape[1]} repeat(s) "
                    f"(0..{table.shape[1] - 1}), not {repeat}; {self.store.metrics[metric].note}"
                )
            measured_values, known = table[:, repeat], ~np.isnan(table[:, repeat])
        values = np.full(len(self.space), np.nan)
        if self.surrogate and key in self.store.predicted:
            values[:] = self.store.predicted[key]
        values[self._measured_rows[known]] = measured_values[known]
        mask = np.zeros(len(self.space), dtype=bool)
        mask[self._measured_rows[known]] = True
        values.flags.writeable = mask.flags.writeable = False
        self._resolved[(metric, epoch, repeat)] = (values, mask)
        return values, mask

    # ------------------------------------------------------------------ rows
    @property
    def _rows_by_hash(self) -> dict[str, int]:
        if self._row_of_hash is None:
            self._row_of_hash = dict(zip(self.space.hashes.tolist(), range(len(self.space))))
        return self._row_of_hash

    def _row(self, cell: CellOrHash) -> int:
        row = self._rows_by_hash.get(cell.hash if isinstance(cell, Cell) else cell)
        if row is None:
            raise UnknownArchitectureError(f"{cell!r} is not the NB101 hash of any cell; pass a Cell or a 32-digit md5 hash")
        return row

    def _rows(self, cells: Iterable[CellOrHash] | np.ndarray) -> np.ndarray:
        if isinstance(cells, np.ndarray) and cells.dtype.kind in "iu":
            return cells
        if not isinstance(cells, np.ndarray):
            cells = [c.hash if isinstance(c, Cell) else c for c in cells]
        return self.space.indices(cells)

    def _unknown(self, rows: np.ndarray, metric: str) -> UnknownArchitectureError:
        cell_hash = self.space.hashes[rows[0]]
        return UnknownArchitectureError(
            f"cell {cell_hash} has no measured {metric!r} in benchmark {self.name!r}; "
            "open it with surrogate=True to get a predicted value"
        )

    # ------------------------------------------------------------------ protocol
    def query(self, cell: CellOrHash, metric: str, epoch: int | None = None, repeat: int | None = None) -> float:
        """One metric of one cell (by `Cell` or NB101 hash)."""
        values = (self._resolved.get((metric, epoch, repeat)) or self._column(metric, epoch, repeat))[0]
        row = self._row(cell)
        value = values[row]
        if value != value:
            raise self._unknown(np.array([row]), metric)
        return float(value)

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None, repeat: int | None = None) -> np.ndarray:
        """Values for rows of `all_cells()`; raises if one is unknown (tabular-only)."""
        values = self._column(metric, epoch, repeat)[0][rows]
        if not self.surrogate and np.isnan(values).any():
            raise self._unknown(np.atleast_1d(rows)[np.isnan(np.atleast_1d(values))], metric)
        return values

    def query_many(
        self,
        cells: Iterable[CellOrHash] | np.ndarray,
        metrics: str | Sequence[str],
        epoch: int | None = None,
        repeat: int | None = None,
    ) -> np.ndarray:
        """(n,) for one metric, (n, m) for a list of m metrics; `cells` may also be row indices."""
        rows = self._rows(cells)
        if isinstance(metrics, str):
            return self.query_rows(rows, metrics, epoch, repeat)
        return np.stack([self.query_rows(rows, m, epoch, repeat) for m in metrics], axis=1)

    def values(self, metric: str, epoch: int | None = None, repeat: int | None = None) -> np.ndarray:
        """Read-only (423,624,) values over all rows; NaN where unknown (tabular-only)."""
        return self._column(metric, epoch, repeat)[0]

    def measured_mask(self, metric: str, epoch: int | None = None) -> np.ndarray:
        """Read-only (423,624,) booleans: True where the value was measured, not predicted."""
        return self._column(metric, epoch)[1]

    def query_all(self, cell: CellOrHash, epoch: int | None = None) -> dict[str, Any]:
        """Every metric of one cell at `epoch`, plus `measured` flags (False = predicted)."""
        row = self._row(cell)
        epoch = self.default_epoch if epoch is None else epoch
        answer: dict[str, Any] = {"hash": str(self.space.hashes[row]), "epoch": epoch}
        measured = {}
        for metric in self.metrics:
            record = self.store.metrics[metric]
            if record.epochs is not None and epoch not in record.epochs:
                continue
            values, mask = self._column(metric, epoch)
            if values[row] == values[row]:
                answer[metric], measured[metric] = float(values[row]), bool(mask[row])
        if not measured:
            raise self._unknown(np.array([row]), "any metric")
        answer["measured"] = measured
        return answer

    def measured_hashes(self) -> np.ndarray:
        """Hashes of every cell with at least one measured value, sorted."""
        return self.store.hashes.copy()

    def is_measured(self, cell: CellOrHash, metric: str, epoch: int | None = None) -> bool:
        return bool(self._column(metric, epoch)[1][self._row(cell)])

    def walks(self) -> list[list[str]]:
        """The source's recorded random walks (lists of hashes, in step order), else []."""
        return [list(walk) for walk in self.store.walks]

    def to_dataframe(self) -> Any:
        """Measured cells x metric columns (`metric` at the default epoch, `metric@epoch` at others)."""
        import pandas as pd

        data: dict[str, Any] = {"hash": self.store.hashes}
        for metric, record in self.store.metrics.items():
            for epoch in record.epochs or [None]:
                name = metric if epoch in (None, self.default_epoch) else f"{metric}@{epoch}"
                data[name] = self._column(metric, epoch)[0][self._measured_rows]
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        mode = "tabular + surrogate" if self.surrogate else "tabular only"
        return f"<{type(self).__name__} {self.name!r}: {len(self.store.hashes):,} measured cells, {mode}>"
