"""The Evaluator between optimizers and a benchmark: budget in distinct cells, cache, history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import logging

import numpy as np

from ..benchmarks.base import Benchmark
from ..errors import positive_int
from ..space import Cell, CellTable, all_cells
from .objectives import Objective, minimisation_form, parse_objectives


log = logging.getLogger(__name__)


class BudgetExhausted(Exception):
    """Raised when an optimizer asks for a new cell after the budget is spent."""


class Evaluator:
    """Evaluates cells (rows of `all_cells()`) on a benchmark for some objectives.

    Each distinct cell costs one unit of budget, once; repeated requests are answered from the
    cache for free. `history_rows` / `history_values` list every distinct evaluation in order.
    """

    def __init__(
        self,
        benchmark: Benchmark,
        objectives: Sequence[str | Objective],
        budget: int | None = None,
        epoch: int | None = None,
        space: CellTable | None = None,
    ) -> None:
        self.objectives = parse_objectives(objectives)
        self.space = space if space is not None else all_cells()
        if budget is not None:
            budget = positive_int(budget, "budget")
            if budget > len(self.space):
                log.warning("budget %d is more than the %d cells of the space; capped", budget, len(self.space))
                budget = len(self.space)
        self.benchmark = benchmark
        self.budget = budget
        self.epoch = epoch
        self._cache: dict[int, np.ndarray] = {}
        self.history_rows: list[int] = []

    # ------------------------------------------------------------------ budget
    @property
    def n_evaluations(self) -> int:
        return len(self.history_rows)

    @property
    def remaining(self) -> float:
        return float("inf") if self.budget is None else self.budget - self.n_evaluations

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    # ------------------------------------------------------------------ evaluation
    def row_of(self, cell: Cell | int | str) -> int:
        return self.space.row_of(cell)

    def is_evaluated(self, cell: Cell | int | str) -> bool:
        return self.row_of(cell) in self._cache

    def evaluate(self, cell: Cell | int | str) -> np.ndarray:
        """Objective values (natural directions) of one cell; new cells cost one unit of budget."""
        row = self.row_of(cell)
        cached = self._cache.get(row)
        if cached is not None:
            return cached
        if self.exhausted:
            raise BudgetExhausted(f"budget of {self.budget} evaluations is spent")
        values = np.array(
            [self.benchmark.query_rows(np.array([row]), o.metric, self.epoch)[0] for o in self.objectives]
        )
        self._cache[row] = values
        self.history_rows.append(row)
        return values

    def evaluate_many(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(n, m) values of many rows, evaluating new ones in order until the budget runs out.

        Rows beyond the budget are dropped: the result has one line per row actually answered.
        """
        answered = []
        for row in rows:
            try:
                answered.append(self.evaluate(int(row)))
            except BudgetExhausted:
                break
        return np.array(answered).reshape(len(answered), len(self.objectives))

    # ------------------------------------------------------------------ views
    def to_minimisation(self, values: np.ndarray) -> np.ndarray:
        """Objective values turned into minimisation form (maximised objectives negated)."""
        return minimisation_form(values, self.objectives)

    @property
    def history_values(self) -> np.ndarray:
        """(n, m) objective values of every distinct evaluation, in evaluation order."""
        if not self.history_rows:
            return np.empty((0, len(self.objectives)))
        return np.array([self._cache[r] for r in self.history_rows])

    def history_hashes(self) -> list[str]:
        return [str(self.space.hashes[r]) for r in self.history_rows]

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict[str, Any]:
        return {"rows": list(self.history_rows), "values": self.history_values.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history_rows = [int(r) for r in state["rows"]]
        self._cache = {r: np.asarray(v, dtype=float) for r, v in zip(self.history_rows, state["values"])}
