"""`Objective`: a benchmark metric and its direction; the one place objective signs are flipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..benchmarks.metrics import metric_info
from ..errors import ConfigError


@dataclass(frozen=True)
class Objective:
    """A benchmark metric and whether it is maximised."""

    metric: str
    maximise: bool

    def __post_init__(self) -> None:
        if not isinstance(self.maximise, (bool, np.bool_)):
            raise ConfigError(f"objective {self.metric!r}: maximise must be true or false, got {self.maximise!r}")
        object.__setattr__(self, "maximise", bool(self.maximise))

    @classmethod
    def parse(cls, spec: str | Objective | dict[str, Any]) -> Objective:
        """From `"val_accuracy"` (schema direction), `"latency_ms:min"`, `{"metric": ..., "maximise": ...}`."""
        if isinstance(spec, Objective):
            return spec
        if isinstance(spec, dict):
            if "metric" not in spec or set(spec) - {"metric", "maximise"}:
                raise ConfigError(
                    f"objective {spec!r} takes the keys 'metric' and 'maximise', e.g. {{'metric': 'latency_ms', 'maximise': false}}"
                )
            info = metric_info(spec["metric"])
            return cls(info.name, spec.get("maximise", info.maximise))
        if not isinstance(spec, str):
            raise ConfigError(f"objective {spec!r} must be a metric name such as 'val_accuracy' or 'latency_ms:min'")
        name, _, direction = spec.partition(":")
        info = metric_info(name)
        if direction not in ("", "max", "min"):
            raise ConfigError(f"objective direction {direction!r} in {spec!r}; use ':max' or ':min'")
        return cls(info.name, info.maximise if not direction else direction == "max")

    @property
    def sign(self) -> float:
        """-1 for maximised objectives, +1 for minimised: natural value * sign is minimised."""
        return -1.0 if self.maximise else 1.0

    @property
    def label(self) -> str:
        """`metric:max` or `metric:min` (parses back to the same objective)."""
        return f"{self.metric}:{'max' if self.maximise else 'min'}"


def parse_objectives(specs: Sequence[str | Objective | dict[str, Any]]) -> tuple[Objective, ...]:
    """Objectives from config specs; at least one, no metric twice."""
    if isinstance(specs, (str, dict, Objective)) or not specs:
        raise ConfigError(f"objectives must be a non-empty list, e.g. ['val_accuracy', 'train_time_s:min'], got {specs!r}")
    objectives = tuple(Objective.parse(s) for s in specs)
    metrics = [o.metric for o in objectives]
    if len(set(metrics)) != len(metrics):
        raise ConfigError(f"objectives name a metric twice: {metrics}; list each metric once")
    return objectives


def minimisation_form(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """Natural (n, m) objective values as minimisation values (maximised columns negated).

    The flip is its own inverse: applying it to minimisation values gives natural ones back.
    """
    return np.asarray(values, dtype=float) * np.array([o.sign for o in objectives])
