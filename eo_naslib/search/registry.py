"""The optimizers the runner, experiments and `minimize` know by name."""

from __future__ import annotations

from .base import SearchOptimizer
from .baselines import LocalSearch, RandomSearch, RegularizedEvolution
from .evolution import AgingEvolution, GeneticAlgorithm, MuPlusLambda
from .moea import PymooSearch
from .pls import ParetoLocalSearch


OPTIMIZERS: dict[str, type[SearchOptimizer]] = {
    cls.name: cls
    for cls in (
        RandomSearch,
        RegularizedEvolution,
        LocalSearch,
        ParetoLocalSearch,
        GeneticAlgorithm,
        MuPlusLambda,
        AgingEvolution,
        PymooSearch,
    )
}


def register_optimizer(cls: type[SearchOptimizer]) -> type[SearchOptimizer]:
    """Make an optimizer available to the runner under `cls.name` (usable as a decorator)."""
    OPTIMIZERS[cls.name] = cls
    return cls
