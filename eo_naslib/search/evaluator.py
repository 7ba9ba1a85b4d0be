"""The Evaluator between optimizers and a benchmark: budget (distinct cells or evaluations), cache,
history, and an optional search domain (the rows a search may evaluate, e.g. the measured cells)."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence
from typing import Any

import logging

import numpy as np

from ..benchmarks.base import Benchmark
from ..errors import ConfigError, DataFileError, UnknownArchitectureError, positive_int
from ..space import Cell, CellTable, all_cells
from .constraints import Constraint, parse_constraints, total_violation
from .objectives import Objective, minimisation_form, parse_objectives


log = logging.getLogger(__name__)

#: fresh draws of an offspring that fell outside the search domain (a mutation, a crossover) to
#: find a domain cell not evaluated yet, before it becomes a random such cell (the NASLib
#: bridge's measured-only space tries as often)
DOMAIN_TRIES = 100
#: what a unit of budget is: a distinct cell (seed 000, NASLib: repeats are free) or every
#: evaluation a method asks for, repeats included (seed 003, DEAP's "max evaluations")
BUDGET_COUNTS = ("distinct", "evaluations")


def check_budget_counts(value: object, name: str = "budget_counts") -> str:
    """`value` if it names a budget semantics, else a `ConfigError` listing the choices."""
    if value not in BUDGET_COUNTS:
        raise ConfigError(f"{name} {value!r} is unknown; choose one of {list(BUDGET_COUNTS)}")
    return str(value)


def measured_rows(
    benchmark: Benchmark, objectives: Sequence[str | Objective], space: CellTable, epoch: int | None = None
) -> np.ndarray:
    """Sorted rows of `space` whose every objective the benchmark measured (not predicted; at
    `epoch` where the benchmark has per-epoch flags): the domain of a `measured_only` search."""
    rows = np.unique(space.indices(np.asarray(benchmark.measured_hashes(), dtype=str)))
    mask_of = getattr(benchmark, "measured_mask", None)  # the stored benchmarks' vectorised flags
    for objective in parse_objectives(objectives):
        if mask_of is not None:
            keep = np.asarray(mask_of(objective.metric, epoch), dtype=bool)[rows]
        else:
            keep = np.array([benchmark.is_measured(str(space.hashes[r]), objective.metric) for r in rows], dtype=bool)
        rows = rows[keep]
    return rows.astype(np.int64)


def domain_rows(domain: Sequence[int | str] | np.ndarray, space: CellTable) -> np.ndarray:
    """Sorted distinct rows of a domain given as rows or NB101 hashes; a `ConfigError` when empty."""
    array = np.asarray(domain).ravel()
    if len(array) == 0:
        raise ConfigError("the search domain is empty; give at least one row or hash, or no domain (the whole space)")
    rows = space.indices(array.astype(str)) if array.dtype.kind in "US" else space.checked_rows(array)
    return np.unique(rows).astype(np.int64)


class BudgetExhausted(Exception):
    """Raised when an optimizer asks for a new cell after the budget is spent."""


class ReplayMismatch(DataFileError):
    """A replayed search asked for another cell than its record holds (the code or data changed)."""


class Evaluator:
    """Evaluates cells (rows of `all_cells()`) on a benchmark for some objectives.

    With `budget_counts="distinct"` each distinct cell costs one unit of budget, once, and repeated
    requests are answered from the cache for free; with ``"evaluations"`` every request costs one
    unit, repeats included (answered from the cache, the benchmark is asked once). `spent` is the
    budget used, `charged_rows` the row of every unit spent. `history_rows` / `history_values` list
    every distinct evaluation in order.
    `domain` (rows or hashes; None: the whole space) restricts the search: optimizers draw and move
    only inside it (`allows`, `random_rows`), the budget is capped at its size, and evaluating a
    cell outside it is a `ConfigError` (an optimizer's bug, never budget spent).
    `constraints` (e.g. `["latency_ms <= 5"]`): every evaluated cell's constraint metrics are read
    from the benchmark too (free: they cost no budget) and `violation(rows)` gives their total
    violation (0 = feasible), which the optimizers compare first.
    """

    def __init__(
        self,
        benchmark: Benchmark,
        objectives: Sequence[str | Objective],
        budget: int | None = None,
        epoch: int | None = None,
        space: CellTable | None = None,
        domain: Sequence[int | str] | np.ndarray | None = None,
        budget_counts: str = "distinct",
        constraints: Sequence[str | Constraint] | None = None,
    ) -> None:
        self.budget_counts = check_budget_counts(budget_counts)
        self.objectives = parse_objectives(objectives)
        self.constraints = parse_constraints(constraints, getattr(benchmark, "metrics", None))
        self.space = space if space is not None else all_cells()
        #: sorted rows the search may evaluate; None: every row of the space
        self.domain = None if domain is None else domain_rows(domain, self.space)
        self._allowed: np.ndarray | None = None
        if self.domain is not None:
            self._allowed = np.zeros(len(self.space), dtype=bool)
            self._allowed[self.domain] = True
        if budget is not None:
            budget = positive_int(budget, "budget")
            if budget > self.size and self.budget_counts == "distinct":
                where = "space" if self.domain is None else "search domain"
                log.warning("budget %d is more than the %d cells of the %s; capped", budget, self.size, where)
                budget = self.size
        self.benchmark = benchmark
        self.budget = budget
        self.epoch = epoch
        self._cache: dict[int, np.ndarray] = {}
        self.history_rows: list[int] = []
        self._charged: list[int] = []  # every request, with budget_counts="evaluations"
        self._values = np.empty((0, len(self.objectives)))  # history values; grows by doubling
        self._replay: deque[tuple[int, np.ndarray]] = deque()
        self._constraint_values: dict[int, np.ndarray] = {}  # row -> (k,) constraint metric values

    # ------------------------------------------------------------------ budget
    @property
    def n_evaluations(self) -> int:
        return len(self.history_rows)

    @property
    def spent(self) -> int:
        """Units of budget used: distinct cells, or evaluations with budget_counts="evaluations"."""
        return len(self.charged_rows)

    @property
    def charged_rows(self) -> list[int]:
        """The row of every unit of budget spent, in order (the distinct history, or every request)."""
        return self.history_rows if self.budget_counts == "distinct" else self._charged

    @property
    def remaining(self) -> float:
        return float("inf") if self.budget is None else self.budget - self.spent

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    # ------------------------------------------------------------------ domain
    @property
    def size(self) -> int:
        """Number of cells the search may evaluate (the domain's, else the space's)."""
        return len(self.space) if self.domain is None else len(self.domain)

    def allows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(k,) whether each row lies in the domain (all True without one)."""
        rows = np.asarray(rows, dtype=np.int64)
        return np.ones(rows.shape, dtype=bool) if self._allowed is None else self._allowed[rows]

    def domain_rows(self) -> np.ndarray:
        """Every row the search may evaluate, ascending."""
        return np.arange(len(self.space), dtype=np.int64) if self.domain is None else self.domain

    def random_rows(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`min(n, size)` distinct rows of the domain (else the space), uniformly at random."""
        if self.domain is None:
            return rng.choice(len(self.space), size=min(n, len(self.space)), replace=False)
        return self.domain[rng.choice(len(self.domain), size=min(n, len(self.domain)), replace=False)]

    def is_new(self, row: int, seen: Collection[int] | None = None) -> bool:
        """Whether `row` lies in the domain and is not evaluated yet (not in `seen`, when given:
        the rows a caller counts as evaluated, e.g. a replayed pymoo run's own)."""
        seen = self._cache if seen is None else seen
        return row not in seen and (self._allowed is None or bool(self._allowed[row]))

    def random_new_row(self, rng: np.random.Generator, seen: Collection[int] | None = None) -> int:
        """A uniformly random domain row not evaluated yet (not in `seen`, when given); any domain
        row once all are."""
        rows = self.domain_rows()
        seen = self._cache if seen is None else seen
        left = rows[~np.isin(rows, np.fromiter(seen, dtype=np.int64, count=len(seen)))]
        pool = left if len(left) else rows
        return int(pool[rng.integers(len(pool))])

    # ------------------------------------------------------------------ evaluation
    def row_of(self, cell: Cell | int | str) -> int:
        return self.space.row_of(cell)

    def is_evaluated(self, cell: Cell | int | str) -> bool:
        return self.row_of(cell) in self._cache

    def value(self, cell: Cell | int | str) -> np.ndarray:
        """Objective values of an evaluated cell, from the cache (no budget spent, ever)."""
        row = self.row_of(cell)
        if row not in self._cache:
            raise ConfigError(f"cell {self.space.hashes[row]} (row {row}) is not evaluated yet; call evaluate first")
        return self._cache[row]

    def evaluate(self, cell: Cell | int | str) -> np.ndarray:
        """Objective values (natural directions) of one cell; costs one unit of budget when the
        cell is new, or on every call with budget_counts="evaluations"."""
        row = self.row_of(cell)
        cached = self._cache.get(row)
        if cached is not None and self.budget_counts == "distinct":
            return cached
        if cached is not None:
            if self.exhausted:
                raise BudgetExhausted(f"budget of {self.budget} evaluations is spent")
            self._charged.append(row)
            return cached
        if self._allowed is not None and not self._allowed[row]:
            raise ConfigError(
                f"cell {self.space.hashes[row]} (row {row}) is outside the search domain of {self.size} cells; "
                "evaluate only rows evaluator.allows() accepts (an optimizer that proposes it has a bug)"
            )
        if self.exhausted:
            raise BudgetExhausted(f"budget of {self.budget} evaluations is spent")
        if self._replay:
            values = self._replayed(row)
        else:
            values = np.array(
                [self.benchmark.query_rows(np.array([row]), o.metric, self.epoch)[0] for o in self.objectives]
            )
        self._record(row, values)
        return values

    def _record(self, row: int, values: np.ndarray) -> None:
        n = len(self.history_rows)
        if n == len(self._values):
            grown = np.empty((max(64, 2 * n), len(self.objectives)))
            grown[:n] = self._values
            self._values = grown
        self._values[n] = values
        self._cache[row] = values
        if self.constraints and row not in self._constraint_values:
            self._constraint_values[row] = self.constraint_values([row])[0]
        self.history_rows.append(row)
        if self.budget_counts == "evaluations":
            self._charged.append(row)

    # ------------------------------------------------------------------ replay
    def replay(self, rows: Sequence[int], values: Sequence[Sequence[float | None]]) -> None:
        """Answer the next new evaluations from a record (its rows in order and their values; None
        is NaN) instead of the benchmark, as a resumed run re-runs its recorded evaluations; a new
        cell that is not the record's next one raises `ReplayMismatch`."""
        if len(rows) != len(values):
            raise DataFileError(f"a replay record has {len(rows)} cells but {len(values)} value lists")
        recorded = []
        for index, (row, answer) in enumerate(zip(rows, values)):
            array = np.asarray(answer, dtype=float)
            if array.shape != (len(self.objectives),):
                raise DataFileError(
                    f"replayed evaluation {index} has values {answer!r} for {len(self.objectives)} objectives"
                )
            recorded.append((int(row), array))
        self._replay = deque(recorded)

    def stop_replay(self) -> int:
        """End a replay; the number of recorded evaluations it did not reach."""
        left = len(self._replay)
        self._replay.clear()
        return left

    def _replayed(self, row: int) -> np.ndarray:
        expected, values = self._replay.popleft()
        if row != expected:
            raise ReplayMismatch(
                f"evaluation {self.n_evaluations} is cell {self.space.hashes[row]} where the record has "
                f"{self.space.hashes[expected]}"
            )
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

    # ------------------------------------------------------------------ constraints
    def constraint_values(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(n, k) values of the constraint metrics at `rows` (from the record for evaluated rows,
        else from the benchmark; NaN where it cannot tell); free, never budget."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        out = np.empty((len(rows), len(self.constraints)))
        todo = [i for i, r in enumerate(rows.tolist()) if r not in self._constraint_values]
        for i, r in enumerate(rows.tolist()):
            if r in self._constraint_values:
                out[i] = self._constraint_values[r]
        if todo and self.constraints:
            out[todo] = np.column_stack([self._constraint_column(rows[todo], c) for c in self.constraints])
        return out

    def _constraint_column(self, rows: np.ndarray, constraint: Constraint) -> np.ndarray:
        try:
            return np.asarray(self.benchmark.query_rows(rows, constraint.metric, self.epoch), dtype=float)
        except UnknownArchitectureError:  # tabular-only, some value unknown: those rows break the constraint
            return np.array([self._constraint_one(int(r), constraint) for r in rows])

    def _constraint_one(self, row: int, constraint: Constraint) -> float:
        try:
            return float(self.benchmark.query_rows(np.array([row]), constraint.metric, self.epoch)[0])
        except UnknownArchitectureError:
            return float("nan")

    def violation(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(n,) total constraint violation of `rows` (0 = feasible; zeros without constraints)."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if not self.constraints:
            return np.zeros(len(rows))
        return total_violation(self.constraints, self.constraint_values(rows))

    def g(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(n, k) pymoo inequality constraints of `rows` (<= 0 when met; see `Constraint.g`)."""
        values = self.constraint_values(rows)
        return np.column_stack([c.g(values[:, j]) for j, c in enumerate(self.constraints)]) if self.constraints else values

    @property
    def history_violation(self) -> np.ndarray:
        """(n,) total violation of every distinct evaluation, in evaluation order."""
        return self.violation(self.history_rows)

    # ------------------------------------------------------------------ views
    def to_minimisation(self, values: np.ndarray) -> np.ndarray:
        """Objective values turned into minimisation form (maximised objectives negated)."""
        return minimisation_form(values, self.objectives)

    @property
    def history_values(self) -> np.ndarray:
        """(n, m) objective values of every distinct evaluation, in evaluation order (read-only)."""
        view = self._values[: len(self.history_rows)]
        view.flags.writeable = False
        return view

    def history_hashes(self) -> list[str]:
        return [str(self.space.hashes[r]) for r in self.history_rows]

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"rows": list(self.history_rows), "values": self.history_values.tolist()}
        if self.budget_counts == "evaluations":
            state["charged"] = list(self._charged)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if ("charged" in state) != (self.budget_counts == "evaluations"):
            taken = "evaluations" if "charged" in state else "distinct"
            raise ConfigError(
                f"the checkpoint's budget counts {taken}, this search's counts {self.budget_counts}; "
                f"resume it with budget_counts: {taken}"
            )
        rows = [int(r) for r in state["rows"]]
        outside = np.asarray(rows, dtype=np.int64)[~self.allows(rows)]
        if len(outside):
            raise ConfigError(
                f"the checkpoint holds cell {self.space.hashes[outside[0]]}, outside this search domain of "
                f"{self.size} cells; resume with the settings (measured_only, objectives) it was taken with"
            )
        self.history_rows, self._cache = [], {}
        self._values = np.empty((0, len(self.objectives)))
        for row, values in zip(rows, state["values"]):
            self._record(row, np.asarray(values, dtype=float))
        if self.budget_counts == "evaluations":
            self._charged = [int(r) for r in state["charged"]]
