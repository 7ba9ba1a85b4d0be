"""NASLib's `Metric` enum (same names and values) plus ours, mapped to our metric names."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from ..errors import UnknownMetricError


logger = logging.getLogger(__name__)
#: (benchmark, metric) pairs already reported as unavailable
_REPORTED: set[tuple[str, str]] = set()


def report_unavailable(benchmark: str, metric: str) -> None:
    """Log once per process, benchmark and metric that the value is answered NaN."""
    if (benchmark, metric) not in _REPORTED:
        _REPORTED.add((benchmark, metric))
        logger.warning("benchmark %r has no %s; answered NaN (listed once)", benchmark, metric)


def held_epoch(benchmark: Any, metric: str, epoch: int | None) -> int | None:
    """The epoch to read `metric` at when `epoch` is asked (None: the default epoch): `epoch`
    where the benchmark holds the metric, else the last epoch it is held at (logged once per
    benchmark and metric). CIFAR-10's train time is held at 108 only, so it is answered at
    108 whatever the epoch, as NASLib's stock NB101 query answers every metric at 108.
    An epoch outside the benchmark's fidelities is passed on for the benchmark to refuse."""
    if epoch is None or epoch not in benchmark.fidelities:
        return epoch
    held = benchmark.epochs_of(metric)
    if epoch in held:
        return epoch
    if (benchmark.name, f"{metric}@") not in _REPORTED:
        _REPORTED.add((benchmark.name, f"{metric}@"))
        logger.warning("benchmark %r holds %s at epochs %s only; other epochs are answered at %s (listed once)",
                       benchmark.name, metric, list(held), max(held))
    return max(held)


class Metric(Enum):
    """Members 1-16 are NASLib's `search_spaces.core.query_metrics.Metric`; 17+ are ours."""

    RAW = 1
    ALL = 2
    TRAIN_ACCURACY = 3
    VAL_ACCURACY = 4
    TEST_ACCURACY = 5
    TRAIN_LOSS = 6
    VAL_LOSS = 7
    TEST_LOSS = 8
    TRAIN_TIME = 9
    VAL_TIME = 10
    TEST_TIME = 11
    FLOPS = 12
    LATENCY = 13
    PARAMETERS = 14
    EPOCH = 15
    HP = 16
    TRAIN_ACCURACY_MACRO = 17
    VAL_ACCURACY_MACRO = 18
    TEST_ACCURACY_MACRO = 19
    LATENCY_STD = 20
    MACS = 21
    SIZE = 22


#: Our metric name for each answerable `Metric`, per accuracy flavour of the dataset.
_NAMES: dict[Metric, str] = {
    Metric.TRAIN_ACCURACY: "train_accuracy",
    Metric.VAL_ACCURACY: "val_accuracy",
    Metric.TEST_ACCURACY: "test_accuracy",
    Metric.TRAIN_ACCURACY_MACRO: "train_accuracy_macro",
    Metric.VAL_ACCURACY_MACRO: "val_accuracy_macro",
    Metric.TEST_ACCURACY_MACRO: "test_accuracy_macro",
    Metric.TRAIN_LOSS: "train_loss",
    Metric.VAL_LOSS: "val_loss",
    Metric.TEST_LOSS: "test_loss",
    Metric.TRAIN_TIME: "train_time_s",
    Metric.LATENCY: "latency_ms",
    Metric.LATENCY_STD: "latency_std_ms",
    Metric.PARAMETERS: "params",
    Metric.MACS: "macs",
    Metric.SIZE: "size_kb",
}
_MACRO = {
    Metric.TRAIN_ACCURACY: Metric.TRAIN_ACCURACY_MACRO,
    Metric.VAL_ACCURACY: Metric.VAL_ACCURACY_MACRO,
    Metric.TEST_ACCURACY: Metric.TEST_ACCURACY_MACRO,
}
ACCURACIES = frozenset(_MACRO) | frozenset(_MACRO.values())


def as_metric(metric: Any) -> Metric:
    """Our `Metric` for ours, for a member of NASLib's enum (matched by name) or for a name."""
    if isinstance(metric, Metric):
        return metric
    name = getattr(metric, "name", metric)
    try:
        return Metric[str(name).upper()]
    except KeyError:
        raise UnknownMetricError(f"unknown Metric {name!r}; known: {[m.name for m in Metric]}") from None


def to_metric_name(metric: Metric, macro: bool = False, strict: bool = True) -> str | None:
    """Our metric name for a NASLib `Metric`; `macro` picks class-averaged accuracies
    (datasets named `*_macro`). A member no benchmark offers raises (None if not `strict`)."""
    if macro:
        metric = _MACRO.get(metric, metric)
    if metric in _NAMES:
        return _NAMES[metric]
    if not strict:
        return None
    raise UnknownMetricError(f"Metric.{metric.name} has no benchmark value; answerable: {sorted(m.name for m in _NAMES)}")


def from_metric_name(name: str) -> Metric:
    """The `Metric` member for one of our metric names."""
    for metric, ours in _NAMES.items():
        if ours == name:
            return metric
    raise UnknownMetricError(f"no Metric member for {name!r}; known names: {sorted(_NAMES.values())}")
