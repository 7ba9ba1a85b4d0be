"""`nsga2`: pymoo's multi-objective EAs (NSGA-II, SMS-EMOA, MOEA/D) on a benchmark through
`.problem.CellProblem`, as a `SearchOptimizer` beside `pls`.

Operators: the start population from the shared initialisers (`search.init`), pymoo's binary
tournament, pymoo's `SinglePointCrossover` (probability `cx_p`), `.problem.GenotypeMutation`
(each gene with probability `ind_pb`, default 1/26) and `.problem.GenotypeRepair`; duplicate
genotypes are eliminated. One step runs pymoo generations until at least one new cell has been
evaluated. pymoo draws from its own Generator seeded from `self.rng`, so runs are reproducible;
pymoo's algorithm objects are not JSON state, so `load_state_dict` rebuilds the algorithm from the
stored seed and replays the stored number of generations against the restored Evaluator (whose
cache answers every replayed evaluation for free): load the Evaluator's state first. With a search
domain (`Evaluator.domain`, e.g. `measured_only`) the start population comes from the domain and
`GenotypeMutation` redraws each mutant outside it from the same parent genotype
(`.problem.into_domain`), so pymoo only ever proposes domain cells. With constraints
(`Evaluator.constraints`) the problem hands pymoo their values as inequality constraints `G`
(`Constraint.g`), so pymoo's own feasibility-first tournaments and survival apply (MOEA/D in
pymoo takes no constraints: refused).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pymoo.algorithms.moo.moead import MOEAD
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.sms import SMSEMOA
from pymoo.core.algorithm import Algorithm
from pymoo.operators.crossover.pntx import SinglePointCrossover
from pymoo.termination.default import DefaultMultiObjectiveTermination
from pymoo.util.ref_dirs import get_reference_directions

from ..errors import ConfigError, at_most
from .base import SearchOptimizer
from .evaluator import BudgetExhausted, Evaluator
from .init import INIT_DEFAULTS, INITIALISERS, build_initialiser
from .pareto import feasible_first
from .problem import N_GENES, CellProblem, GenotypeMutation, GenotypeRepair, genotypes_of

MOEAS = ("nsga2", "smsemoa", "moead")
#: the largest pymoo population: its duplicate elimination builds pop_size x pop_size float64
#: distances (10,000 -> 0.8 GB; 10**6, capped at the space's 423,624 cells, asked for 1.31 TiB)
MAX_POP_SIZE = 10_000
POP_SIZE_WHY = "pymoo compares the population pairwise (pop_size^2 doubles: 10,000 -> 0.8 GB)"
#: generations in a row without a new cell after which a step gives up (the search is stuck)
STALL_LIMIT = 1000


def make_algorithm(name: str, X0: np.ndarray, n_obj: int, cx_p: float, ind_pb: float | None) -> Algorithm:
    """A pymoo algorithm starting from genotypes `X0` (population size `len(X0)`)."""
    operators = {
        "sampling": X0,
        "crossover": SinglePointCrossover(prob=cx_p),
        "mutation": GenotypeMutation(prob=1.0, prob_var=ind_pb),
        "repair": GenotypeRepair(),
    }
    if name == "nsga2":
        return NSGA2(pop_size=len(X0), eliminate_duplicates=True, **operators)
    if name == "smsemoa":
        return SMSEMOA(pop_size=len(X0), eliminate_duplicates=True, **operators)
    if name == "moead":
        if n_obj == 2:
            ref_dirs = get_reference_directions("uniform", 2, n_partitions=len(X0) - 1)
        else:
            ref_dirs = get_reference_directions("energy", n_obj, len(X0), seed=1)
        return MOEAD(ref_dirs=ref_dirs, n_neighbors=min(20, len(X0)), **operators)
    raise ConfigError(f"search.algorithm must be one of {list(MOEAS)}, got {name!r}")


class PymooSearch(SearchOptimizer):
    """`nsga2`: search keys `algorithm` (nsga2 | smsemoa | moead), `pop_size`, `cx_p`, `ind_pb`
    and the initialiser keys (`init`: random | lhs | clusters | surrogate_front, ...)."""

    name: ClassVar[str] = "nsga2"
    defaults: ClassVar[dict[str, Any]] = {
        "algorithm": "nsga2",
        "pop_size": 20,
        "cx_p": 0.9,
        "ind_pb": None,
        **INIT_DEFAULTS,
    }
    #: objectives after the accuracy when a config names none (read by the NASLib-style runner)
    cost_objectives: ClassVar[tuple[str, ...]] = ("train_time_s:min",)

    def __init__(
        self, evaluator: Evaluator, seed: int | np.random.Generator | None = None, **params: Any
    ) -> None:
        super().__init__(evaluator, seed, **params)
        p = self.params
        if p["algorithm"] not in MOEAS:
            raise ConfigError(f"search.algorithm must be one of {list(MOEAS)}, got {p['algorithm']!r}")
        if p["init"] not in INITIALISERS:
            raise ConfigError(f"search.init must be one of {list(INITIALISERS)}, got {p['init']!r}")
        if not isinstance(p["pop_size"], (int, np.integer)) or p["pop_size"] < 2:
            raise ConfigError(f"search.pop_size must be an integer >= 2, got {p['pop_size']!r}")
        at_most(int(p["pop_size"]), MAX_POP_SIZE, "search.pop_size", POP_SIZE_WHY)
        self._check_fits_domain("pop_size")
        if evaluator.constraints and p["algorithm"] == "moead":
            raise ConfigError(
                "search.algorithm moead takes no constraints in pymoo; use nsga2 or smsemoa, or drop search.constraints"
            )
        if len(evaluator.objectives) < 2:
            raise ConfigError(
                f"nsga2 needs at least two objectives, got {[o.metric for o in evaluator.objectives]}; "
                "set search.objectives, e.g. [val_accuracy, train_time_s:min]"
            )
        self.initialiser = build_initialiser(**{k: p[k] for k in INIT_DEFAULTS})
        self.pymoo_seed: int | None = None
        self.start_genotypes = np.empty((0, N_GENES), dtype=np.int64)
        self.generations = 0
        self.algorithm: Algorithm | None = None
        self.problem: CellProblem | None = None

    def _build(self) -> None:
        p = self.params
        self.problem = CellProblem(self.evaluator, seed=self.pymoo_seed + 1)
        self.algorithm = make_algorithm(
            p["algorithm"],
            self.start_genotypes,
            len(self.evaluator.objectives),
            float(p["cx_p"]),
            p["ind_pb"],
        )
        # never stops by itself: the Evaluator's budget ends the run
        self.algorithm.setup(
            self.problem,
            termination=DefaultMultiObjectiveTermination(n_max_gen=10**12),
            seed=self.pymoo_seed,
            verbose=False,
        )

    def _start(self) -> None:
        self.pymoo_seed = int(self.rng.integers(2**31 - 1))
        rows = np.asarray(
            self.initialiser(self.evaluator, int(self.params["pop_size"]), self.rng), dtype=np.int64
        )
        if len(rows) < 2:
            raise ConfigError(
                f"the {self.params['init']!r} initialiser gave {len(rows)} cells; pymoo needs at least 2"
            )
        self.initial_rows = rows.tolist()
        self.start_genotypes = genotypes_of(self.evaluator.space, rows, self.rng)
        self._build()

    def step(self) -> None:
        if self.evaluator.exhausted:
            raise BudgetExhausted(f"budget of {self.evaluator.budget} evaluations is spent")
        if self.algorithm is None:
            self._start()
        before = self.evaluator.n_evaluations
        for _ in range(STALL_LIMIT):
            self.algorithm.next()
            self.generations += 1
            if self.evaluator.n_evaluations > before:
                return
        raise BudgetExhausted(f"no new cell in {STALL_LIMIT} generations of {self.params['algorithm']}")

    def front(self) -> tuple[list[int], np.ndarray]:
        """Non-dominated feasible evaluated cells (none before a feasible cell is found): rows and
        objective values in natural directions."""
        values, violation = self.evaluator.history_values, self.evaluator.history_violation
        keep = feasible_first(self.evaluator.to_minimisation(values), violation) & (violation == 0)
        return np.asarray(self.evaluator.history_rows)[keep].tolist(), values[keep]

    def _state(self) -> dict[str, Any]:
        return {
            "pymoo_seed": self.pymoo_seed,
            "start_genotypes": self.start_genotypes.tolist(),
            "generations": self.generations,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.pymoo_seed = state["pymoo_seed"]
        self.generations = 0
        self.algorithm = self.problem = None
        if self.pymoo_seed is None:
            return
        self.start_genotypes = np.asarray(state["start_genotypes"], dtype=np.int64).reshape(-1, N_GENES)
        self._build()
        for _ in range(int(state["generations"])):
            self.algorithm.next()
            self.generations += 1
