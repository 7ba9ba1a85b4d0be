"""Search constraints: `"latency_ms <= 5"`, `"params <= 2e6"`, parsed, checked and measured as violations.

A constraint is a benchmark metric, `<=` or `>=`, and a finite bound. Its violation for a value is
how far the value lies beyond the bound, relative to the bound's size (`|bound|`, 1 for a bound
of 0), so constraints on metrics of different units (milliseconds, parameter counts) add up to one
total violation: 0 means feasible. `g` is the same quantity signed (<= 0 when met), pymoo's
inequality-constraint form. A value the benchmark cannot give (NaN) violates by +inf.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..benchmarks.metrics import METRICS
from ..errors import ConfigError

OPERATORS = ("<=", ">=")
#: metric, operator, bound; anything else is refused with the fix
_PATTERN = re.compile(r"^\s*(?P<metric>[A-Za-z_][\w.\-]*)\s*(?P<op>[<>=!]=?|=>|=<)\s*(?P<bound>[^\s<>=!]\S*)\s*$")
EXAMPLE = "'latency_ms <= 5' or 'val_accuracy >= 0.6'"


@dataclass(frozen=True)
class Constraint:
    """`metric op bound` with `op` in `OPERATORS`."""

    metric: str
    op: str
    bound: float

    @classmethod
    def parse(cls, spec: str | Constraint, metrics: Sequence[str] | None = None) -> Constraint:
        """From `"latency_ms <= 5"`; `metrics` (a benchmark's) narrows the known names. A
        `ConfigError` naming the string and the fix for anything else."""
        if isinstance(spec, Constraint):
            constraint = spec
        else:
            if not isinstance(spec, str) or not spec.strip():
                raise ConfigError(f"constraint {spec!r} is not a constraint; write it as {EXAMPLE}")
            match = _PATTERN.match(spec)
            if match is None:
                raise ConfigError(f"constraint {spec!r} is not 'metric <= bound' or 'metric >= bound'; write it as {EXAMPLE}")
            op = match["op"]
            if op not in OPERATORS:
                raise ConfigError(f"constraint {spec!r}: operator {op!r} is not offered; use <= or >= (e.g. {EXAMPLE})")
            try:
                bound = float(match["bound"])
            except ValueError:
                bound = math.nan
            if not math.isfinite(bound):
                raise ConfigError(f"constraint {spec!r}: bound {match['bound']!r} is not a finite number; write e.g. 5 or 2e6")
            constraint = cls(match["metric"], op, bound)
        known = sorted(METRICS if metrics is None else metrics)
        if constraint.metric not in known:
            raise ConfigError(f"constraint {constraint.text!r}: unknown metric {constraint.metric!r}; use one of {known}")
        return constraint

    @property
    def text(self) -> str:
        """`metric op bound` (parses back to the same constraint)."""
        short = f"{self.bound:g}"
        return f"{self.metric} {self.op} {short if float(short) == self.bound else repr(self.bound)}"

    @property
    def scale(self) -> float:
        return abs(self.bound) if self.bound != 0 else 1.0

    def g(self, values: np.ndarray) -> np.ndarray:
        """Signed relative distance to the bound (<= 0 when met; +inf for NaN values)."""
        values = np.asarray(values, dtype=float)
        signed = (values - self.bound) if self.op == "<=" else (self.bound - values)
        return np.where(np.isnan(values), np.inf, signed / self.scale)

    def violation(self, values: np.ndarray) -> np.ndarray:
        """How far beyond the bound (0 when met), relative to the bound's size."""
        return np.maximum(self.g(values), 0.0)


def parse_constraints(specs: Sequence[str | Constraint] | None, metrics: Sequence[str] | None = None) -> tuple[Constraint, ...]:
    """Constraints from a list of strings (None or [] for none); each string checked (`Constraint.parse`)."""
    if specs is None:
        return ()
    if isinstance(specs, (str, Constraint)) or not isinstance(specs, (list, tuple)):
        raise ConfigError(f"constraints must be a list such as ['latency_ms <= 5', 'params <= 2e6'], got {specs!r}")
    return tuple(Constraint.parse(s, metrics) for s in specs)


def total_violation(constraints: Sequence[Constraint], values: np.ndarray) -> np.ndarray:
    """(n,) summed violation of (n, k) constraint metric values (0 = feasible; zeros without constraints)."""
    values = np.asarray(values, dtype=float).reshape(-1, len(constraints))
    if not constraints:
        return np.zeros(len(values))
    return np.sum([c.violation(values[:, j]) for j, c in enumerate(constraints)], axis=0)


def describe_violation(constraints: Sequence[Constraint], values: np.ndarray) -> str:
    """The constraints one cell's (k,) metric values break, e.g. 'latency_ms = 7.3 > 5'."""
    broken = [
        f"{c.metric} = {v:.4g} {'>' if c.op == '<=' else '<'} {c.bound:g}"
        for c, v in zip(constraints, np.asarray(values, dtype=float))
        if c.violation(np.array([v]))[0] > 0
    ]
    return ", ".join(broken) or "none"


__all__ = ["OPERATORS", "Constraint", "describe_violation", "parse_constraints", "total_violation"]
