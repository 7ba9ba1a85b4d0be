"""Import-time schema checks: every source value is a finite number in its metric's range.

A bad value raises `DataFileError` with one line naming the file, the record and the field, so
nothing is written from invalid input. Accuracies are fractions in [0, 1]; times, latencies,
parameter counts and sizes are > 0; a standard deviation and a loss are >= 0; Cohen's kappa
is in [-1, 1]; zero-cost scores (`zc_*`) any finite number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DataFileError

_NUMBER_TYPES = (int, float, np.integer, np.floating)


def bounds(metric: str) -> tuple[float, float, bool]:
    """(low, high, low_inclusive) of a metric's valid values."""
    if "accuracy" in metric:
        return 0.0, 1.0, True
    if metric.startswith("zc_"):  # zero-cost scores: any finite number
        return -math.inf, math.inf, True
    if metric.endswith("_kappa"):
        return -1.0, 1.0, True
    if metric.endswith("_loss"):
        return 0.0, math.inf, True
    if metric.endswith("_std_ms") or metric == "peak_memory_mib":  # no growth above the RSS before is 0
        return 0.0, math.inf, True
    return 0.0, math.inf, False


def _fails(value: float, metric: str | None) -> str | None:
    if not math.isfinite(value):
        return "is not finite"
    if metric is None:
        return None
    low, high, inclusive = bounds(metric)
    if value > high or value < low or (value == low and not inclusive):
        interval = f"{'[' if inclusive else '('}{low:g}, {high:g}]"
        return f"is outside {interval} for {metric}"
    return None


def check_number(value: Any, source: str, record: Any, field: str, metric: str | None = None) -> float:
    """`value` as a float, if it is a finite number in `metric`'s range (no check of range for None)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER_TYPES):
        raise DataFileError(
            f"{source}: record {record}: field {field!r} is {value!r} ({type(value).__name__}), not a number; "
            "restore the file from its source"
        )
    number = float(value)
    problem = _fails(number, metric)
    if problem:
        raise DataFileError(f"{source}: record {record}: field {field!r} = {number!r} {problem}; restore the file from its source")
    return number


def check_column(values: Any, n: int, source: str, field: str, metric: str | None, records: Sequence[Any]) -> np.ndarray:
    """A JSON list of `n` numbers as a float64 array, each checked as by `check_number`."""
    if not isinstance(values, list) or len(values) != n:
        shape = f"a list of {len(values)}" if isinstance(values, list) else type(values).__name__
        raise DataFileError(f"{source}: field {field!r} is {shape}, expected a list of {n} numbers (one per key)")
    if not all(type(v) in (int, float) for v in values):
        bad = next(i for i, v in enumerate(values) if isinstance(v, bool) or not isinstance(v, _NUMBER_TYPES))
        check_number(values[bad], source, records[bad], field, metric)
    numbers = np.array(values, dtype=float)
    low, high, inclusive = bounds(metric) if metric is not None else (-math.inf, math.inf, True)
    bad_mask = ~np.isfinite(numbers) | (numbers > high) | (numbers < low) | ((numbers == low) & (not inclusive))
    for i in np.flatnonzero(bad_mask)[:1]:
        check_number(numbers[i], source, records[i], field, metric)
    return numbers
