"""Typed answers of a benchmark: every metric of one cell, with measured flags, epoch and units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class CellMetrics:
    """Every metric a benchmark has for one cell at one epoch (`benchmark.query_all(cell)`).

    `values[m]` is the metric's value, `measured[m]` False where the value is a surrogate's
    prediction, `units[m]` its unit (accuracies are fractions). The mappings are read-only.
    """

    hash: str
    epoch: int
    values: Mapping[str, float]
    measured: Mapping[str, bool]
    units: Mapping[str, str]

    def __post_init__(self) -> None:
        for name in ("values", "measured", "units"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __getitem__(self, metric: str) -> float:
        """`record[metric]` is `record.values[metric]`."""
        return self.values[metric]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict: hash, epoch, values, measured, units."""
        return {
            "hash": self.hash,
            "epoch": self.epoch,
            "values": dict(self.values),
            "measured": dict(self.measured),
            "units": dict(self.units),
        }
