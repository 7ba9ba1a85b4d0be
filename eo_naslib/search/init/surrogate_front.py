"""Data-centric initialisation (seed 000): start from the Pareto front predicted by surrogates.

One XGBoost surrogate per objective (accuracy and cost) is fitted on `n_train` measured cells of a
source benchmark (NB101 CIFAR-10 by default; the EO benchmark works too), the whole space is
predicted, and the start cells are drawn from the predicted non-dominated front. Seed 000's budget
rule: a random start is given `n_train` extra evaluations to compare at equal cost. With a search
domain (`Evaluator.domain`, e.g. `measured_only`) the fronts are those of the domain's cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...benchmarks.base import Benchmark
from ...benchmarks.datasets import open_benchmark
from ...benchmarks.surrogate import cell_features, fit_regressor
from ...errors import ConfigError
from ...space import CellTable
from ..evaluator import Evaluator
from ..objectives import Objective
from ..pareto import non_dominated


@dataclass(frozen=True)
class PredictedFront:
    """Surrogate predictions over the whole space (minimisation form) and their front."""

    train_rows: np.ndarray  #: the source cells the surrogates were fitted on
    predicted: np.ndarray  #: (len(space), m) predicted objective values, minimisation form
    front_rows: np.ndarray  #: rows of the predicted non-dominated front


def predicted_front(
    source: Benchmark,
    objectives: Sequence[str | Objective],
    space: CellTable,
    n_train: int,
    rng: np.random.Generator,
) -> PredictedFront:
    """Fit one surrogate per objective on `n_train` random measured cells of `source`, predict
    every row of `space`, and take the predicted non-dominated front."""
    objectives = [Objective.parse(o) for o in objectives]
    measured = space.indices(source.measured_hashes())
    if not 1 <= n_train <= len(measured):
        raise ConfigError(
            f"search.n_train {n_train} must be between 1 and the {len(measured)} measured cells of "
            f"benchmark {source.name!r}; lower n_train or use a larger source benchmark"
        )
    train_rows = np.sort(rng.choice(measured, size=n_train, replace=False))
    X_train, X_all = cell_features(space, train_rows), cell_features(space)
    columns = []
    for objective in objectives:
        y = np.asarray(source.query_rows(train_rows, objective.metric), dtype=float)
        model = fit_regressor(X_train, y, seed=int(rng.integers(2**31)))
        columns.append(objective.sign * model.predict(X_all).astype(float))
    predicted = np.stack(columns, axis=1)
    return PredictedFront(train_rows, predicted, np.flatnonzero(non_dominated(predicted)))


def choose_from_fronts(predicted: np.ndarray, front_rows: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` rows drawn at random from the predicted front; when the front is smaller than `n`, all
    of it plus rows from the next non-dominated fronts (peeled one at a time), the last one sampled."""
    chosen: list[np.ndarray] = []
    remaining = np.ones(len(predicted), dtype=bool)
    front = front_rows
    while True:
        need = n - sum(len(c) for c in chosen)
        if len(front) >= need:
            chosen.append(rng.choice(front, size=need, replace=False))
            return np.concatenate(chosen)
        chosen.append(front)
        remaining[front] = False
        rest = np.flatnonzero(remaining)
        if len(rest) == 0:
            return np.concatenate(chosen)
        front = rest[non_dominated(predicted[rest])]


@dataclass
class SurrogateFront:
    """Initialiser: `n` cells of the front predicted from `n_train` cells of `source`.

    `objectives` are the source metrics (accuracy, cost) with directions; None means the target
    evaluator's objectives. `source` is a benchmark name (opened from `data_dir`) or a `Benchmark`;
    the target benchmark itself is reused when the names match.
    """

    source: str | Benchmark = "cifar10"
    objectives: Sequence[str | Objective] | None = None
    n_train: int = 2000
    data_dir: str | None = None
    last: PredictedFront | None = None

    def source_benchmark(self, evaluator: Evaluator) -> Benchmark:
        if not isinstance(self.source, str):
            return self.source
        if getattr(evaluator.benchmark, "name", None) == self.source:
            return evaluator.benchmark
        return open_benchmark(self.source, self.data_dir)

    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray:
        objectives = self.objectives or evaluator.objectives
        self.last = predicted_front(self.source_benchmark(evaluator), objectives, evaluator.space, self.n_train, rng)
        if evaluator.domain is None:
            return choose_from_fronts(self.last.predicted, self.last.front_rows, n, rng)
        predicted = self.last.predicted[evaluator.domain]
        front = np.flatnonzero(non_dominated(predicted))
        return evaluator.domain[choose_from_fronts(predicted, front, n, rng)]
