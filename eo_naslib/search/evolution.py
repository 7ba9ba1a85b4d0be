"""Seed 003's population methods over the 26-gene genotype of `.problem`: a generational GA, a
(mu + lambda) EA (both after DEAP's `eaSimple` / `eaMuPlusLambda`, which the seed used) and Aging
Evolution (the NB101 repository's version). Fitness is the first objective.

The operators are written here with numpy on the optimizer's own Generator rather than taken from
pymoo: pymoo's `Population`/`Individual` objects cost more per 19-individual generation than the
whole generation does here (the 2,000-evaluation budget takes thousands of generations when only
distinct cells count), pymoo has no round-robin op mutation, and drawing only from `self.rng`
keeps the JSON `state_dict` resume exact. The same mutation serves pymoo's MOEAs
(`.problem.GenotypeMutation`). Offspring are repaired (`.problem.repair`). With the Evaluator's
default `budget_counts="distinct"` each distinct cell costs one unit of budget once (repeats are
free); with ``"evaluations"`` every individual a generation creates costs one unit, repeats and
unchanged copies included (seed 003, DEAP: GA at 1,995 = 19 + 104 x 19 evaluations runs 104
generations).

With constraints (`Evaluator.constraints`) cells compare feasibility first: the smaller total
violation wins (0 = feasible), then the fitness; `viol` is kept beside `fit`.

`trace` records, after the initial population and after every generation (GA, EA) or child (AE),
the evaluations so far and the population's mean / min / max fitness (natural direction).

With a search domain (`Evaluator.domain`, e.g. `measured_only`) the initial population comes from
the domain and an offspring outside it is drawn again from the same parents with the same
operators (GA: its crossover cut and mutation; EA: its varOr branch; AE: the mutation) until it is
a domain cell not evaluated yet, up to `DOMAIN_TRIES` times; then it is a random such cell
(`.problem.into_domain`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, positive_int
from ..space import OPS
from .base import SearchOptimizer
from .evaluator import BudgetExhausted, Evaluator
from .init import INIT_DEFAULTS, INITIALISERS, ClusterInit, Initialiser, build_initialiser
from .problem import (
    N_EDGE_GENES,
    N_GENES,
    genotypes_of,
    into_domain,
    is_valid,
    mutate_genotypes,
    repair,
    rows_of,
)


class PopulationSearch(SearchOptimizer):
    """Shared machinery: initialisation, evaluation of genotypes, fitness, trace, checkpoints."""

    defaults: ClassVar[dict[str, Any]] = {"pop_size": 19, **INIT_DEFAULTS}
    budget_semantics: ClassVar[tuple[str, ...]] = ("distinct", "evaluations")

    def __init__(
        self, evaluator: Evaluator, seed: int | np.random.Generator | None = None, **params: Any
    ) -> None:
        super().__init__(evaluator, seed, **params)
        p = self.params
        if p["init"] not in INITIALISERS:
            raise ConfigError(f"search.init must be one of {list(INITIALISERS)}, got {p['init']!r}")
        for key, value in p.items():
            if key in ("pop_size", "sample_size", "n_train", "n_components"):
                positive_int(value, f"search.{key}")
            if key in ("cx_p", "mut_p", "ind_pb") and not 0.0 <= float(value) <= 1.0:
                raise ConfigError(f"search.{key} must be a probability in [0, 1], got {value!r}")
        self._check_fits_domain("pop_size")
        self.initialiser: Initialiser = build_initialiser(**{k: p[k] for k in INIT_DEFAULTS})
        self.started = False
        self.genotypes = np.empty((0, N_GENES), dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int64)
        self.fit = np.empty(0)  # fitness of `rows` (derived from the evaluator's cache)
        self.viol = np.empty(0)  # total constraint violation of `rows` (0 = feasible)
        self.trace: list[list[float]] = []
        #: the clustering initialiser's report (chosen size, scores, clusters), when used
        self.init_report: dict[str, Any] | None = None
        self._row_memo: dict[bytes, int] = {}  # repaired genotype -> row (derived, not state)

    # ------------------------------------------------------------------ helpers
    def fitness(self, rows: np.ndarray) -> np.ndarray:
        """First objective of evaluated rows in minimisation form (lower is better)."""
        values = np.array([self.evaluator.value(int(r))[0] for r in rows], dtype=float)
        return -values if self.evaluator.objectives[0].maximise else values

    def _rows(self, genotypes: np.ndarray) -> np.ndarray:
        """Rows of repaired genotypes, memoised (no randomness involved, so resumes agree)."""
        keys = [g.tobytes() for g in genotypes]
        unknown = [i for i, k in enumerate(keys) if k not in self._row_memo]
        if unknown:
            for i, row in zip(unknown, rows_of(self.evaluator.space, genotypes[unknown]).tolist()):
                self._row_memo[keys[i]] = row
        return np.array([self._row_memo[k] for k in keys], dtype=np.int64)

    def _into_domain(
        self, children: np.ndarray, rows: np.ndarray, redraw: Callable[[int], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Children outside the search domain drawn again by `redraw(i)` (see `.problem.into_domain`)."""
        return into_domain(self.evaluator, children, rows, redraw, self.rng)

    def _evaluate(self, rows: np.ndarray) -> int:
        """Evaluate rows in order (raises BudgetExhausted when one cannot be paid); returns the
        budget spent (new cells, or every row with budget_counts="evaluations")."""
        before = self.evaluator.spent
        for row in rows:
            self.evaluator.evaluate(int(row))
        return self.evaluator.spent - before

    def _record(self) -> None:
        natural = -self.fit if self.evaluator.objectives[0].maximise else self.fit
        self.trace.append(
            [self.evaluator.spent, float(natural.mean()), float(natural.min()), float(natural.max())]
        )

    def _start(self) -> None:
        """Initial population of `pop_size`: the initialiser's cells, topped up with random ones."""
        size = int(self.params["pop_size"])
        rows = np.asarray(self.initialiser(self.evaluator, size, self.rng), dtype=np.int64)[:size]
        if isinstance(self.initialiser, ClusterInit) and self.initialiser.last is not None:
            self.init_report = self.initialiser.last.to_dict()
        if len(rows) < size:
            domain = self.evaluator.domain
            extra = self.rng.permutation(len(self.evaluator.space) if domain is None else domain)
            extra = extra[~np.isin(extra, rows)][: size - len(rows)]
            rows = np.concatenate([rows, extra])
        self.initial_rows = rows.tolist()
        self.genotypes = genotypes_of(self.evaluator.space, rows, self.rng)
        self.started = True
        self._evaluate(rows)
        self.rows, self.fit, self.viol = rows, self.fitness(rows), self.evaluator.violation(rows)
        self._record()

    def step(self) -> None:
        if self.evaluator.exhausted:
            raise BudgetExhausted(f"budget of {self.evaluator.budget} evaluations is spent")
        if not self.started:
            self._start()
            return
        while not self._generation():
            pass

    def _generation(self) -> int:
        """One generation (or child); returns the budget it spent."""
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpointing
    def _state(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "genotypes": self.genotypes.tolist(),
            "rows": self.rows.tolist(),
            "trace": self.trace,
            "init_report": self.init_report,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.started = bool(state["started"])
        self.genotypes = np.asarray(state["genotypes"], dtype=np.int64).reshape(-1, N_GENES)
        self.rows = np.asarray(state["rows"], dtype=np.int64)
        self.fit = self.fitness(self.rows)
        self.viol = self.evaluator.violation(self.rows)
        self.trace = [list(t) for t in state["trace"]]
        self.init_report = state["init_report"]


class GeneticAlgorithm(PopulationSearch):
    """`ga` (seed 003, Algorithm 1; DEAP's eaSimple): each generation `pop_size` parents are drawn
    by binary tournaments, consecutive pairs cross over at one point with probability `cx_p`,
    each child mutates with probability `mut_p` (each gene with `ind_pb`), and the children
    replace the population. The best cell found is the evaluator's incumbent (elitist tracking)."""

    name: ClassVar[str] = "ga"
    defaults: ClassVar[dict[str, Any]] = {
        **PopulationSearch.defaults,
        "cx_p": 0.5,
        "mut_p": 0.2,
        "ind_pb": 0.05,
    }

    def _generation(self) -> int:
        p, rng = self.params, self.rng
        fit, viol = self.fit, self.viol
        size = len(self.rows)
        pairs = rng.integers(0, size, size=(size, 2))
        a, b = pairs[:, 0], pairs[:, 1]
        winners = np.where((viol[a] < viol[b]) | ((viol[a] == viol[b]) & (fit[a] <= fit[b])), a, b)
        children = self.genotypes[winners].copy()
        half = size // 2
        first, second = children[0 : 2 * half : 2].copy(), children[1 : 2 * half : 2].copy()
        crossed = rng.random(half) < float(p["cx_p"])
        cuts = rng.integers(1, N_GENES, half)
        swap = crossed[:, None] & (np.arange(N_GENES)[None, :] >= cuts[:, None])
        children[0 : 2 * half : 2] = np.where(swap, second, first)
        children[1 : 2 * half : 2] = np.where(swap, first, second)
        mutated = rng.random(size) < float(p["mut_p"])
        children[mutated] = mutate_genotypes(children[mutated], float(p["ind_pb"]), rng)
        rows, child_fit, child_viol = self.rows[winners], fit[winners], viol[winners]
        parents = self.genotypes[winners]
        changed = np.flatnonzero(np.any(children != parents, axis=1))
        if len(changed):
            children[changed] = repair(children[changed], rng)
            rows[changed] = self._rows(children[changed])
            slot_crossed = np.concatenate([np.repeat(crossed, 2), np.zeros(size - 2 * half, dtype=bool)])

            def redraw(i: int) -> np.ndarray:
                """Child `changed[i]` again: its parent, its partner's tail after a new cut, mutation."""
                slot = int(changed[i])
                child = parents[slot].copy()
                if slot_crossed[slot]:
                    cut = int(rng.integers(1, N_GENES))
                    child[cut:] = parents[slot ^ 1, cut:]
                if mutated[slot]:
                    child = mutate_genotypes(child, float(p["ind_pb"]), rng)
                return repair(child, rng)

            children[changed], rows[changed] = self._into_domain(children[changed], rows[changed], redraw)
        spent = self._evaluate(rows)  # unchanged children are cached: they cost only as evaluations
        child_fit[changed] = self.fitness(rows[changed])
        child_viol[changed] = self.evaluator.violation(rows[changed])
        self.genotypes, self.rows, self.fit, self.viol = children, rows, child_fit, child_viol
        self._record()
        return spent


class MuPlusLambda(PopulationSearch):
    """`ea` ((mu + lambda) EA, seed 003's Algorithm 2; DEAP's eaMuPlusLambda with varOr): each of
    `lambda_` children is a crossover of two random parents (probability `cx_p`), a mutated
    random parent (`mut_p`, genes with `ind_pb`) or a copy; the best `pop_size` (= mu) of parents
    and children survive. Seed 003 names no crossover for its EA, so `cx_p` defaults to 0."""

    name: ClassVar[str] = "ea"
    defaults: ClassVar[dict[str, Any]] = {
        **PopulationSearch.defaults,
        "lambda_": 19,
        "cx_p": 0.0,
        "mut_p": 0.8,
        "ind_pb": 0.1,
    }

    def __init__(
        self, evaluator: Evaluator, seed: int | np.random.Generator | None = None, **params: Any
    ) -> None:
        super().__init__(evaluator, seed, **params)
        if float(self.params["cx_p"]) + float(self.params["mut_p"]) > 1.0:
            raise ConfigError(
                f"search.cx_p + search.mut_p must be <= 1 (DEAP's varOr), got {self.params['cx_p']} + {self.params['mut_p']}"
            )
        positive_int(self.params["lambda_"], "search.lambda_")

    def _generation(self) -> int:
        p, rng = self.params, self.rng
        size = len(self.rows)
        children = np.empty((int(p["lambda_"]), N_GENES), dtype=np.int64)
        variations: list[Callable[[], np.ndarray]] = []
        for i in range(len(children)):
            choice = rng.random()
            if choice < float(p["cx_p"]):
                a, b = rng.choice(size, size=2, replace=False)
                vary = partial(self._crossover, int(a), int(b))
            elif choice < float(p["cx_p"]) + float(p["mut_p"]):
                vary = partial(self._mutation, int(rng.integers(size)))
            else:
                vary = partial(self._copy, int(rng.integers(size)))
            children[i] = vary()
            variations.append(vary)
        children = repair(children, rng)
        rows = self._rows(children)
        children, rows = self._into_domain(children, rows, lambda i: repair(variations[i](), rng))
        spent = self._evaluate(rows)
        pool_genotypes = np.concatenate([self.genotypes, children])
        pool_rows = np.concatenate([self.rows, rows])
        pool_fit = np.concatenate([self.fit, self.fitness(rows)])
        pool_viol = np.concatenate([self.viol, self.evaluator.violation(rows)])
        best = np.lexsort((pool_fit, pool_viol))[: int(p["pop_size"])]  # stable: feasible first, then fitness
        self.genotypes, self.rows = pool_genotypes[best], pool_rows[best]
        self.fit, self.viol = pool_fit[best], pool_viol[best]
        self._record()
        return spent

    def _crossover(self, a: int, b: int) -> np.ndarray:
        """One-point crossover of parents `a` and `b` (a random cut)."""
        cut = int(self.rng.integers(1, N_GENES))
        return np.concatenate([self.genotypes[a, :cut], self.genotypes[b, cut:]])

    def _mutation(self, parent: int) -> np.ndarray:
        """Parent `parent` mutated gene by gene (`ind_pb`)."""
        return mutate_genotypes(self.genotypes[parent], float(self.params["ind_pb"]), self.rng)[0]

    def _copy(self, parent: int) -> np.ndarray:
        """A copy of parent `parent`."""
        return self.genotypes[parent].copy()


class AgingEvolution(PopulationSearch):
    """`ae` (Real et al.'s aging evolution as in the NB101 repository): the best of `sample_size`
    members drawn without replacement is mutated (each edge gene flips with probability 1/7, each
    op gene changes to another op with probability 1/5, redrawn until valid: NB101's mutation,
    no repair needed), the child joins the population and the oldest member leaves."""

    name: ClassVar[str] = "ae"
    defaults: ClassVar[dict[str, Any]] = {**PopulationSearch.defaults, "sample_size": 10}

    def _mutate(self, genotype: np.ndarray) -> np.ndarray:
        rng = self.rng
        while True:
            child = genotype.copy()
            child[:N_EDGE_GENES] ^= (rng.random(N_EDGE_GENES) < 1 / 7).astype(np.int64)
            change = rng.random(N_GENES - N_EDGE_GENES) < 1 / 5
            child[N_EDGE_GENES:] = np.where(
                change,
                (child[N_EDGE_GENES:] + rng.integers(1, len(OPS), len(change))) % len(OPS),
                child[N_EDGE_GENES:],
            )
            if is_valid(child)[0]:
                return child

    def _generation(self) -> int:
        size = len(self.rows)
        picks = self.rng.choice(size, size=min(int(self.params["sample_size"]), size), replace=False)
        parent = picks[int(np.lexsort((self.fit[picks], self.viol[picks]))[0])]
        child = self._mutate(self.genotypes[parent])
        row = self._rows(child[None])
        children, row = self._into_domain(child[None], row, lambda _: self._mutate(self.genotypes[parent]))
        child = children[0]
        spent = self._evaluate(row)
        self.genotypes = np.concatenate([self.genotypes[1:], child[None]])
        self.rows = np.concatenate([self.rows[1:], row])
        self.fit = np.concatenate([self.fit[1:], self.fitness(row)])
        self.viol = np.concatenate([self.viol[1:], self.evaluator.violation(row)])
        self._record()
        return spent


__all__ = ["AgingEvolution", "GeneticAlgorithm", "MuPlusLambda", "PopulationSearch"]
