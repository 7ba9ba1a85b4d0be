"""Base class of our optimizers: propose cells, evaluate them through an Evaluator, keep state."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError
from ..space import as_generator
from .evaluator import BudgetExhausted, Evaluator


class SearchOptimizer(ABC):
    """An optimizer over rows of `all_cells()`.

    Hyperparameters come in `__init__` (NASLib's `search:` config keys), no work happens there.
    All randomness comes from `self.rng`, and `state_dict()` captures everything (rng state
    included, JSON-serialisable), so a run resumed from a checkpoint continues exactly.
    """

    name: ClassVar[str]
    #: the `search:` config keys this optimizer reads, with defaults
    defaults: ClassVar[dict[str, Any]] = {}
    #: the budget semantics (`Evaluator.budget_counts`) the optimizer supports: "evaluations" only
    #: where every evaluation it asks for is one the method itself counts (no cache look-ups)
    budget_semantics: ClassVar[tuple[str, ...]] = ("distinct",)

    def __init__(self, evaluator: Evaluator, seed: int | np.random.Generator | None = None, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ConfigError(
                f"unknown search key(s) {sorted(unknown)} for optimizer {self.name!r}; "
                f"allowed: {sorted(self.defaults)}"
            )
        if evaluator.budget_counts not in self.budget_semantics:
            raise ConfigError(
                f"optimizer {self.name!r} counts its budget as {' or '.join(self.budget_semantics)}, not "
                f"{evaluator.budget_counts!r}; set budget_counts: distinct"
            )
        self.evaluator = evaluator
        self.rng = as_generator(seed)
        self.params = {**self.defaults, **params}
        #: rows an initialiser proposed (the initial population or start cells), for reports
        self.initial_rows: list[int] = []

    @abstractmethod
    def step(self) -> None:
        """Evaluate at least one new distinct cell (raises `BudgetExhausted` when the budget is spent)."""

    def run(self, callback: Any = None) -> None:
        """Step until the budget is spent; `callback(self)` after every step."""
        while not self.evaluator.exhausted:
            try:
                self.step()
            except BudgetExhausted:
                break
            if callback is not None:
                callback(self)

    def _check_fits_domain(self, key: str) -> None:
        """A `ConfigError` when search key `key` (a population size) exceeds the search domain."""
        if int(self.params[key]) > self.evaluator.size:
            domain = "search domain (measured_only: the cells the benchmark measured)" if self.evaluator.domain is not None else "space"
            raise ConfigError(f"search.{key} {self.params[key]} is more than the {self.evaluator.size} cells of the {domain}; lower search.{key}")

    def incumbent(self) -> int:
        """Row of the best cell so far on the first objective, feasible cells first (then the
        least constraint violation; the first one on ties)."""
        values = self.evaluator.to_minimisation(self.evaluator.history_values)[:, 0]
        return self.evaluator.history_rows[int(np.lexsort((values, self.evaluator.history_violation))[0])]

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "initial_rows": list(self.initial_rows), **self._state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.initial_rows = [int(r) for r in state.get("initial_rows", [])]
        self._load_state(state)

    @abstractmethod
    def _state(self) -> dict[str, Any]:
        """Optimizer-specific JSON-serialisable state (population, archive, ...)."""

    @abstractmethod
    def _load_state(self, state: dict[str, Any]) -> None: ...
