"""Typed answers of a benchmark: every metric of one cell, with measured flags, epoch and units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

#: interval levels stored and reported with every predicted value
LEVELS = (0.8, 0.95)


class Estimate(NamedTuple):
    """One answer with its uncertainty (`benchmark.query(..., with_std=True)`).

    `std` is 0 for a measured value; `intervals[level]` is (low, high) at levels 0.8 and 0.95
    (a single point for a measured value), calibrated by cross-validation (docs/surrogates.md).
    """

    value: float
    std: float
    measured: bool
    intervals: Mapping[float, tuple[float, float]]


@dataclass(frozen=True)
class CellMetrics:
    """Every metric a benchmark has for one cell at one epoch (`benchmark.query_all(cell)`).

    `values[m]` is the metric's value, `measured[m]` False where the value is a surrogate's
    prediction, `units[m]` its unit (accuracies are fractions), `std[m]` its calibrated standard
    deviation (0 when measured) and `intervals[m][level]` its (low, high) interval at levels 0.8 and
    0.95, where the benchmark offers them. The mappings are read-only.
    """

    hash: str
    epoch: int
    values: Mapping[str, float]
    measured: Mapping[str, bool]
    units: Mapping[str, str]
    std: Mapping[str, float] = field(default_factory=dict)
    intervals: Mapping[str, Mapping[float, tuple[float, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("values", "measured", "units", "std", "intervals"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __getitem__(self, metric: str) -> float:
        """`record[metric]` is `record.values[metric]`."""
        return self.values[metric]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict: hash, epoch, values, measured, units, std, intervals (levels as strings)."""
        return {
            "hash": self.hash,
            "epoch": self.epoch,
            "values": dict(self.values),
            "measured": dict(self.measured),
            "units": dict(self.units),
            "std": dict(self.std),
            "intervals": {m: {str(level): list(bounds) for level, bounds in i.items()} for m, i in self.intervals.items()},
        }
