"""`StoredBenchmark`: the `Benchmark` protocol over a `BenchmarkStore`, tabular first, surrogate else.

Every metric column is held as one array over all 423,624 rows of `all_cells()`: the mean of the
measured repeats where a cell was measured, the surrogate's prediction elsewhere (NaN when the
benchmark is opened tabular-only). A query is then a dict lookup plus an array read. The
standard deviations are held the same way (0 where measured, the surrogate's calibrated std
elsewhere), so `with_std=True` costs one more array read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Union

import numpy as np

from ..errors import DataFileError, UnknownArchitectureError, UnknownMetricError
from ..lazy import lazy_module
from ..space import Cell, CellTable, all_cells
from .metrics import METRICS
from .results import LEVELS, CellMetrics, Estimate
from .store import BenchmarkStore, column_key

#: only `to_dataframe` needs pandas; a query does not pay for importing it
pd = lazy_module("pandas")

CellOrHash = Union[Cell, str]  # typing.Union: a runtime alias, `|` on classes needs Python >= 3.10


def _unknown_hash(cell_hash: str) -> UnknownArchitectureError:
    return UnknownArchitectureError(f"{cell_hash!r} is not the NB101 hash of any cell; pass a Cell or a 32-digit md5 hash")


class StoredBenchmark:
    """One benchmark (`so2sat`, `cifar10`) answering every metric for every cell.

    `query(cell, metric, epoch=None, repeat=None)`: `epoch=None` is `default_epoch`;
    `repeat=None` is the mean of the measured repeats, `repeat=k` the k-th run only;
    `repeats_of(metric)` says how many runs a cell has, `repeat_std(cells, metric)` their spread.
    With `surrogate=False` an unmeasured cell raises `UnknownArchitectureError`. `with_std=True`
    adds the calibrated standard deviation (0 for measured values) and the 80% / 95% intervals.
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
        self._resolved_std: dict[tuple[str, int | None, int | None], np.ndarray] = {}
        self._repeat_std: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ columns
    def _key(self, metric: str, epoch: int | None) -> str:
        if not isinstance(metric, str):
            raise UnknownMetricError(f"metric {metric!r} ({type(metric).__name__}) is not a metric name; use one of {list(self.metrics)}")
        record = self.store.metrics.get(metric)
        if record is None:
            hint = " (a known metric this benchmark has not measured)" if metric in METRICS else ""
            raise UnknownMetricError(
                f"benchmark {self.name!r} has no metric {metric!r}{hint}; it offers {list(self.metrics)}"
            )
        epoch = self._epoch(epoch)
        if record.epochs is None:
            return column_key(metric, None)
        if epoch not in record.epochs:
            raise UnknownMetricError(
                f"{metric!r} of benchmark {self.name!r} is recorded at epochs {record.epochs} only, not {epoch}"
            )
        return column_key(metric, epoch)

    def epochs_of(self, metric: str) -> tuple[int, ...]:
        """The fidelities at which `metric` is held (all of them for an epoch-independent metric);
        e.g. CIFAR-10's `train_time_s` is held at 108 only, its accuracies at 4/12/36/108."""
        self._key(metric, None)  # raises for an unknown metric
        epochs = self.store.metrics[metric].epochs
        return self.fidelities if epochs is None else tuple(int(e) for e in epochs)

    def repeats_of(self, metric: str) -> int:
        """How many training runs per cell the benchmark holds for `metric` (`repeat=0..n-1`)."""
        self._key(metric, None)  # raises for an unknown metric
        return self.store.metrics[metric].repeats

    def repeat_std(self, cells: Iterable[CellOrHash] | np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        """(n,) sample standard deviation (ddof=1) of `metric` over each cell's measured runs:
        the spread between training repeats, beside the mean `query` answers. NaN for a cell with
        fewer than two measured runs (a one-run benchmark, or a cell not measured)."""
        rows = self._rows(cells)
        key = self._key(metric, epoch)
        if key not in self._repeat_std:
            table = self.store.columns[key]
            several = (~np.isnan(table)).sum(axis=1) >= 2
            std = np.full(len(self.space), np.nan)
            std[self._measured_rows[several]] = np.nanstd(table[several], axis=1, ddof=1)
            std.flags.writeable = False
            self._repeat_std[key] = std
        return self._repeat_std[key][rows]

    def _epoch(self, epoch: int | None) -> int:
        """`epoch` (None = default) checked: an integer among the fidelities."""
        if epoch is None:
            return self.default_epoch
        if isinstance(epoch, (bool, np.bool_)) or not isinstance(epoch, (int, np.integer)):
            raise UnknownMetricError(f"epoch {epoch!r} ({type(epoch).__name__}) is not an integer; use one of {list(self.fidelities)}")
        if epoch not in self.fidelities:
            raise UnknownMetricError(f"benchmark {self.name!r} has no epoch {epoch}; fidelities: {list(self.fidelities)}")
        return int(epoch)

    def _column(self, metric: str, epoch: int | None, repeat: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(values over all rows, measured mask) of a metric at an epoch; cached."""
        if type(metric) is not str:
            self._key(metric, epoch)  # raises: not a metric name
        if epoch is not None and type(epoch) is not int:  # 108.0 would hit the cache of 108
            epoch = self._epoch(epoch)
        if repeat is not None and type(repeat) is not int:
            if isinstance(repeat, (bool, np.bool_)) or not isinstance(repeat, (int, np.integer)):
                raise UnknownMetricError(f"repeat {repeat!r} ({type(repeat).__name__}) is not an integer; use 0, 1, ... or None (mean)")
            repeat = int(repeat)
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

    def _std_column(self, metric: str, epoch: int | None, repeat: int | None = None) -> np.ndarray:
        """Standard deviations over all rows (0 where measured, NaN where unknown); cached."""
        cached = self._resolved_std.get((metric, epoch, repeat))
        if cached is not None:
            return cached
        mask = self._column(metric, epoch, repeat)[1]
        key = self._key(metric, epoch)
        std = np.full(len(self.space), np.nan)
        if self.surrogate and key in self.store.predicted:
            if key not in self.store.predicted_std:
                raise DataFileError(
                    f"benchmark {self.name!r} was built without surrogate uncertainty (a store from an older eo-naslib); "
                    f"rebuild it: `eo-naslib data import PATH` (or delete its store so it is built again on first use)"
                )
            std[:] = self.store.predicted_std[key]
        std[mask] = 0.0
        std.flags.writeable = False
        self._resolved_std[(metric, epoch, repeat)] = std
        return std

    def interval_multiplier(self, metric: str, epoch: int | None = None, level: float = 0.8) -> float:
        """Half-width of the `level` interval (0.8 or 0.95) of `metric`'s predictions, in standard deviations."""
        if level not in LEVELS:
            raise UnknownMetricError(f"interval level {level!r} is not offered; use one of {list(LEVELS)}")
        record = self.store.surrogate.get(self._key(metric, epoch), {}).get("uncertainty")
        if record is None:
            raise DataFileError(
                f"benchmark {self.name!r} has no calibrated intervals for {metric!r}; rebuild it with surrogates "
                "(`eo-naslib data import PATH`)"
            )
        return float(record["interval_std_multiplier"][str(level)])

    # ------------------------------------------------------------------ rows
    @property
    def _rows_by_hash(self) -> dict[str, int]:
        if self._row_of_hash is None:
            self._row_of_hash = dict(zip(self.space.hashes.tolist(), range(len(self.space))))
        return self._row_of_hash

    def _row(self, cell: CellOrHash) -> int:
        if not isinstance(cell, (Cell, str)):
            raise UnknownArchitectureError(f"{cell!r} ({type(cell).__name__}) is not a cell; pass a Cell or a 32-digit md5 hash")
        if isinstance(cell, Cell):
            return self.space.row_of(cell)  # a key lookup: no md5 per query
        row = self._rows_by_hash.get(cell)
        if row is None:
            raise _unknown_hash(cell)
        return row

    def _rows_of_hashes(self, hashes: list[str]) -> np.ndarray:
        """Rows of many hashes: one dict lookup each, no per-item type dispatch."""
        rows = list(map(self._rows_by_hash.get, hashes))
        if None in rows:
            raise _unknown_hash(hashes[rows.index(None)])
        return np.array(rows, dtype=np.int64)

    def _rows(self, cells: Iterable[CellOrHash] | np.ndarray) -> np.ndarray:
        if isinstance(cells, (str, Cell)):
            raise UnknownArchitectureError(f"{cells!r} is one cell; pass a list of cells, hashes or rows")
        if not isinstance(cells, np.ndarray):
            cells = list(cells)
            if cells and all(type(c) is str for c in cells):
                return self._rows_of_hashes(cells)
            if all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in cells) and cells:
                return self.space.checked_rows(np.asarray(cells, dtype=np.int64))
            return np.array([self._row(c) for c in cells], dtype=np.int64)
        if cells.dtype.kind in "US":
            return self.space.indices(cells)
        return self.space.checked_rows(cells)

    def _unknown(self, rows: np.ndarray, metric: str) -> UnknownArchitectureError:
        cell_hash = self.space.hashes[rows[0]]
        return UnknownArchitectureError(
            f"cell {cell_hash} has no measured {metric!r} in benchmark {self.name!r}; "
            "open it with surrogate=True to get a predicted value"
        )

    # ------------------------------------------------------------------ protocol
    def query(
        self, cell: CellOrHash, metric: str, epoch: int | None = None, repeat: int | None = None, with_std: bool = False
    ) -> float | Estimate:
        """One metric of one cell (by `Cell` or NB101 hash); an `Estimate` with `with_std=True`."""
        if with_std:
            return self._estimate(self._row(cell), metric, epoch, repeat)
        plain = type(metric) is str and (epoch is None or type(epoch) is int) and (repeat is None or type(repeat) is int)
        values = ((self._resolved.get((metric, epoch, repeat)) if plain else None) or self._column(metric, epoch, repeat))[0]
        row = self._row(cell)
        value = values[row]
        if value != value:
            raise self._unknown(np.array([row]), metric)
        return float(value)

    def _estimate(self, row: int, metric: str, epoch: int | None, repeat: int | None) -> Estimate:
        value = self.query_rows(np.array([row]), metric, epoch, repeat)[0]
        std = float(self._std_column(metric, epoch, repeat)[row])
        if std == 0.0:
            intervals = {level: (float(value), float(value)) for level in LEVELS}
        else:
            half = {level: self.interval_multiplier(metric, epoch, level) * std for level in LEVELS}
            intervals = {level: (float(value - h), float(value + h)) for level, h in half.items()}
        return Estimate(float(value), std, bool(self._column(metric, epoch, repeat)[1][row]), intervals)

    def query_rows(
        self, rows: np.ndarray, metric: str, epoch: int | None = None, repeat: int | None = None, with_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Values for rows of `all_cells()` (and their standard deviations with `with_std=True`);
        raises if one is unknown (tabular-only)."""
        rows = self.space.checked_rows(rows)
        values = self._column(metric, epoch, repeat)[0][rows]
        if not self.surrogate and np.isnan(values).any():
            raise self._unknown(np.atleast_1d(rows)[np.isnan(np.atleast_1d(values))], metric)
        if with_std:
            return values, self._std_column(metric, epoch, repeat)[rows]
        return values

    def query_many(
        self,
        cells: Iterable[CellOrHash] | np.ndarray,
        metrics: str | Sequence[str],
        epoch: int | None = None,
        repeat: int | None = None,
        with_std: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """(n,) for one metric, (n, m) for a list of m metrics; `cells` may also be row indices.
        With `with_std=True`: (values, standard deviations) of that shape, std 0 where measured."""
        rows = self._rows(cells)
        if isinstance(metrics, str):
            return self.query_rows(rows, metrics, epoch, repeat, with_std)
        if not with_std:
            return np.stack([self.query_rows(rows, m, epoch, repeat) for m in metrics], axis=1)
        pairs = [self.query_rows(rows, m, epoch, repeat, True) for m in metrics]
        return np.stack([p[0] for p in pairs], axis=1), np.stack([p[1] for p in pairs], axis=1)

    def intervals(
        self, cells: Iterable[CellOrHash] | np.ndarray, metric: str, level: float = 0.8, epoch: int | None = None
    ) -> np.ndarray:
        """(n, 2) low and high ends of the `level` intervals (a point where measured)."""
        values, std = self.query_many(cells, metric, epoch, with_std=True)
        half = std * self.interval_multiplier(metric, epoch, level) if np.any(std > 0) else std
        return np.stack([values - half, values + half], axis=1)

    def values(self, metric: str, epoch: int | None = None, repeat: int | None = None) -> np.ndarray:
        """Read-only (423,624,) values over all rows; NaN where unknown (tabular-only)."""
        return self._column(metric, epoch, repeat)[0]

    def measured_mask(self, metric: str, epoch: int | None = None) -> np.ndarray:
        """Read-only (423,624,) booleans: True where the value was measured, not predicted."""
        return self._column(metric, epoch)[1]

    def query_all(self, cell: CellOrHash, epoch: int | None = None) -> CellMetrics:
        """Every metric of one cell at `epoch` with its measured flag (False = predicted), unit,
        standard deviation and 80% / 95% intervals (where the store has them)."""
        row = self._row(cell)
        epoch = self._epoch(epoch)
        values, measured, std, intervals = {}, {}, {}, {}
        for metric in self.metrics:
            record = self.store.metrics[metric]
            if record.epochs is not None and epoch not in record.epochs:
                continue
            column, mask = self._column(metric, epoch)
            if column[row] == column[row]:
                values[metric], measured[metric] = float(column[row]), bool(mask[row])
                if measured[metric] or self.store.predicted_std:
                    estimate = self._estimate(row, metric, epoch, None)
                    std[metric], intervals[metric] = estimate.std, estimate.intervals
        if not measured:
            raise self._unknown(np.array([row]), "any metric")
        units = {m: METRICS[m].unit if m in METRICS else "" for m in values}
        return CellMetrics(str(self.space.hashes[row]), epoch, values, measured, units, std, intervals)

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
        data: dict[str, Any] = {"hash": self.store.hashes}
        for metric, record in self.store.metrics.items():
            for epoch in record.epochs or [None]:
                name = metric if epoch in (None, self.default_epoch) else f"{metric}@{epoch}"
                data[name] = self._column(metric, epoch)[0][self._measured_rows]
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        mode = "tabular + surrogate" if self.surrogate else "tabular only"
        return f"<{type(self).__name__} {self.name!r}: {len(self.store.hashes):,} measured cells, {mode}>"
