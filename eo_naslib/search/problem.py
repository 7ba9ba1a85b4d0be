"""The population methods' genotype, its repair, and the benchmarks as a pymoo `Problem`.

Genotype (26 integer genes): the seed-003 short encoding of a cell written on all 7 vertices, input
at vertex 0 and output at vertex 6: genes 0..20 are the upper-triangle bits of the 7 x 7 matrix in
row-major order, genes 21..25 the op index (into `OPS`) of vertices 1..5. `to_short` gives the
56-entry short encoding (`eo_naslib.space.decode("short", ...)` reads it); vertices off every
input-to-output path are pruned away on decoding, as NB101 does, so many genotypes map to one cell.

Repair makes any genotype valid by changing edge genes only (op genes are never touched): while the
input does not reach the output, the edge input -> output is set; while more than 9 edges survive
pruning, one surviving edge (never input -> output) is dropped at random.

With a search domain (`Evaluator.domain`, e.g. `measured_only`) an offspring whose cell lies
outside it is drawn again by the same variation from the same parents (`into_domain`) until it
is a domain cell not evaluated yet, up to `DOMAIN_TRIES` times; then it becomes a random one
(`Evaluator.random_new_row`). Accepting any domain cell would mostly give back the parents
through neutral genes, and in a sparse domain (So2Sat's 450 measured cells) the search stalls.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

import numpy as np
from pymoo.core.mutation import Mutation
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair

from ..errors import ConfigError
from ..space import MAX_EDGES, MAX_VERTICES, OPS, Cell, CellTable, decode
from ..space.constants import INPUT_LABEL, OUTPUT_LABEL, PAD_LABEL
from .evaluator import DOMAIN_TRIES, Evaluator

N_EDGE_GENES = MAX_VERTICES * (MAX_VERTICES - 1) // 2  # 21
N_OP_GENES = MAX_VERTICES - 2  # 5
N_GENES = N_EDGE_GENES + N_OP_GENES  # 26
#: inclusive upper bound of each gene
UPPER = np.array([1] * N_EDGE_GENES + [len(OPS) - 1] * N_OP_GENES, dtype=np.int64)
_TRIU7 = np.triu_indices(MAX_VERTICES, 1)
_SKIP_GENE = int(np.flatnonzero((_TRIU7[0] == 0) & (_TRIU7[1] == MAX_VERTICES - 1))[0])  # input -> output


# --------------------------------------------------------------------------- genotype <-> cells
def matrices_of(X: np.ndarray) -> np.ndarray:
    """(k, 7, 7) adjacency matrices of genotypes (k, 26)."""
    X = np.atleast_2d(X)
    matrices = np.zeros((len(X), MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    matrices[:, _TRIU7[0], _TRIU7[1]] = X[:, :N_EDGE_GENES]
    return matrices


def labels_of(X: np.ndarray) -> np.ndarray:
    """(k, 7) NB101 labels of genotypes: -1 input, op indices, -2 output."""
    X = np.atleast_2d(X)
    labels = np.empty((len(X), MAX_VERTICES), dtype=np.int64)
    labels[:, 0], labels[:, -1] = INPUT_LABEL, OUTPUT_LABEL
    labels[:, 1:-1] = X[:, N_EDGE_GENES:]
    return labels


def to_short(X: np.ndarray) -> np.ndarray:
    """(k, 56) short encodings (7 x 7 matrix row-major + 7 labels) of genotypes."""
    X = np.atleast_2d(X)
    return np.concatenate([matrices_of(X).reshape(len(X), -1), labels_of(X)], axis=1).astype(np.float64)


def decode_genotype(x: np.ndarray) -> Cell:
    """The (pruned) cell of one genotype; raises `InvalidCellError` when it is not valid."""
    return decode("short", to_short(x)[0])


def genotypes_of(
    space: CellTable, rows: Sequence[int] | np.ndarray, rng: np.random.Generator | None = None
) -> np.ndarray:
    """(k, 26) genotypes of cells: interior vertices at 1.., output at 6, absent vertices get no
    edges and op 0 (or a random op when `rng` is given: the genes are neutral either way)."""
    rows = np.asarray(rows, dtype=np.int64)
    k = len(rows)
    mats, labs, n = space.matrices[rows], space.labels[rows].astype(np.int64), space.n_vertices[rows]
    pos = np.tile(np.arange(MAX_VERTICES), (k, 1))
    pos[np.arange(k), n - 1] = MAX_VERTICES - 1
    pos = np.where(labs == PAD_LABEL, -1, pos)
    ends = np.zeros((k, MAX_VERTICES, MAX_VERTICES), dtype=np.int64)
    r, a, b = np.nonzero(mats.astype(bool))
    ends[r, pos[r, a], pos[r, b]] = 1
    ops = (
        np.zeros((k, MAX_VERTICES), dtype=np.int64)
        if rng is None
        else rng.integers(0, len(OPS), (k, MAX_VERTICES))
    )
    rr, vv = np.nonzero((pos >= 0) & (labs >= 0))
    ops[rr, pos[rr, vv]] = labs[rr, vv]
    return np.concatenate([ends[:, _TRIU7[0], _TRIU7[1]], ops[:, 1:-1]], axis=1)


def _active(matrices: np.ndarray) -> np.ndarray:
    """(k, 7) vertices on an input-to-output path of 7-vertex matrices."""
    adj = matrices.astype(bool)
    k = len(adj)
    from_input = np.zeros((k, MAX_VERTICES), dtype=bool)
    from_input[:, 0] = True
    for v in range(MAX_VERTICES):
        from_input |= from_input[:, v, None] & adj[:, v, :]
    to_output = np.zeros((k, MAX_VERTICES), dtype=bool)
    to_output[:, -1] = True
    for v in range(MAX_VERTICES - 1, -1, -1):
        to_output[:, v] |= np.any(adj[:, v, :] & to_output, axis=1)
    return from_input & to_output


_GENE_WEIGHTS = 1 << np.arange(N_EDGE_GENES, dtype=np.int64)
_GENE_ENDS = list(zip(_TRIU7[0].tolist(), _TRIU7[1].tolist()))


@lru_cache(maxsize=1 << 21)
def edge_info(pattern: int) -> tuple[bool, int]:
    """(input reaches output, bit mask of the edge genes that survive pruning) of an edge pattern
    (gene g is bit g); pure Python and cached: the population methods query few patterns often."""
    succ = [0] * MAX_VERTICES
    for g, (a, b) in enumerate(_GENE_ENDS):
        if pattern >> g & 1:
            succ[a] |= 1 << b
    reach = 1
    for v in range(MAX_VERTICES):
        if reach >> v & 1:
            reach |= succ[v]
    back = 1 << (MAX_VERTICES - 1)
    for v in range(MAX_VERTICES - 2, -1, -1):
        if succ[v] & back:
            back |= 1 << v
    active = reach & back
    surviving = 0
    for g, (a, b) in enumerate(_GENE_ENDS):
        if pattern >> g & 1 and active >> a & 1 and active >> b & 1:
            surviving |= 1 << g
    return bool(active & 1), surviving


_GENE_OF = {ends: g for g, ends in enumerate(_GENE_ENDS)}


@lru_cache(maxsize=1 << 21)
def pruned_structure(pattern: int) -> tuple[tuple[int, ...], int]:
    """(kept vertices, edge bits of the pruned cell as in `Cell.key`) of a valid edge pattern."""
    surviving = edge_info(pattern)[1]
    kept = (
        0,
        *(
            v
            for v in range(1, MAX_VERTICES)
            if any(surviving >> g & 1 and v in _GENE_ENDS[g] for g in range(N_EDGE_GENES))
        ),
    )
    index = {v: i for i, v in enumerate(kept)}
    bits = 0
    for g in range(N_EDGE_GENES):
        if surviving >> g & 1:
            a, b = _GENE_ENDS[g]
            bits |= 1 << _GENE_OF[(index[a], index[b])]
    return kept, bits


def cell_keys(X: np.ndarray) -> np.ndarray:
    """`Cell.key` (vertex count, pruned edge bits, op trits) of each valid genotype."""
    X = np.atleast_2d(X)
    keys = []
    for x, pattern in zip(X[:, N_EDGE_GENES:].tolist(), edge_patterns(X)):
        if not _valid_pattern(pattern):
            raise ConfigError("a genotype is not a valid cell; call repair() first")
        kept, bits = pruned_structure(pattern)
        trits = 0
        for v in kept[1:-1]:
            trits = trits * 3 + x[v - 1]
        keys.append((len(kept) << 32) | (bits << 8) | trits)
    return np.asarray(keys, dtype=np.int64)


def edge_patterns(X: np.ndarray) -> list[int]:
    """Edge genes of each genotype as an int (gene g is bit g)."""
    return (np.atleast_2d(X)[:, :N_EDGE_GENES].astype(np.int64) @ _GENE_WEIGHTS).tolist()


def surviving_edges(X: np.ndarray) -> np.ndarray:
    """(k, 21) edge genes that survive pruning (both ends on an input-to-output path)."""
    masks = np.array([edge_info(p)[1] for p in edge_patterns(X)], dtype=np.int64)
    return (masks[:, None] >> np.arange(N_EDGE_GENES)) & 1 == 1


def _valid_pattern(pattern: int) -> bool:
    connected, surviving = edge_info(pattern)
    return connected and bin(surviving).count("1") <= MAX_EDGES


def is_valid(X: np.ndarray) -> np.ndarray:
    """(k,) whether each genotype decodes to a valid NB101 cell."""
    return np.array([_valid_pattern(p) for p in edge_patterns(X)], dtype=bool)


def repair(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Valid copies of genotypes (see the module docstring); valid ones come back unchanged."""
    X = np.array(np.atleast_2d(X), dtype=np.int64)
    for i, pattern in enumerate(edge_patterns(X)):
        if _valid_pattern(pattern):
            continue
        while not _valid_pattern(pattern):
            connected, surviving = edge_info(pattern)
            if not connected:
                pattern |= 1 << _SKIP_GENE
                continue
            genes = [g for g in range(N_EDGE_GENES) if surviving >> g & 1 and g != _SKIP_GENE]
            pattern &= ~(1 << genes[int(rng.integers(len(genes)))])
        X[i, :N_EDGE_GENES] = (pattern >> np.arange(N_EDGE_GENES)) & 1
    return X


