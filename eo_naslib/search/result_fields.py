"""Checks of the fields `SearchResult.from_dict` reads back: each returns the field's value or
raises `DataFileError` naming the field, what it holds and what was expected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError, DataFileError
from .constraints import Constraint

_REQUIRED = object()


def _bad(key: str, value: Any, expected: str) -> DataFileError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return DataFileError(f"search result field {key!r} is {shown}; expected {expected}")


def _get(data: dict[str, Any], key: str, default: Any) -> Any:
    if key in data:
        return data[key]
    if default is _REQUIRED:
        raise DataFileError(f"search result has no field {key!r}; give a file written by SearchResult.to_json")
    return default


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(data: dict[str, Any], key: str) -> str:
    """A required non-empty string."""
    value = _get(data, key, _REQUIRED)
    if not isinstance(value, str) or not value:
        raise _bad(key, value, "a non-empty string")
    return value


def listing(data: dict[str, Any], key: str, default: Any = _REQUIRED, non_empty: bool = False) -> list[Any]:
    """A list (required unless `default` is given), non-empty when asked."""
    value = _get(data, key, default)
    if not isinstance(value, list) or (non_empty and not value):
        raise _bad(key, value, "a non-empty list" if non_empty else "a list")
    return value


def mapping(value: Any, key: str) -> dict[str, Any]:
    """One entry that must be a JSON object."""
    if not isinstance(value, dict):
        raise _bad(key, value, "an object")
    return value


def optional_int(data: dict[str, Any], key: str, minimum: int) -> int | None:
    """null/absent, or an integer >= `minimum` (not a bool, not a float)."""
    value = _get(data, key, None)
    if value is not None and (not _is_int(value) or value < minimum):
        raise _bad(key, value, f"null or a whole number >= {minimum}")
    return value


def finite_number(data: dict[str, Any], key: str, default: float) -> float:
    """A finite number >= 0 (not a bool), `default` when absent."""
    value = _get(data, key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise _bad(key, value, "a finite number >= 0")
    return float(value)


def flag(value: Any, key: str) -> bool:
    """A JSON true/false (a string such as "false" is refused, never read as True)."""
    if not isinstance(value, bool):
        raise _bad(key, value, "true or false")
    return value


def values_row(value: Any, key: str, m: int) -> list[float]:
    """`m` objective values: numbers, or null for a value the search could not get (NaN)."""
    if not isinstance(value, list) or len(value) != m:
        raise _bad(key, value, f"a list of {m} values, one per objective")
    if any(isinstance(v, bool) or not (v is None or isinstance(v, (int, float))) for v in value):
        raise _bad(key, value, "numbers (or null)")
    return [math.nan if v is None else float(v) for v in value]


def indices(data: dict[str, Any], key: str, n: int) -> np.ndarray:
    """A list of distinct evaluation indices in [0, n) (absent: none)."""
    value = listing(data, key, default=[])
    if any(not _is_int(i) or not 0 <= i < n for i in value) or len(set(value)) != len(value):
        raise _bad(key, value, f"distinct whole numbers from 0 to {n - 1} (indices of the {n} evaluations)")
    return np.asarray(value, dtype=np.int64)


def optional_table(data: dict[str, Any], key: str, rows: int, columns: int) -> np.ndarray | None:
    """null/absent, or `rows` lists of `columns` finite numbers >= 0 (a std, or interval widths)."""
    value = _get(data, key, None)
    if value is None:
        return None
    expected = f"null or {rows} lists of {columns} finite numbers >= 0"
    if not isinstance(value, list) or len(value) != rows:
        raise _bad(key, value, expected)
    for row in value:
        if not isinstance(row, list) or len(row) != columns or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 for v in row
        ):
            raise _bad(key, value, expected)
    return np.array(value, dtype=float).reshape(rows, columns)


def constraints(data: dict[str, Any]) -> tuple[Constraint, ...]:
    """The constraint strings (absent: none), each one a valid constraint."""
    value = listing(data, "constraints", default=[])
    try:
        return tuple(Constraint.parse(c) for c in value)
    except ConfigError as exc:
        raise DataFileError(f"search result field 'constraints': {exc}") from None
