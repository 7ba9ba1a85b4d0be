"""Baseline optimizers with NASLib's names and config keys: random search, regularized evolution,
local search. Budget and de-duplication come from the shared `Evaluator` (distinct cells).
With constraints, cells compare feasibility first: (total violation, first objective).

With a search domain (`Evaluator.domain`, e.g. `measured_only`) random cells are drawn uniformly
from the domain, a mutant outside it is redrawn from the same parent until it is a domain cell not
evaluated yet (up to `DOMAIN_TRIES` times, then it is a random such cell; the NASLib bridge's
measured-only space accepts any measured cell instead) and local search steps only to
neighbours inside it.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar


from ..errors import positive_int
from ..space import check_neighbourhood, mutate, random_cell
from .base import SearchOptimizer
from .evaluator import DOMAIN_TRIES


class _SingleObjective(SearchOptimizer):
    """Helpers for optimizers that rank cells by the first objective."""

    def _score(self, row: int) -> tuple[float, float]:
        """Key to minimise of an evaluated row: (constraint violation, first objective in
        minimisation form), so feasible cells come first (violation 0 without constraints)."""
        value = float(self.evaluator.to_minimisation(self.evaluator.evaluate(row))[0])
        return float(self.evaluator.violation([row])[0]), value

    def _random_row(self) -> int:
        """NASLib's sampler; uniform over the domain when the search has one."""
        if self.evaluator.domain is None:
            return self.evaluator.space.row_of(random_cell(self.rng))
        return int(self.evaluator.random_rows(1, self.rng)[0])

    def _mutant(self, parent: int) -> int:
        """Row of an NB101 mutation of `parent`, redrawn into the domain (see the module docstring)."""
        space = self.evaluator.space
        child = space.row_of(mutate(space.cell(parent), self.rng))
        if self.evaluator.allows([child])[0]:
            return child
        for _ in range(DOMAIN_TRIES):
            child = space.row_of(mutate(space.cell(parent), self.rng))
            if self.evaluator.is_new(child):
                return child
        return self.evaluator.random_new_row(self.rng)

    def _evaluate_new(self, row: int) -> bool:
        """Evaluate `row`; True when it cost budget (a new distinct cell, or any evaluation with
        budget_counts="evaluations")."""
        before = self.evaluator.spent
        self.evaluator.evaluate(row)
        return self.evaluator.spent > before


class RandomSearch(_SingleObjective):
    """NASLib `rs`: cells drawn with NASLib's sampler until the budget is spent."""

    name: ClassVar[str] = "rs"
    budget_semantics: ClassVar[tuple[str, ...]] = ("distinct", "evaluations")

    def step(self) -> None:
        while not self._evaluate_new(self._random_row()):
            pass

    def _state(self) -> dict[str, Any]:
        return {}

    def _load_state(self, state: dict[str, Any]) -> None:
        pass


class RegularizedEvolution(_SingleObjective):
    """NASLib `re` (aging evolution, Real et al. 2019): a FIFO population of `population_size`
    filled with random cells; then the best of `sample_size` members drawn with replacement is
    mutated, the child joins and the oldest member leaves."""

    name: ClassVar[str] = "re"
    defaults: ClassVar[dict[str, Any]] = {"population_size": 50, "sample_size": 10}

    def __init__(self, evaluator, seed=None, **params: Any) -> None:
        super().__init__(evaluator, seed, **params)
        for key in ("population_size", "sample_size"):
            positive_int(self.params[key], f"search.{key}")
        self._check_fits_domain("population_size")
        self.population: deque[int] = deque(maxlen=int(self.params["population_size"]))

    def step(self) -> None:
        new = False
        while not new:
            if len(self.population) < self.population.maxlen:
                child = self._random_row()
            else:
                picks = self.rng.integers(0, len(self.population), size=int(self.params["sample_size"]))
                parent = min((self.population[i] for i in picks), key=self._score)
                child = self._mutant(parent)
            new = self._evaluate_new(child)
            self.population.append(child)

    def _state(self) -> dict[str, Any]:
        return {"population": list(self.population)}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.population.clear()
        self.population.extend(int(r) for r in state["population"])


class LocalSearch(_SingleObjective):
    """NASLib `ls`: `num_init` random cells, then first-improvement local search from the best:
    its neighbours are tried one per step in random order; a better neighbour becomes the centre;
    when none is better (a local optimum) the search restarts from a random cell."""

    name: ClassVar[str] = "ls"
    defaults: ClassVar[dict[str, Any]] = {"num_init": 10, "neighbourhood": "edit"}

    def __init__(self, evaluator, seed=None, **params: Any) -> None:
        super().__init__(evaluator, seed, **params)
        check_neighbourhood(self.params["neighbourhood"], "search.neighbourhood")
        positive_int(self.params["num_init"], "search.num_init")
        self.centre: int | None = None
        self.pending: list[int] = []
        self.n_init_done = 0

    def _set_centre(self, row: int) -> None:
        self.centre = row
        neighbours = self.evaluator.space.neighbours_of(row, self.params["neighbourhood"])
        neighbours = neighbours[self.evaluator.allows(neighbours)]
        self.pending = [int(r) for r in self.rng.permutation(neighbours)]

    def step(self) -> None:
        while True:
            if self.n_init_done < int(self.params["num_init"]):
                self.n_init_done += 1
                if self._evaluate_new(self._random_row()):
                    return
                continue
            if self.centre is None:
                self._set_centre(self.incumbent())
            if not self.pending:  # local optimum: restart from a random cell
                row = self._random_row()
                new = self._evaluate_new(row)
                self._set_centre(row)
                if new:
                    return
                continue
            candidate = self.pending.pop()
            new = self._evaluate_new(candidate)
            if self._score(candidate) < self._score(self.centre):
                self._set_centre(candidate)
            if new:
                return

    def _state(self) -> dict[str, Any]:
        return {"centre": self.centre, "pending": list(self.pending), "n_init_done": self.n_init_done}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.centre = state["centre"]
        self.pending = [int(r) for r in state["pending"]]
        self.n_init_done = int(state["n_init_done"])
