"""The exception hierarchy of eo_naslib: every message names the bad value and the fix."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable


class EONASLibError(Exception):
    """Base class of every error eo_naslib raises on purpose."""


class InvalidCellError(EONASLibError, ValueError):
    """A matrix/ops pair is not a valid NAS-Bench-101 cell."""


class UnknownArchitectureError(EONASLibError, KeyError):
    """A hash or cell has no record in a (tabular-only) benchmark."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownMetricError(EONASLibError, KeyError):
    """A metric name or fidelity is not offered by a benchmark."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DataFileError(EONASLibError, OSError):
    """A data file is missing, corrupt or of an unexpected format."""


class ConfigError(EONASLibError, ValueError):
    """An experiment configuration has a bad key or value."""


class EngineError(EONASLibError, ConnectionError):
    """A compute engine (a Ray cluster, the SLURM controller) did not answer within its deadline."""
class TrainingDivergedError(EONASLibError, ArithmeticError):
    """A training run's loss became NaN or infinite; no record is written."""


def positive_int(value: object, name: str) -> int:
    """`value` as an int if it is a positive integer (not a bool or float), else a `ConfigError`."""
    return _whole_number(value, name, 1, "a positive integer")


def non_negative_int(value: object, name: str) -> int:
    """`value` as an int if it is an integer >= 0 (not a bool or float), else a `ConfigError`."""
    return _whole_number(value, name, 0, "an integer, 0 or more")


#: the largest seed every consumer takes (numpy's legacy seeding and torch's generators: 32 bits)
MAX_SEED = 2**32 - 1


def seed_int(value: object, name: str) -> int:
    """`value` as an int if it is a seed numpy and torch both take (0 .. 2**32 - 1), else a `ConfigError`."""
    number = _whole_number(value, name, 0, f"a seed, an integer from 0 to {MAX_SEED}")
    if number > MAX_SEED:
        raise ConfigError(f"{name} must be a seed, an integer from 0 to {MAX_SEED}, got {value!r}")
    return number


def non_negative_float(value: object, name: str) -> float:
    """`value` as a float if it is a finite number >= 0 (not a bool), else a `ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise ConfigError(f"{name} must be a finite number, 0 or more, got {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{name} must be a finite number, 0 or more, got {value!r}")
    return number


def at_most(value: int, bound: int, name: str, why: str, fix: str = "") -> int:
    """`value` if it is at most `bound`, else a `ConfigError` naming the value, the bound, `why`
    and `fix` (default: lower `name`).

    Checked before work starts, so a size that cannot fit (memory, disk, numpy's int64) is one line."""
    if value > bound:
        raise ConfigError(f"{name} = {value:,} is more than {bound:,}, the limit ({why}); {fix or 'lower ' + name}")
    return value


def _whole_number(value: object, name: str, minimum: int, wanted: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):  # ints and numpy ints only
        raise ConfigError(f"{name} must be {wanted}, got {value!r}")
    number = int(value.__index__())
    if number < minimum:
        raise ConfigError(f"{name} must be {wanted}, got {value!r}")
    return number


def report_errors(action: Callable[[], int | None], program: str = "eo-naslib") -> int:
    """Run a command's `action`: our errors and OS errors become one line on stderr and exit 2,
    an interrupt exit 130; other exceptions are bugs and keep their traceback."""
    try:
        return int(action() or 0)
    except (EONASLibError, OSError) as exc:
        print(f"{program}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        return 130
