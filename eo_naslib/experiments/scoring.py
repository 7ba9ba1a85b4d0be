"""Scores of a run's front: best value per objective, hypervolume, IGD+, mean Pareto distance.

With constraints only feasible evaluations are scored (no feasible one: hypervolume 0, the best
values and IGD+ NaN, front size 0) and the reference front is the whole space's feasible front.

Hypervolume and IGD+ use fixed, documented normalisation: bounds are the least and greatest value
of each objective (minimisation form) over the whole space of the target benchmark (surrogate-
completed), the hypervolume reference point is `pareto.REFERENCE_POINT` (1.1) per normalised
objective, and IGD+ is measured against the whole space's true non-dominated front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..benchmarks.base import Benchmark
from ..search import Objective, minimisation_form
from ..search.constraints import Constraint, total_violation
from ..search.pareto import Bounds, igd_plus, mean_pareto_distance, non_dominated, normalised_hypervolume
from ..space import CellTable


def score_names(objectives: Sequence[Objective]) -> list[str]:
    """Column names of `Scorer.score`, in order."""
    return [f"best_{o.metric}" for o in objectives] + ["hypervolume", "igd_plus", "mean_pareto_distance", "front_size"]


@dataclass(frozen=True)
class Scorer:
    objectives: tuple[Objective, ...]
    space: CellTable
    bounds: Bounds
    reference_front: np.ndarray  #: normalised minimisation values of the whole space's front

    @classmethod
    def for_benchmark(
        cls,
        benchmark: Benchmark,
        objectives: Sequence[Objective],
        space: CellTable,
        epoch: int | None = None,
        constraints: Sequence[Constraint] = (),
    ) -> Scorer:
        """Bounds from the benchmark's values over every cell (unknown cells skipped), the true
        front over the cells meeting `constraints` (every cell without)."""
        objectives = tuple(objectives)
        natural = np.stack([np.asarray(benchmark.values(o.metric, epoch), dtype=float) for o in objectives], axis=1)
        F = minimisation_form(natural, objectives)
        known = np.isfinite(F).all(axis=1)
        bounds = Bounds.of(F[known])
        if constraints:
            limits = np.stack([np.asarray(benchmark.values(c.metric, epoch), dtype=float) for c in constraints], axis=1)
            known &= total_violation(constraints, limits) == 0
        F = F[known]
        return cls(objectives, space, bounds, bounds.normalise(F[non_dominated(F)]))

    def minimisation(self, values: np.ndarray) -> np.ndarray:
        return minimisation_form(values, self.objectives)

    def true_front(self) -> np.ndarray:
        """The whole space's non-dominated values in natural directions."""
        return self.minimisation(self.bounds.denormalise(self.reference_front))

    def front(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Indices of the non-dominated evaluations among (rows, natural values)."""
        return np.flatnonzero(non_dominated(self.minimisation(values)))

    def score(self, rows: np.ndarray, values: np.ndarray, feasible: np.ndarray | None = None) -> dict[str, float]:
        """Scores of the front of the evaluations (rows, natural values), of the `feasible` ones only when given."""
        rows, values = np.asarray(rows), np.asarray(values, dtype=float)
        if feasible is not None:
            keep = np.asarray(feasible, dtype=bool)
            rows, values = rows[keep], values[keep]
            if len(rows) == 0:
                nothing = {f"best_{o.metric}": float("nan") for o in self.objectives}
                return {**nothing, "hypervolume": 0.0, "igd_plus": float("nan"), "mean_pareto_distance": 0.0, "front_size": 0.0}
        front = self.front(rows, values)
        F = self.minimisation(values[front])
        best = self.minimisation(F.min(axis=0)[None])[0]  # back to natural directions
        scores = {f"best_{o.metric}": float(b) for o, b in zip(self.objectives, best)}
        normalised = self.bounds.normalise(F)
        scores["hypervolume"] = normalised_hypervolume(F, self.bounds)
        scores["igd_plus"] = igd_plus(normalised, self.reference_front) if len(self.reference_front) else float("nan")
        scores["mean_pareto_distance"] = mean_pareto_distance(self.space.encode("long", rows[front]))
        scores["front_size"] = float(len(front))
        return scores
