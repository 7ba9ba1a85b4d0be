"""Which cells to train: the seeds' random walks, Latin hypercube, uniform and explicit samples.

Every sampler returns distinct `Cell`s in a reproducible order from one integer seed.

- `random_walk_sample`: seed 000's design, `starts` walks of `steps` Hamming steps (one edge
  toggled, no op changed, no vertex pruned) from starts uniform over the space's cells, as the
  seed's 30 recorded walks show it. Unlike the seeds' code, every walk draws from its own stream of
  `SeedSequence(seed).spawn(starts)`, so walks differ (see SEED_PITFALLS.md); a step prefers cells
  not sampled yet, so 30 x 14 gives the seed's 450 distinct cells.
- `lhs_sample`: seed 002's design, a Latin hypercube (scipy.stats.qmc) on the intermediate
  representation (21 upper-triangular edge bits + 5 interior ops of the 7-vertex matrix), each
  point repaired to a valid cell and duplicates replaced by further points.
- `uniform_sample`: uniformly among the 423,624 unique cells (rows of `all_cells()`).
- `hash_sample`: an explicit list of NB101 hashes.
- `benchmark_sample`: the measured cells of an installed benchmark (`load_benchmark(name)`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

from ..benchmarks import load_benchmark
from ..errors import ConfigError, InvalidCellError, at_most, non_negative_int, positive_int
from ..space import MAX_EDGES, MAX_VERTICES, OPS, Cell, CellTable, all_cells, as_generator, neighbours, prune
from ..space.constants import INPUT, NUM_CELLS, OUTPUT

_TRIU = np.triu_indices(MAX_VERTICES, 1)
N_EDGE_DIMS = len(_TRIU[0])  # 21
N_OP_DIMS = MAX_VERTICES - 2  # 5
#: the seeds' random-walk design (seed 000): 30 starts x 14 steps, key 42
SEED_WALK = {"starts": 30, "steps": 14, "seed": 42}
DISTINCT_WHY = f"a sample holds distinct cells and the space has {NUM_CELLS:,}"


def walk_neighbours(cell: Cell) -> list[Cell]:
    """The seeds' one Hamming step from `cell`: one edge toggled, no vertex pruned, ops kept.

    The Hamming neighbours (`neighbours(cell, "hamming")`, one bit of the 289-bit encoding, i.e. one
    edge toggle in some vertex order of the cell) that keep the cell's vertex count: the recorded
    walks of seed 000 change no op and no vertex count in any of their 420 steps.
    """
    return [c for c in neighbours(cell, "hamming") if c.n_vertices == cell.n_vertices]


def random_walks(
    starts: int = 30, steps: int = 14, seed: int = 42, distinct: bool = True, space: CellTable | None = None
) -> list[list[Cell]]:
    """Seed 000's random walks: `starts` walks of `steps` Hamming steps, each `steps + 1` cells long.

    A walk starts at a cell drawn uniformly from the space's unique cells and steps to a uniformly
    drawn `walk_neighbours` cell. With `distinct`, starts are distinct and a step draws among the
    neighbours no walk has visited yet from which the walk can go on to an unvisited cell (then
    among any unvisited one, then among all), so no walk gets stuck in a dead end it must leave by
    going back: the recorded walks repeat no cell and never enter a cell whose only neighbour is
    the one they came from. Every walk draws from its own stream of `SeedSequence(seed).spawn(starts)`
    (SEED_PITFALLS.md). A cell without a neighbour (only input -> output) cannot be left: the walk
    stays there.
    """
    starts, steps, seed = positive_int(starts, "starts"), non_negative_int(steps, "steps"), non_negative_int(seed, "seed")
    at_most(starts * (steps + 1), NUM_CELLS, "starts x (steps + 1)", DISTINCT_WHY, "lower starts or steps")
    space = space if space is not None else all_cells()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(starts)]
    options: dict[str, list[Cell]] = {}
    seen: set[str] = set()

    def around(cell: Cell) -> list[Cell]:
        if cell.hash not in options:
            options[cell.hash] = walk_neighbours(cell)
        return options[cell.hash]

    def step(cell: Cell, rng: np.random.Generator, last: bool) -> Cell:
        pool = around(cell)
        if not pool:
            return cell
        fresh = [c for c in pool if c.hash not in seen] if distinct else []
        for i in rng.permutation(len(fresh)):
            if last or any(c.hash not in seen and c.hash != fresh[i].hash for c in around(fresh[i])):
                return fresh[i]
        pool = fresh or pool
        return pool[rng.integers(len(pool))]

    walks = []
    for rng in streams:
        cell = space.cell(int(rng.integers(len(space))))
        while distinct and cell.hash in seen:
            cell = space.cell(int(rng.integers(len(space))))
        walk = [cell]
        seen.add(cell.hash)
        for k in range(steps):
            cell = step(cell, rng, last=k == steps - 1)
            walk.append(cell)
            seen.add(cell.hash)
        walks.append(walk)
    return walks


def random_walk_sample(
    starts: int = 30, steps: int = 14, seed: int = 42, distinct: bool = True, space: CellTable | None = None
) -> list[Cell]:
    """The distinct cells of `random_walks`, in walk order (at most `starts * (steps + 1)`)."""
    return distinct_cells(random_walks(starts, steps, seed, distinct, space))


def distinct_cells(walks: list[list[Cell]]) -> list[Cell]:
    """The distinct cells of walks, in walk order."""
    found: dict[str, Cell] = {}
    for walk in walks:
        for cell in walk:
            found.setdefault(cell.hash, cell)
    return list(found.values())


def cell_from_point(point: np.ndarray) -> Cell:
    """Repair a point of [0, 1)^26 to a valid cell.

    Dims 0-20 are edge strengths: an edge is wanted when its value is below 0.5. Dims 21-25 pick
    the interior ops. Edges are added strongest first; an edge that would put more than 9 edges
    on input-output paths is skipped, and adding stops once the wanted number of edges is reached
    and the cell has an input-output path (or when no edge is left).
    """
    point = np.asarray(point, dtype=float)
    if point.shape != (N_EDGE_DIMS + N_OP_DIMS,):
        raise ConfigError(f"a point needs {N_EDGE_DIMS + N_OP_DIMS} coordinates, got shape {point.shape}")
    ops = [INPUT] + [OPS[min(int(u * len(OPS)), len(OPS) - 1)] for u in point[N_EDGE_DIMS:]] + [OUTPUT]
    strength = point[:N_EDGE_DIMS]
    wanted = int((strength < 0.5).sum())
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    added, connected = 0, False
    for e in np.argsort(strength, kind="stable"):
        if added >= wanted and connected:
            break
        matrix[_TRIU[0][e], _TRIU[1][e]] = 1
        try:
            pruned, _ = prune(matrix, ops)
        except InvalidCellError:
            added += 1
            continue
        if pruned.sum() > MAX_EDGES:
            matrix[_TRIU[0][e], _TRIU[1][e]] = 0
            continue
        added, connected = added + 1, True
    return Cell(matrix, ops)


def lhs_sample(n: int, seed: int = 0, max_rounds: int = 100) -> list[Cell]:
    """`n` distinct cells from Latin hypercube designs (scipy.stats.qmc.LatinHypercube, `seed`).

    A first design of `n` points is repaired to cells; duplicates are replaced by the points of
    further designs (same generator) until `n` distinct cells are found.
    """
    n = at_most(positive_int(n, "n (cells to sample)"), NUM_CELLS, "n (cells to sample)", DISTINCT_WHY)
    sampler = qmc.LatinHypercube(d=N_EDGE_DIMS + N_OP_DIMS, seed=as_generator(seed))
    found: dict[str, Cell] = {}
    for _ in range(max_rounds):
        for point in sampler.random(n - len(found) if found else n):
            cell = cell_from_point(point)
            found.setdefault(cell.hash, cell)
            if len(found) == n:
                return list(found.values())
    raise ConfigError(
        f"found only {len(found)} distinct cells in {max_rounds} LHS rounds; ask for fewer than {n}"
    )


def uniform_sample(n: int, seed: int = 0, space: CellTable | None = None) -> list[Cell]:
    """`n` distinct cells drawn uniformly from the unique cells of the space."""
    space = space if space is not None else all_cells()
    if not 1 <= positive_int(n, "n (cells to sample)") <= len(space):
        raise ConfigError(f"need 1 <= n <= {len(space)}, got {n}")
    rows = as_generator(seed).choice(len(space), n, replace=False)
    return [space.cell(int(r)) for r in rows]


def hash_sample(hashes: Sequence[str], space: CellTable | None = None) -> list[Cell]:
    """The cells of explicit NB101 hashes (duplicates dropped, order kept); unknown ones raise."""
    space = space if space is not None else all_cells()
    unique = list(dict.fromkeys(hashes))
    if not unique:
        raise ConfigError("the hash list is empty; give at least one NB101 hash")
    return [space.cell(int(r)) for r in space.indices(unique)]


def benchmark_sample(name: str, data_dir: str | None = None, space: CellTable | None = None) -> list[Cell]:
    """The measured cells of benchmark `name` (e.g. `so2sat`'s 450), in hash order."""
    measured = load_benchmark(name, data_dir, surrogate=False).measured_hashes()
    return hash_sample(measured.tolist(), space)


#: the sampler kinds a plan config may name
SAMPLERS = ("random_walk", "lhs", "uniform", "hashes", "benchmark")


def sample(kind: str, **settings: object) -> list[Cell]:
    """Dispatch on a config's `sampler.kind` (one of `SAMPLERS`) with its settings."""
    return sample_with_walks(kind, **settings)[0]


def sample_with_walks(kind: str, **settings: object) -> tuple[list[Cell], list[list[Cell]]]:
    """`sample`'s cells and, for ``random_walk``, the walks they come from (else no walk)."""
    try:
        if kind == "random_walk":
            walks = random_walks(**settings)  # type: ignore[arg-type]
            return distinct_cells(walks), walks
        if kind == "lhs":
            return lhs_sample(**settings), []  # type: ignore[arg-type]
        if kind == "uniform":
            return uniform_sample(**settings), []  # type: ignore[arg-type]
        if kind == "hashes":
            return hash_sample(**settings), []  # type: ignore[arg-type]
        if kind == "benchmark":
            return benchmark_sample(**settings), []  # type: ignore[arg-type]
    except TypeError as exc:
        raise ConfigError(f"bad settings {settings} for sampler {kind!r}: {exc}") from None
    raise ConfigError(f"unknown sampler {kind!r}; choose one of {list(SAMPLERS)}")
