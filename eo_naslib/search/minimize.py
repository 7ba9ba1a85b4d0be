"""The front door of search: `minimize(benchmark, optimizer, objectives, budget, seed=...)`.

As pymoo's `minimize(problem, algorithm, termination, seed)`: the benchmark is the problem, the
optimizer (a registered name or class) the algorithm, the budget the termination: distinct cells
(`budget_counts="distinct"`, the default) or every evaluation asked for (``"evaluations"``). `Search` is the same wiring, stepwise, for callers that drive a search themselves
(NASLib's epoch loop, checkpointing runners).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..benchmarks import load_benchmark
from ..benchmarks.base import Benchmark
from ..errors import ConfigError
from ..space import CellTable, all_cells
from .base import SearchOptimizer
from .constraints import Constraint, parse_constraints, total_violation
from .evaluator import Evaluator, domain_rows, measured_rows
from .objectives import Objective
from .registry import OPTIMIZERS
from .result import SearchResult
from .uncertainty import objective_uncertainty

log = logging.getLogger(__name__)


def optimizer_class(optimizer: str | type[SearchOptimizer]) -> type[SearchOptimizer]:
    """A registered optimizer by name, or the class itself."""
    if isinstance(optimizer, type) and issubclass(optimizer, SearchOptimizer):
        return optimizer
    try:
        return OPTIMIZERS[optimizer]
    except (KeyError, TypeError):
        raise ConfigError(f"optimizer {optimizer!r} is unknown; allowed: {sorted(OPTIMIZERS)}") from None


def as_benchmark(benchmark: Benchmark | str) -> Benchmark:
    """`benchmark` itself, or the stored benchmark of that name (`load_benchmark(name)`, with its
    surrogate); anything that cannot answer queries raises `ConfigError`."""
    if isinstance(benchmark, str):
        return load_benchmark(benchmark)
    if not callable(getattr(benchmark, "query_rows", None)):
        raise ConfigError(
            f"benchmark {benchmark!r} is not a benchmark; pass load_benchmark('so2sat') (or its name, 'so2sat')"
        )
    return benchmark


def search_domain(
    benchmark: Benchmark,
    objectives: Sequence[str | Objective],
    space: CellTable,
    epoch: int | None,
    measured_only: bool,
    domain: Sequence[int | str] | np.ndarray | None,
) -> np.ndarray | None:
    """The rows a search may evaluate: `domain` (rows or hashes), with `measured_only` only those
    the benchmark measured for every objective; None for the whole space."""
    if not isinstance(measured_only, (bool, np.bool_)):
        raise ConfigError(f"measured_only must be true or false, got {measured_only!r}")
    rows = None if domain is None else domain_rows(domain, space)
    if not measured_only:
        return rows
    measured = measured_rows(benchmark, objectives, space, epoch)
    if rows is not None:
        measured = np.intersect1d(measured, rows)
    if len(measured) == 0:
        metrics = [Objective.parse(o).metric for o in objectives]
        raise ConfigError(
            f"measured_only: benchmark {getattr(benchmark, 'name', benchmark)!r} measured no cell "
            f"{'of the domain ' if rows is not None else ''}for all of {metrics}; set measured_only false "
            "or choose objectives it measured"
        )
    log.info("measured_only: the search draws from the %d measured cells", len(measured))
    return measured


def measured_feasible(
    benchmark: Benchmark, constraints: Sequence[Constraint], space: CellTable, epoch: int | None
) -> int:
    """How many cells the benchmark measured (every constraint metric) meet all `constraints`."""
    rows = measured_rows(benchmark, list(dict.fromkeys(c.metric for c in constraints)), space, epoch)
    if len(rows) == 0:
        return 0
    values = np.column_stack([benchmark.query_rows(rows, c.metric, epoch) for c in constraints])
    return int(np.count_nonzero(total_violation(constraints, values) == 0))


class Search:
    """A benchmark, objectives, budget and optimizer wired together; step it or run it.

    `measured_only` restricts the search to the cells the benchmark measured for every objective
    (no surrogate predictions); `domain` (rows or hashes) to any set of cells. Both cap the budget
    at the domain's size (see `Evaluator`). `budget_counts` says what the budget counts (see
    `Evaluator`): "distinct" cells (default) or "evaluations", repeats included. `constraints`
    (e.g. `["latency_ms <= 5", "params <= 2e6"]`) make every optimizer prefer feasible cells; a
    warning says so up front when no cell the benchmark measured meets them."""

    def __init__(
        self,
        benchmark: Benchmark | str,
        optimizer: str | type[SearchOptimizer],
        objectives: Sequence[str | Objective],
        budget: int,
        seed: int | np.random.Generator | None = None,
        init: str | None = None,
        space: CellTable | None = None,
        epoch: int | None = None,
        measured_only: bool = False,
        domain: Sequence[int | str] | np.ndarray | None = None,
        budget_counts: str = "distinct",
        constraints: Sequence[str | Constraint] | None = None,
        **params: Any,
    ) -> None:
        cls = optimizer_class(optimizer)
        if init is not None:
            params["init"] = init
        if space is not None and not isinstance(space, CellTable):
            raise ConfigError(f"space must be a CellTable (e.g. eo_naslib.space.all_cells()) or None, got {space!r}")
        benchmark = as_benchmark(benchmark)
        self.benchmark = benchmark
        self.seed = seed if isinstance(seed, (int, np.integer)) else None
        space = space if space is not None else all_cells()
        constraints = parse_constraints(constraints, getattr(benchmark, "metrics", None))
        rows = search_domain(benchmark, objectives, space, epoch, measured_only, domain)
        self.evaluator = Evaluator(
            benchmark, objectives, budget=budget, epoch=epoch, space=space, domain=rows, budget_counts=budget_counts,
            constraints=constraints,
        )
        #: measured cells of the benchmark meeting the constraints (None without constraints)
        self.measured_feasible = measured_feasible(benchmark, constraints, space, epoch) if constraints else None
        if self.measured_feasible == 0:
            log.warning(
                "no cell benchmark %r measured meets %s; the search may find no feasible cell",
                getattr(benchmark, "name", benchmark), [c.text for c in constraints],
            )
        self.optimizer = cls(self.evaluator, seed=seed, **params)
        self.runtime_s = 0.0

    def run(self, callback: Callable[[SearchOptimizer], None] | None = None) -> SearchResult:
        """Step until the budget is spent (`callback(optimizer)` after each step); the result."""
        began = time.perf_counter()
        self.optimizer.run(callback)
        self.runtime_s += time.perf_counter() - began
        log.info("%s: %d evaluations in %.2f s", self.optimizer.name, self.evaluator.n_evaluations, self.runtime_s)
        return self.result()

    def result(self) -> SearchResult:
        """The evaluations so far as a `SearchResult`."""
        evaluator, space = self.evaluator, self.evaluator.space
        rows = np.asarray(evaluator.history_rows, dtype=np.int64)
        cells = tuple(space.cell(int(r)) for r in rows)
        measured = np.array(
            [all(self.benchmark.is_measured(c.hash, o.metric) for o in evaluator.objectives) for c in cells], dtype=bool
        )
        initial = np.flatnonzero(np.isin(rows, np.asarray(self.optimizer.initial_rows, dtype=np.int64)))
        std, multipliers = objective_uncertainty(self.benchmark, rows, evaluator.objectives, evaluator.epoch)
        return SearchResult(
            optimizer=self.optimizer.name,
            benchmark=str(getattr(self.benchmark, "name", type(self.benchmark).__name__)),
            objectives=evaluator.objectives,
            cells=cells,
            values=evaluator.history_values,
            measured=measured,
            seed=self.seed,
            budget=evaluator.budget,
            runtime_s=self.runtime_s,
            initial=initial,
            budget_counts=evaluator.budget_counts,
            spent=evaluator.spent,
            std=std,
            interval_multipliers=multipliers,
            constraints=evaluator.constraints,
            constraint_values=evaluator.constraint_values(rows) if evaluator.constraints else None,
            measured_feasible=self.measured_feasible,
        )


def minimize(
    benchmark: Benchmark | str,
    optimizer: str | type[SearchOptimizer],
    objectives: Sequence[str | Objective],
    budget: int,
    seed: int | np.random.Generator | None = None,
    budget_counts: str = "distinct",
    **options: Any,
) -> SearchResult:
    """Search `benchmark` (a benchmark or a stored benchmark's name) with `optimizer` for `budget`
    distinct cells (or, with `budget_counts="evaluations"`, `budget` evaluations, repeats
    included); the `SearchResult`.

    >>> result = minimize(load_benchmark("so2sat"), "pls", ["val_accuracy", "train_time_s:min"], 500, seed=0)
    >>> result.plot()

    `options` are `Search`'s: `init` (the initialiser: `random`, `lhs`, `clusters`,
    `surrogate_front`), `space`, `epoch` (the fidelity), `measured_only` (only cells the benchmark
    measured), `domain` (rows or hashes to search among), `constraints` (e.g.
    `["latency_ms <= 5", "params <= 2e6"]`: feasible cells first, the front holds feasible cells
    only) and the optimizer's search keys (e.g. `n_init=20`, `neighbourhood="edit"`).
    """
    return Search(benchmark, optimizer, objectives, budget, seed, budget_counts=budget_counts, **options).run()
