"""Search: the Evaluator, our optimizers and their registry."""

from __future__ import annotations

from .base import SearchOptimizer
from .baselines import LocalSearch, RandomSearch, RegularizedEvolution
from .evaluator import BudgetExhausted, Evaluator, Objective
from .pls import ParetoLocalSearch

OPTIMIZERS: dict[str, type[SearchOptimizer]] = {
    cls.name: cls for cls in (RandomSearch, RegularizedEvolution, LocalSearch, ParetoLocalSearch)
}


def register_optimizer(cls: type[SearchOptimizer]) -> type[SearchOptimizer]:
    """Make an optimizer available to the runner under `cls.name` (usable as a decorator)."""
    OPTIMIZERS[cls.name] = cls
    return cls


__all__ = [
    "OPTIMIZERS",
    "BudgetExhausted",
    "Evaluator",
    "LocalSearch",
    "Objective",
    "ParetoLocalSearch",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchOptimizer",
    "register_optimizer",
]
