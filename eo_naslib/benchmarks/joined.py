"""`join_benchmarks`: the metrics of two benchmarks over the same NB101 cells as one benchmark.

    >>> so2sat_rpi4 = join_benchmarks(load_benchmark("so2sat"), load_benchmark("my-rpi4"), metrics=["latency_ms"])
    >>> load_benchmark("so2sat+my-rpi4[latency_ms]")   # the same, by name

Every metric is answered by the benchmark it comes from, with that benchmark's measured flags,
surrogate predictions and uncertainty: accuracies from the first (e.g. `so2sat`), the metrics taken
from the second (e.g. a device store's latency, energy, memory) from the second. `metrics` names
the second's metrics to take (default: all of them); a metric both offer is taken from the second
only when named there, else the join is refused with the clash named (never silently replaced).
A metric of the second held at one fidelity only (a device's latency) answers at every epoch of
the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, DataFileError, UnknownArchitectureError, UnknownMetricError
from ..lazy import lazy_module
from ..space import all_cells
from .base import Benchmark, CellOrHash
from .results import CellMetrics

pd = lazy_module("pandas")

#: `first+second` or `first+second[metric,metric]`
_SPEC = re.compile(r"^(?P<first>[^+\[\]]+)\+(?P<second>[^+\[\]]+?)(?:\[(?P<metrics>[^\[\]]*)\])?$")


def parse_join(name: str) -> tuple[str, str, list[str] | None]:
    """(first, second, metrics taken from the second or None) of `"so2sat+my-rpi4[latency_ms]"`."""
    match = _SPEC.match(name.strip())
    if match is None:
        raise ConfigError(
            f"joined benchmark {name!r} is not 'first+second' or 'first+second[metric,...]'; "
            "e.g. 'so2sat+my-rpi4[latency_ms]'"
        )
    metrics = match["metrics"]
    taken = None if metrics is None else [m.strip() for m in metrics.split(",") if m.strip()]
    if taken is not None and not taken:
        raise ConfigError(f"joined benchmark {name!r} names no metric in [...]; e.g. 'so2sat+my-rpi4[latency_ms]'")
    return match["first"].strip(), match["second"].strip(), taken


class JoinedBenchmark:
    """The `Benchmark` protocol over two benchmarks: each metric answered by its source."""

    def __init__(self, first: Benchmark, second: Benchmark, metrics: Sequence[str] | None = None, name: str | None = None) -> None:
        if isinstance(metrics, str):
            raise ConfigError(f"metrics must be a list of metric names, e.g. ['latency_ms'], got {metrics!r}")
        taken = tuple(second.metrics) if metrics is None else tuple(dict.fromkeys(metrics))
        unknown = [m for m in taken if m not in second.metrics]
        if unknown:
            raise ConfigError(f"benchmark {second.name!r} has no metric {unknown[0]!r} to join; it offers {list(second.metrics)}")
        clash = [m for m in taken if m in first.metrics]
        if metrics is None and clash:
            raise ConfigError(
                f"benchmarks {first.name!r} and {second.name!r} both offer {clash}; name the metrics to take from "
                f"{second.name!r}: join_benchmarks(a, b, metrics={clash!r}) or '{first.name}+{second.name}[{','.join(clash)}]'"
            )
        self.first, self.second = first, second
        self.taken = taken
        self.metrics = tuple(m for m in first.metrics if m not in taken) + taken
        self.name = name or (f"{first.name}+{second.name}" if metrics is None else f"{first.name}+{second.name}[{','.join(taken)}]")
        self.fidelities = tuple(first.fidelities)
        self.default_epoch = first.default_epoch
        self.space = getattr(first, "space", None) or all_cells()

    # ------------------------------------------------------------------ routing
    def source(self, metric: str) -> Benchmark:
        """The benchmark that answers `metric`."""
        if metric in self.taken:
            return self.second
        if isinstance(metric, str) and metric in self.first.metrics:
            return self.first
        raise UnknownMetricError(f"benchmark {self.name!r} has no metric {metric!r}; it offers {list(self.metrics)}")

    def _epoch(self, metric: str, epoch: int | None) -> int | None:
        """The epoch to ask the metric's source for: as given for the first; for the second, as
        given where it holds the metric at that epoch, its only one (None) where it holds one."""
        if epoch is None or metric not in self.taken:
            return epoch
        epochs = tuple(self.second.epochs_of(metric))
        if epoch in epochs:
            return epoch
        if len(epochs) == 1:
            return None
        raise UnknownMetricError(f"{metric!r} of benchmark {self.second.name!r} is held at epochs {list(epochs)}, not {epoch}")

    def provenance(self) -> dict[str, str]:
        """metric -> the name of the benchmark answering it."""
        return {m: self.source(m).name for m in self.metrics}

    # ------------------------------------------------------------------ protocol
    def epochs_of(self, metric: str) -> tuple[int, ...]:
        source = self.source(metric)
        epochs = tuple(source.epochs_of(metric))
        return self.fidelities if source is self.second and len(epochs) == 1 else epochs

    def query(self, cell: CellOrHash, metric: str, epoch: int | None = None, **options: Any) -> Any:
        return self.source(metric).query(cell, metric, self._epoch(metric, epoch), **options)

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None, **options: Any) -> Any:
        source = self.source(metric)
        if options.get("with_std") and not hasattr(source, "interval_multiplier"):
            raise DataFileError(f"benchmark {source.name!r} gives no uncertainty for {metric!r}")
        return source.query_rows(rows, metric, self._epoch(metric, epoch), **options)

    def query_many(
        self, cells: Iterable[CellOrHash] | np.ndarray, metrics: str | Sequence[str], epoch: int | None = None, **options: Any
    ) -> Any:
        if isinstance(metrics, str):
            return self.source(metrics).query_many(cells, metrics, self._epoch(metrics, epoch), **options)
        cells = cells if isinstance(cells, np.ndarray) else list(cells)
        answers = [self.query_many(cells, m, epoch, **options) for m in metrics]
        if options.get("with_std"):
            return np.stack([a[0] for a in answers], axis=1), np.stack([a[1] for a in answers], axis=1)
        return np.stack(answers, axis=1)

    def values(self, metric: str, epoch: int | None = None) -> np.ndarray:
        return self.source(metric).values(metric, self._epoch(metric, epoch))

    def measured_mask(self, metric: str, epoch: int | None = None) -> np.ndarray:
        """(423,624,) booleans: True where the metric's source measured it."""
        source = self.source(metric)
        mask_of = getattr(source, "measured_mask", None)
        if mask_of is not None:
            return mask_of(metric, self._epoch(metric, epoch))
        mask = np.zeros(len(self.space), dtype=bool)
        for cell_hash in source.measured_hashes():
            if source.is_measured(str(cell_hash), metric):
                mask[self.space.index(str(cell_hash))] = True
        return mask

    def is_measured(self, cell: CellOrHash, metric: str, epoch: int | None = None) -> bool:
        return bool(self.source(metric).is_measured(cell, metric))

    def interval_multiplier(self, metric: str, epoch: int | None = None, level: float = 0.8) -> float:
        source = self.source(metric)
        if not hasattr(source, "interval_multiplier"):
            raise DataFileError(f"benchmark {source.name!r} gives no uncertainty for {metric!r}")
        return source.interval_multiplier(metric, self._epoch(metric, epoch), level)

    def measured_hashes(self) -> np.ndarray:
        """Hashes of every cell either benchmark measured something of, sorted."""
        return np.union1d(np.asarray(self.first.measured_hashes(), dtype=str), np.asarray(self.second.measured_hashes(), dtype=str))

    def query_all(self, cell: CellOrHash, epoch: int | None = None) -> CellMetrics:
        """Every metric of one cell, each from its source, with its measured flag and uncertainty."""
        parts = []
        for source, keep in ((self.first, lambda m: m not in self.taken), (self.second, lambda m: m in self.taken)):
            try:
                record = source.query_all(cell, epoch if source is self.first else self._second_epoch(epoch))
            except UnknownArchitectureError:
                continue
            parts.append((record, keep))
        if not parts:
            raise UnknownArchitectureError(f"cell {cell} has no value in benchmark {self.name!r}")
        merged: dict[str, dict[str, Any]] = {k: {} for k in ("values", "measured", "units", "std", "intervals")}
        for record, keep in parts:
            for key, mapping in merged.items():
                mapping.update({m: v for m, v in getattr(record, key).items() if keep(m)})
        return CellMetrics(parts[0][0].hash, self.default_epoch if epoch is None else int(epoch), **merged)

    def _second_epoch(self, epoch: int | None) -> int | None:
        """The epoch to ask the second for every metric: as given where it holds it, else its default."""
        return epoch if epoch is None or epoch in self.second.fidelities else None

    def walks(self) -> list[list[str]]:
        return self.first.walks()

    def to_dataframe(self) -> Any:
        """Cells either benchmark measured x every metric (each from its source)."""
        first = self.first.to_dataframe()
        first = first[[c for c in first.columns if c.split("@")[0] not in self.taken]]
        second = self.second.to_dataframe()
        second = second[["hash", *(c for c in second.columns if c.split("@")[0] in self.taken)]]
        return pd.merge(first, second, on="hash", how="outer")

    def __repr__(self) -> str:
        return f"<JoinedBenchmark {self.name!r}: {list(self.taken)} from {self.second.name!r}, the rest from {self.first.name!r}>"


def join_benchmarks(first: Benchmark, second: Benchmark, metrics: Sequence[str] | None = None, name: str | None = None) -> JoinedBenchmark:
    """One benchmark answering `first`'s metrics and `second`'s `metrics` (default: all of the
    second's; a metric both offer must be named in `metrics` to come from the second)."""
    for benchmark in (first, second):
        if not callable(getattr(benchmark, "query_rows", None)):
            raise ConfigError(f"{benchmark!r} is not a benchmark; pass load_benchmark('so2sat') and a device store")
    return JoinedBenchmark(first, second, metrics, name)


__all__ = ["JoinedBenchmark", "join_benchmarks", "parse_join"]
