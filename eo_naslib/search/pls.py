"""Pareto Local Search (Paquete et al.; Dubois-Lacoste et al. 2012), the optimizer of seed 000.

An archive holds the non-dominated evaluated cells (strict dominance: equal objective vectors all
stay) and a FIFO queue holds the archive members whose neighbourhood is still unexplored. One step
(an iteration) explores the whole neighbourhood of the next queued member: every neighbour not yet
evaluated is evaluated (each distinct cell costs one unit of budget, once, through the Evaluator),
then the archive becomes the non-dominated set of itself and the new cells, and the new members
join the queue. When the queue runs dry before the budget does, the search restarts: a random
unevaluated cell and its whole neighbourhood are evaluated (seed 000's PLS would idle instead).
Since every evaluated cell is offered to the archive, the archive is always the non-dominated
set of all evaluations so far. With a search domain (`Evaluator.domain`, e.g. `measured_only`)
neighbourhoods are those of the subgraph the domain induces, and restarts draw from the domain.
With constraints (`Evaluator.constraints`) the archive keeps the cells no other beats under
feasibility-first comparison (`pareto.feasible_first`): the feasible non-dominated cells once one
is found, until then the non-dominated cells of least violation, whose neighbourhoods lead
towards feasibility.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, positive_int
from ..space import check_neighbourhood
from .base import SearchOptimizer
from .evaluator import BudgetExhausted, Evaluator
from .init import INIT_DEFAULTS, Initialiser, build_initialiser
from .pareto import feasible_first


class ParetoLocalSearch(SearchOptimizer):
    """`pls`: search keys `init` (`random` | `lhs` | `clusters` | `surrogate_front`, with their keys:
    see `init.build_initialiser`), `n_init` (N start cells), `neighbourhood` (`edit` | `hamming`;
    the symmetric relation, see `eo_naslib.space.neighbourhoods`).
    """

    name: ClassVar[str] = "pls"
    defaults: ClassVar[dict[str, Any]] = {**INIT_DEFAULTS, "n_init": 20, "neighbourhood": "edit"}
    #: objectives after the accuracy when a config names none (read by the NASLib-style runner)
    cost_objectives: ClassVar[tuple[str, ...]] = ("train_time_s:min",)

    def __init__(self, evaluator: Evaluator, seed: int | np.random.Generator | None = None, **params: Any) -> None:
        super().__init__(evaluator, seed, **params)
        p = self.params
        check_neighbourhood(p["neighbourhood"], "search.neighbourhood")
        for key in ("n_init", "n_train"):
            positive_int(p[key], f"search.{key}")
        if len(evaluator.objectives) < 2:
            raise ConfigError(
                f"pls needs at least two objectives, got {[o.metric for o in evaluator.objectives]}; "
                "set search.objectives, e.g. [val_accuracy, train_time_s:min]"
            )
        self.initialiser: Initialiser = build_initialiser(**{k: p[k] for k in INIT_DEFAULTS})
        self.started = False
        self.archive_rows = np.empty(0, dtype=np.int64)
        self.archive_values = np.empty((0, len(evaluator.objectives)))  # minimisation form
        self.queue: deque[int] = deque()
        #: (evaluations so far, archive rows) after every iteration
        self.archive_log: list[tuple[int, list[int]]] = []
        self._evaluated = np.zeros(len(evaluator.space), dtype=bool)
        self._n_marked = 0

    # ------------------------------------------------------------------ search
    def step(self) -> None:
        if self.evaluator.exhausted:
            raise BudgetExhausted(f"budget of {self.evaluator.budget} evaluations is spent")
        if not self.started:
            self.started = True
            rows = np.asarray(self.initialiser(self.evaluator, int(self.params["n_init"]), self.rng), dtype=np.int64)
            self.initial_rows = rows.tolist()
            if self._offer(rows):
                return
        while self.queue:
            member = self.queue.popleft()
            if self._offer(self._neighbours(member)):
                return
        self._restart()

    def _neighbours(self, row: int) -> np.ndarray:
        neighbours = self.evaluator.space.neighbours_of(row, self.params["neighbourhood"])
        return self.rng.permutation(neighbours[self.evaluator.allows(neighbours)]).astype(np.int64)

    def _restart(self) -> None:
        """The queue is empty but budget is left: evaluate a random unevaluated cell and its
        neighbourhood (whether or not the cell enters the archive), a kick to a new region."""
        evaluated = self._evaluated_mask()
        domain = self.evaluator.domain
        if domain is not None:
            left = domain[~evaluated[domain]]
            if len(left) == 0:
                raise BudgetExhausted("every cell of the search domain has been evaluated")
            row = int(left[self.rng.integers(len(left))])
        else:
            if evaluated.all():
                raise BudgetExhausted("every cell of the space has been evaluated")
            row = int(self.rng.integers(len(evaluated)))
            while evaluated[row]:
                row = int(self.rng.integers(len(evaluated)))
        self._offer(np.array([row], dtype=np.int64))
        if not self.evaluator.exhausted:
            self._offer(self._neighbours(row))

    def _offer(self, rows: np.ndarray) -> bool:
        """Evaluate the unevaluated `rows` (as many as the budget allows) and update the archive;
        True when at least one new cell was evaluated."""
        rows = rows[~self._evaluated_mask()[rows]]
        rows = rows[: int(min(len(rows), self.evaluator.remaining))]
        if len(rows) == 0:
            return False
        values = self.evaluator.to_minimisation(self.evaluator.evaluate_many(rows))
        all_rows = np.concatenate([self.archive_rows, rows])
        all_values = np.concatenate([self.archive_values, values])
        keep = feasible_first(all_values, self.evaluator.violation(all_rows))
        self.archive_rows, self.archive_values = all_rows[keep], all_values[keep]
        members = set(self.archive_rows.tolist())
        self.queue = deque(r for r in self.queue if r in members)
        self.queue.extend(int(r) for r in rows[keep[len(keep) - len(rows) :]])
        self.archive_log.append((self.evaluator.n_evaluations, self.archive_rows.tolist()))
        return True

    def _evaluated_mask(self) -> np.ndarray:
        """Boolean mask over the space of evaluated rows, synced with the evaluator's history."""
        history = self.evaluator.history_rows
        if not 0 <= self._n_marked <= len(history):  # after a resume
            self._evaluated[:] = False
            self._n_marked = 0
        self._evaluated[np.asarray(history[self._n_marked :], dtype=np.int64)] = True
        self._n_marked = len(history)
        return self._evaluated

    # ------------------------------------------------------------------ results
    def front(self) -> tuple[list[int], np.ndarray]:
        """The archive's feasible cells (all of it without constraints; none before a feasible cell
        is found): rows and objective values in their natural directions."""
        feasible = self.evaluator.violation(self.archive_rows) == 0
        natural = self.evaluator.to_minimisation(self.archive_values[feasible])  # the sign flip is its own inverse
        return self.archive_rows[feasible].tolist(), natural

    def _state(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "archive_rows": self.archive_rows.tolist(),
            "queue": list(self.queue),
            "archive_log": [[n, rows] for n, rows in self.archive_log],
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.started = bool(state["started"])
        self.archive_rows = np.asarray(state["archive_rows"], dtype=np.int64)
        self.archive_values = self.evaluator.to_minimisation(self.evaluator.evaluate_many(self.archive_rows))
        self.queue = deque(int(r) for r in state["queue"])
        self.archive_log = [(int(n), [int(r) for r in rows]) for n, rows in state["archive_log"]]
        self._n_marked = -1
