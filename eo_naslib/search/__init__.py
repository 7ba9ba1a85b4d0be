"""Search: `minimize` (the front door), the Evaluator, objectives, our optimizers and their registry."""

from __future__ import annotations

from .base import SearchOptimizer
from .baselines import LocalSearch, RandomSearch, RegularizedEvolution
from .constraints import Constraint, parse_constraints
from .evaluator import BUDGET_COUNTS, BudgetExhausted, Evaluator, ReplayMismatch, check_budget_counts
from .evolution import AgingEvolution, GeneticAlgorithm, MuPlusLambda
from .minimize import Search, minimize, optimizer_class
from .moea import PymooSearch
from .objectives import Objective, minimisation_form, parse_objectives
from .pls import ParetoLocalSearch
from .registry import OPTIMIZERS, register_optimizer
from .result import SearchResult

__all__ = [
    "BUDGET_COUNTS",
    "OPTIMIZERS",
    "AgingEvolution",
    "BudgetExhausted",
    "Constraint",
    "Evaluator",
    "ReplayMismatch",
    "GeneticAlgorithm",
    "LocalSearch",
    "MuPlusLambda",
    "Objective",
    "ParetoLocalSearch",
    "PymooSearch",
    "RandomSearch",
    "RegularizedEvolution",
    "Search",
    "SearchOptimizer",
    "SearchResult",
    "check_budget_counts",
    "minimisation_form",
    "minimize",
    "optimizer_class",
    "parse_constraints",
    "parse_objectives",
    "register_optimizer",
]
