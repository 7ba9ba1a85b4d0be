"""Moves in the NB101 space: uniform sampling, NASLib's mutation, edit and Hamming neighbourhoods."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.random import Generator

from ..errors import ConfigError, InvalidCellError
from .batch import decode_keys
from .cell import Cell
from .constants import INPUT, LABEL_OPS, MAX_VERTICES, OPS, OUTPUT, PAD_LABEL
from .hashing import hash_many
from .neighbourhoods import check_neighbourhood, move_keys

_TRIU7 = np.triu_indices(MAX_VERTICES, 1)


def as_generator(rng: Generator | int | None) -> Generator:
    """A numpy Generator from a Generator, a seed (non-negative integer) or None (fresh entropy)."""
    if isinstance(rng, Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise ConfigError(f"seed must be a non-negative integer, a numpy Generator or None, got {rng!r}")
    return np.random.default_rng(int(rng))


def _try_cell(matrix: np.ndarray, ops: list[str]) -> Cell | None:
    try:
        return Cell(matrix, ops)
    except InvalidCellError:
        return None


def random_cell(rng: Generator | int | None = None) -> Cell:
    """Draw as NB101/NASLib do: Bernoulli(0.5) upper-triangular 7 x 7 matrix, uniform interior ops,
    redrawn until valid (so the law is NASLib's sampler's, not uniform over unique cells)."""
    rng = as_generator(rng)
    while True:
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
        matrix[_TRIU7] = rng.integers(0, 2, size=len(_TRIU7[0]))
        ops = [INPUT] + [OPS[i] for i in rng.integers(0, len(OPS), size=MAX_VERTICES - 2)] + [OUTPUT]
        cell = _try_cell(matrix, ops)
        if cell is not None:
            return cell


def _padded_with_spare_vertices(cell: Cell, rng: Generator) -> tuple[np.ndarray, list[str]]:
    """7 x 7 form of a pruned cell: its interior first, unconnected vertices with random ops after."""
    n = cell.n_vertices
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    keep = list(range(n - 1)) + [MAX_VERTICES - 1]
    matrix[np.ix_(keep, keep)] = cell.matrix
    spare = [OPS[i] for i in rng.integers(0, len(OPS), size=MAX_VERTICES - n)]
    return matrix, list(cell.ops[:-1]) + spare + [OUTPUT]


def mutate(cell: Cell, rng: Generator | int | None = None) -> Cell:
    """NASLib's NB101 mutation: every upper-triangle edge bit flips with p = 1/7 and every interior op
    changes (to another op) with p = 1/3, retried until the child is valid and differs from `cell`.
    Cells of fewer than 7 vertices get unconnected spare vertices first, so mutation can grow them."""
    if not isinstance(cell, Cell):
        raise InvalidCellError(f"mutate needs a Cell, got {cell!r}; build one with Cell(matrix, ops)")
    rng = as_generator(rng)
    while True:
        matrix, ops = _padded_with_spare_vertices(cell, rng)
        flips = rng.random(len(_TRIU7[0])) < 1 / MAX_VERTICES
        matrix[_TRIU7] ^= flips.astype(np.uint8)
        for v in range(1, MAX_VERTICES - 1):
            if rng.random() < 1 / 3:
                others = [op for op in OPS if op != ops[v]]
                ops[v] = others[rng.integers(len(others))]
        child = _try_cell(matrix, ops)
        if child is not None and child != cell:
            return child


def representations_of(cell: Cell) -> tuple[np.ndarray, np.ndarray]:
    """Every topological vertex order of `cell` (input first, output last) as padded arrays."""
    n = cell.n_vertices
    matrix, labels = cell.padded()
    found_m, found_l = [], []
    for interior in itertools.permutations(range(1, n - 1)):
        order = [0, *interior, n - 1]
        permuted = matrix[np.ix_(order, order)]
        if not np.any(np.tril(permuted)):
            padded = np.zeros_like(matrix)
            padded[:n, :n] = permuted
            found_m.append(padded)
            found_l.append(np.concatenate([labels[order], labels[n:]]))
    return np.array(found_m), np.array(found_l, dtype=np.int64)


def neighbours(cell: Cell, kind: str = "edit") -> list[Cell]:
    """Distinct valid neighbours of `cell` (never `cell` itself), a function of the cell alone.

    Every cell one move away from *some* topological vertex order of `cell`, de-duplicated by
    hash (see `neighbourhoods` for the moves; the space's tables hold the same relation):
    - ``edit``: add or remove one edge, or change one interior op (NASLib's `get_nbhd` moves);
    - ``hamming``: one bit flipped in the 289-bit long encoding. A flip that touches a node not in
      the cell either puts two ops on one position (invalid) or adds a dangling vertex that pruning
      removes again (the same cell), so these are exactly the valid one-edge toggles.
    """
    keys = move_keys(*representations_of(cell), check_neighbourhood(kind), backward=False).ravel()
    keys = np.unique(keys[keys >= 0])
    if len(keys) == 0:
        return []
    matrices, labels = decode_keys(keys)
    hashes = hash_many(matrices, labels, processes=1)
    _, first = np.unique(hashes, return_index=True)
    own = cell.hash
    found = []
    for i in sorted(first):
        if hashes[i] != own:
            n = int((labels[i] != PAD_LABEL).sum())
            ops = tuple(LABEL_OPS[int(x)] for x in labels[i, :n])
            found.append(Cell._trusted(matrices[i, :n, :n].copy(), ops, str(hashes[i])))
    return found
