"""Learning curves for NASLib's learning-curve predictors, where the data has them.

A learning curve here is a metric's values at the fidelities the benchmark recorded, in order,
nothing interpolated or repeated: every epoch a store built by `eo-naslib build` evaluated
(`eval_every`), CIFAR-10's four (4, 12, 36, 108). Point i of a curve is the value at
`curve_epochs(...)[i]`, so NASLib's `lc[:fidelity]` means "the first `fidelity` recorded
fidelities". A metric held at one fidelity only (the So2Sat benchmark: 108) or not held at all
has no curve: asking for one is an `UnknownMetricError` saying which data would give it.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnknownMetricError

#: what gives a benchmark learning curves (the end of every refusal)
ENABLING_DATA = (
    "learning curves need a metric recorded at two or more epochs: a store built with "
    "`eo-naslib build plan/run/store` (its records keep every evaluated epoch) or cifar10 (4/12/36/108)"
)


def curve_epochs(benchmark: Any, metric: str) -> tuple[int, ...]:
    """The recorded fidelities of `metric`'s learning curve; `UnknownMetricError` (one line naming
    the data that would give one) when the benchmark lacks the metric or holds it at one epoch."""
    if metric not in benchmark.metrics:
        raise UnknownMetricError(f"benchmark {benchmark.name!r} has no {metric}, so no learning curve of it; {ENABLING_DATA}")
    held = tuple(benchmark.epochs_of(metric))
    if len(held) < 2:
        raise UnknownMetricError(
            f"benchmark {benchmark.name!r} holds {metric} at epoch {list(held)} only, so it has no learning curve; {ENABLING_DATA}"
        )
    return held


def has_curve(benchmark: Any, metric: str) -> bool:
    """True when `metric` has a learning curve on `benchmark` (see `curve_epochs`)."""
    return metric in benchmark.metrics and len(benchmark.epochs_of(metric)) >= 2


def learning_curve(benchmark: Any, cell: Any, metric: str, epoch: int | None = None, scale: float = 1.0) -> list[float]:
    """`scale` x `metric` of `cell` at each recorded fidelity up to `epoch` (None or -1: all)."""
    held = curve_epochs(benchmark, metric)
    upto = [e for e in held if epoch in (None, -1) or e <= int(epoch)]
    return [scale * benchmark.query(cell, metric, epoch=e) for e in upto]
