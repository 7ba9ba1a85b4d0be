"""`LiveBenchmark`: a benchmark that answers by training (or reading the cached record).

Like JAHS-Bench-201's `kind="live"`: `query(cell, metric, epoch)` trains the cell with the
benchmark's `TrainConfig` on the given data (So2Sat files, or any `dataset` kind of
`training.datasets`) unless a record with the same settings and
data is in `cache_dir/live/<key>/<hash>/record.json` (`key`: the settings' fingerprint and the data's
identity, see `job.data_identity`); every answer is measured. A cell is trained in NB101's
labelling (`Cell.nb101()`), whatever vertex order it is given in. A cached record is used only when
it passes the record checks (`job.read_record`) and holds every metric the benchmark offers at
every evaluated epoch; otherwise the query fails with one line naming the file. Curve metrics
(accuracies, `train_time_s`) exist at the evaluated epochs (`fidelities`); hardware metrics
(latency, params, size, MACs) are of the trained model, whatever the epoch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..benchmarks.metrics import METRICS, metric_info
from ..benchmarks.results import CellMetrics
from ..errors import UnknownMetricError
from ..io import fingerprint
from ..paths import cache_dir as default_cache_dir
from ..schema import FileCheck
from ..space import Cell, all_cells
from .config import TrainConfig
from .datasets.base import DataSplits
from .job import RECORD, data_identity, load_data, read_record, train_and_measure

#: metrics read from the per-epoch curves (the rest come from the hardware measurement)
CURVE_METRICS = (
    "train_accuracy",
    "val_accuracy",
    "val_accuracy_macro",
    "test_accuracy",
    "test_accuracy_macro",
    "train_time_s",
)
HARDWARE_METRICS = ("latency_ms", "latency_std_ms", "params", "size_kb", "macs")


class LiveBenchmark:
    """Benchmark protocol over cells trained on demand (see the module docstring)."""

    def __init__(
        self,
        data: str | os.PathLike,
        sensor: str = "s2",
        config: TrainConfig | dict | None = None,
        cache_dir: str | os.PathLike | None = None,
        dataset: str | None = None,
    ) -> None:
        base = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
        self.config = base.replace(sensor=sensor, data_dir=str(data), dataset=dataset or base.dataset)
        self.data = Path(data)
        self.name = f"{self.config.dataset}-live-{sensor}"
        self.metrics = CURVE_METRICS + HARDWARE_METRICS
        epochs = set(range(self.config.eval_every, self.config.epochs + 1, self.config.eval_every))
        self.fidelities = tuple(sorted(epochs | {self.config.epochs}))
        self.default_epoch = self.config.epochs
        self.identity = data_identity(self.data, self.config)
        key = fingerprint({"settings": self.config.fingerprint(), "data": self.identity})
        self.cache = default_cache_dir(cache_dir) / "live" / key[:16]
        self._splits: DataSplits | None = None

    # ------------------------------------------------------------------ records
    def _cell(self, cell: Cell | str) -> Cell:
        """The cell in NB101's labelling: a record is of a hash, so of the network NB101 built from it."""
        if isinstance(cell, Cell):
            return cell.nb101()
        table = all_cells()
        return table.cell(table.index(cell))

    @staticmethod
    def _hash(cell: Cell | str) -> str:
        return cell.hash if isinstance(cell, Cell) else cell

    def record(self, cell: Cell | str) -> dict[str, Any]:
        """The cell's record, training it first if it is not cached."""
        real = self._cell(cell)
        out = self.cache / real.hash
        cached = self._cached(out, real)
        if cached is not None:
            return cached
        if self._splits is None:
            self._splits = load_data(self.config, self.data)
        return self._complete(train_and_measure(real, self.config, out, data=self._splits), out / RECORD)

    def _cached(self, out: Path, cell: Cell) -> dict[str, Any] | None:
        record = read_record(out, cell, self.config, self.identity)
        return None if record is None else self._complete(record, out / RECORD)

    def _complete(self, record: dict[str, Any], source: Path) -> dict[str, Any]:
        """`record` if it holds every hardware metric and every curve metric at every fidelity."""
        check = FileCheck(source, "delete the file to train the cell again")
        metrics = check.mapping(check.key(record, "metrics"), "metrics")
        for metric in HARDWARE_METRICS:
            check.number(check.key(metrics, metric, "metrics"), f"metrics.{metric}")
        points = {p.get("epoch"): p for p in check.listing(check.key(record, "curves"), "curves") if isinstance(p, dict)}
        for epoch in self.fidelities:
            if epoch not in points:
                raise check.error("curves", f"a point at every evaluated epoch {list(self.fidelities)}", detail=f" (epoch {epoch} is missing)")
            for metric in CURVE_METRICS:
                check.number(check.key(points[epoch], metric, f"curves[epoch {epoch}]"), f"curves[epoch {epoch}].{metric}")
        return record

    # ------------------------------------------------------------------ protocol
    def _check(self, metric: str, epoch: int | None) -> int:
        metric_info(metric)
        if metric not in self.metrics:
            raise UnknownMetricError(
                f"metric {metric!r} is not offered by {self.name}; offered: {list(self.metrics)}"
            )
        epoch = self.default_epoch if epoch is None else epoch
        if epoch not in self.fidelities:
            raise UnknownMetricError(
                f"epoch {epoch} is not evaluated by {self.name}; evaluated epochs: {list(self.fidelities)}"
            )
        return epoch

    def epochs_of(self, metric: str) -> tuple[int, ...]:
        """Every fidelity: curves are evaluated at each, hardware metrics are epoch-independent."""
        self._check(metric, None)
        return self.fidelities

    def _value(self, record: dict[str, Any], metric: str, epoch: int) -> float:
        if metric in HARDWARE_METRICS:
            return float(record["metrics"][metric])
        point = next(p for p in record["curves"] if p["epoch"] == epoch)
        return float(point[metric])

    def query(self, cell: Cell | str, metric: str, epoch: int | None = None) -> float:
        epoch = self._check(metric, epoch)
        return self._value(self.record(cell), metric, epoch)

    def query_many(
        self, cells: Iterable[Cell | str] | np.ndarray, metrics: str | Sequence[str], epoch: int | None = None
    ) -> np.ndarray:
        items = list(cells)
        if items and isinstance(items[0], (int, np.integer)):
            return (
                self.query_rows(np.asarray(items), metrics, epoch)
                if isinstance(metrics, str)
                else np.stack([self.query_rows(np.asarray(items), m, epoch) for m in metrics], axis=1)
            )
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        out = np.array([[self.query(c, m, epoch) for m in names] for c in items], dtype=float).reshape(
            len(items), len(names)
        )
        return out[:, 0] if isinstance(metrics, str) else out

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        table = all_cells()
        return np.array([self.query(table.cell(int(r)), metric, epoch) for r in rows], dtype=float)

    def values(self, metric: str, epoch: int | None = None) -> np.ndarray:
        """(423,624,) values of the cached (trained) cells; NaN elsewhere (nothing is trained here)."""
        epoch = self._check(metric, epoch)
        table = all_cells()
        out = np.full(len(table), np.nan)
        for cell_hash in self.measured_hashes():
            record = self._cached(self.cache / cell_hash, table.cell(table.index(cell_hash)))
            if record is not None:
                out[table.index(cell_hash)] = self._value(record, metric, epoch)
        return out

    def query_all(self, cell: Cell | str, epoch: int | None = None) -> CellMetrics:
        epoch = self._check("val_accuracy", epoch)
        record = self.record(cell)
        values = {m: self._value(record, m, epoch) for m in self.metrics}
        return CellMetrics(
            hash=record["cell"]["hash"],
            epoch=epoch,
            values=values,
            measured={m: True for m in values},
            units={m: METRICS[m].unit for m in values},
        )

    def measured_hashes(self) -> np.ndarray:
        if not self.cache.is_dir():
            return np.array([], dtype="<U32")
        return np.array(sorted(p.parent.name for p in self.cache.glob(f"*/{RECORD}")), dtype="<U32")

    def is_measured(self, cell: Cell | str, metric: str) -> bool:
        metric_info(metric)
        return metric in self.metrics and (self.cache / self._hash(cell) / RECORD).exists()

    def walks(self) -> list[list[str]]:
        return []

    def to_dataframe(self) -> Any:
        """Cached cells x metrics at the default epoch (pandas)."""
        hashes = self.measured_hashes()
        return pd.DataFrame(
            {
                "hash": hashes,
                **{
                    m: self.values(m)[all_cells().indices(hashes)] if len(hashes) else []
                    for m in self.metrics
                },
            }
        )

    def __repr__(self) -> str:
        return f"LiveBenchmark({self.name}, data={self.data}, cache={self.cache})"