def rows_of(space: CellTable, X: np.ndarray) -> np.ndarray:
    """(k,) rows of `space` of valid genotypes (repair them first)."""
    rows = space.rows_of_keys(cell_keys(X))
    if np.any(rows < 0):
        raise ConfigError("a genotype maps to no cell of the space; is `space` the whole NB101 space?")
    return rows


def mutate_genotypes(X: np.ndarray, ind_pb: float, rng: np.random.Generator) -> np.ndarray:
    """Per-gene mutation with probability `ind_pb`: bit flip for edge genes, round-robin (next op)
    for op genes, as in seed 003's GA and EA."""
    X = np.array(np.atleast_2d(X), dtype=np.int64)
    hit = rng.random(X.shape) < ind_pb
    X[:, :N_EDGE_GENES] ^= hit[:, :N_EDGE_GENES]
    X[:, N_EDGE_GENES:] = np.where(
        hit[:, N_EDGE_GENES:], (X[:, N_EDGE_GENES:] + 1) % len(OPS), X[:, N_EDGE_GENES:]
    )
    return X


def into_domain(
    evaluator: Evaluator,
    X: np.ndarray,
    rows: np.ndarray,
    redraw: Callable[[int], np.ndarray],
    rng: np.random.Generator,
    seen: Collection[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Offspring `X` (valid genotypes, their `rows`) with each one outside the evaluator's domain
    replaced by `redraw(i)` (offspring i drawn again, a valid genotype) until its cell is a new
    domain cell (`Evaluator.is_new`; `seen`: the rows counted as evaluated, default the
    evaluator's), at most `DOMAIN_TRIES` times, and then by a random one
    (`Evaluator.random_new_row`); unchanged without a domain."""
    if evaluator.domain is None:
        return X, rows
    X, rows = np.array(X, dtype=np.int64), np.array(rows, dtype=np.int64)
    for i in np.flatnonzero(~evaluator.allows(rows)).tolist():
        for _ in range(DOMAIN_TRIES):
            x = np.reshape(redraw(i), N_GENES)
            row = int(rows_of(evaluator.space, x)[0])
            if evaluator.is_new(row, seen):
                break
        else:
            row = evaluator.random_new_row(rng, seen)
            x = genotypes_of(evaluator.space, [row], rng)[0]
        X[i], rows[i] = x, row
    return X, rows


# --------------------------------------------------------------------------- pymoo
class GenotypeRepair(Repair):
    """pymoo repair operator wrapping `repair` (random draws from the problem's generator)."""

    def _do(self, problem, X, **kwargs):
        return repair(np.rint(X).astype(np.int64), problem.rng)


class GenotypeMutation(Mutation):
    """pymoo mutation: each gene with probability `prob_var` (default 1/26) flips (edges) or moves
    to the next op (ops); pymoo's `BitflipMutation` covers binary genes only. On a `CellProblem`
    whose evaluator has a domain, mutants outside it are redrawn (`into_domain`, counting the
    problem's own evaluations as seen: a resumed run replays them) and come repaired."""

    def _do(self, problem, X, *args, random_state=None, **kwargs):
        # pymoo < 0.6.2 (the last on Python 3.9) passes no generator: the problem's stands in
        rng = problem.rng if random_state is None else random_state
        X, prob = np.rint(X).astype(np.int64), float(self.get_prob_var(problem))
        mutants = mutate_genotypes(X, prob, rng)
        if not isinstance(problem, CellProblem) or problem.evaluator.domain is None:
            return mutants
        mutants = repair(mutants, rng)
        evaluator = problem.evaluator
        return into_domain(
            evaluator,
            mutants,
            rows_of(evaluator.space, mutants),
            lambda i: repair(mutate_genotypes(X[i], prob, rng), rng),
            rng,
            problem.seen,
        )[0]


class CellProblem(Problem):
    """A benchmark as a pymoo problem over the 26-gene genotype, evaluated through `evaluator`
    (its objectives, budget and cache). F is in minimisation form, divided by each objective's
    range over the whole space when the benchmark can give it (so MOEA/D's scalarisations and
    SMS-EMOA's hypervolume see comparable scales). Genotypes are repaired before evaluation;
    those the budget can no longer pay for get F = +inf. The evaluator's constraints are pymoo's
    inequality constraints: G (`Evaluator.g`, <= 0 when met; +inf where the budget ran out)."""

    def __init__(self, evaluator: Evaluator, seed: int = 0) -> None:
        super().__init__(
            n_var=N_GENES,
            n_obj=len(evaluator.objectives),
            n_ieq_constr=len(evaluator.constraints),
            xl=np.zeros(N_GENES),
            xu=UPPER.astype(float),
            vtype=int,
        )
        self.evaluator = evaluator
        self.rng = np.random.default_rng(seed)
        self.scale = _objective_ranges(evaluator)
        #: rows of the last evaluated batch (-1 where the budget ran out)
        self.last_rows = np.empty(0, dtype=np.int64)
        #: every row this problem had answered (what a replay of its generations sees again)
        self.seen: set[int] = set()

    def _evaluate(self, X, out, *args, **kwargs):
        X = repair(np.rint(X).astype(np.int64), self.rng)
        rows = rows_of(self.evaluator.space, X)
        values = self.evaluator.evaluate_many(rows)
        F = np.full((len(rows), self.n_obj), np.inf)
        F[: len(values)] = self.evaluator.to_minimisation(values) / self.scale
        self.last_rows = np.where(np.arange(len(rows)) < len(values), rows, -1)
        self.seen.update(rows[: len(values)].tolist())
        out["F"] = F
        if self.evaluator.constraints:
            G = np.full((len(rows), len(self.evaluator.constraints)), np.inf)
            G[: len(values)] = self.evaluator.g(rows[: len(values)])
            out["G"] = G


def _objective_ranges(evaluator: Evaluator) -> np.ndarray:
    """Range of each objective over the whole space (1 where the benchmark cannot tell)."""
    ranges = []
    for objective in evaluator.objectives:
        values_of = getattr(evaluator.benchmark, "values", None)
        span = 1.0
        if values_of is not None:
            values = np.asarray(values_of(objective.metric, evaluator.epoch), dtype=float)
            values = values[np.isfinite(values)]
            if len(values) and values.max() > values.min():
                span = float(values.max() - values.min())
        ranges.append(span)
    return np.asarray(ranges)


__all__ = [
    "N_GENES",
    "CellProblem",
    "GenotypeMutation",
    "GenotypeRepair",
    "decode_genotype",
    "genotypes_of",
    "into_domain",
    "is_valid",
    "mutate_genotypes",
    "repair",
    "rows_of",
    "surviving_edges",
    "to_short",
]
