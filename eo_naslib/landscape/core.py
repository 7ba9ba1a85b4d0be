"""The landscape as arrays: fitness over all rows, a neighbour table and the direction of search."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..benchmarks.metrics import METRICS
from ..errors import ConfigError, UnknownMetricError
from ..space import all_cells, check_neighbourhood
from .graph import NeighbourGraph


@dataclass(frozen=True)
class Landscape:
    """(fitness, neighbour graph, maximise) plus the settings that produced it.

    `fitness` is (N,) float64, NaN where the value is unknown (tabular-only benchmarks).
    `score` is fitness oriented so that larger is better, -inf where unknown: the form every
    search routine works on. `known_graph` keeps only the edges into known cells.
    """

    fitness: np.ndarray
    graph: NeighbourGraph
    maximise: bool = True
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fitness.ndim != 1 or len(self.fitness) != len(self.graph):
            raise ConfigError(
                f"fitness {self.fitness.shape} and a graph of {len(self.graph)} rows do not align; "
                "pass (N,) fitness and a graph over the same rows"
            )

    def __len__(self) -> int:
        return len(self.fitness)

    @cached_property
    def known(self) -> np.ndarray:
        return ~np.isnan(self.fitness)

    @cached_property
    def complete(self) -> bool:
        return bool(self.known.all())

    @cached_property
    def score(self) -> np.ndarray:
        oriented = self.fitness if self.maximise else -self.fitness
        return np.where(np.isnan(oriented), -np.inf, oriented)

    @cached_property
    def known_graph(self) -> NeighbourGraph:
        return self.graph if self.complete else self.graph.restrict(self.known)


def from_benchmark(
    benchmark: Any,
    metric: str,
    epoch: int | None = None,
    neighbourhood: str = "edit",
    space: Any = None,
    maximise: bool | None = None,
    symmetric: bool = True,
) -> Landscape:
    """The landscape of `metric` at `epoch` of a `Benchmark` over the whole space.

    `symmetric` adds the reverse of every move of the space's table (see `graph`).
    """
    check_neighbourhood(neighbourhood)
    if metric not in benchmark.metrics:
        raise UnknownMetricError(
            f"{benchmark.name} has no metric {metric!r}; choose one of {list(benchmark.metrics)}"
        )
    space = space if space is not None else all_cells()
    epoch = benchmark.default_epoch if epoch is None else epoch
    fitness = np.asarray(benchmark.values(metric, epoch), dtype=np.float64)
    if maximise is None:
        maximise = METRICS[metric].maximise if metric in METRICS else True
    settings = {
        "benchmark": benchmark.name,
        "metric": metric,
        "epoch": int(epoch),
        "neighbourhood": neighbourhood,
        "symmetric": bool(symmetric),
        "maximise": bool(maximise),
        "surrogate": bool(getattr(benchmark, "surrogate", False)),
        "known_cells": int(np.isfinite(fitness).sum()),
    }
    graph = NeighbourGraph.from_space(space, neighbourhood, symmetric)
    return Landscape(fitness, graph, bool(maximise), settings)
