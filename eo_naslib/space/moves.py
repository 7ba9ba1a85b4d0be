"""Moves in the NB101 space: uniform sampling, NASLib's mutation, edit and Hamming neighbourhoods."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

from ..errors import InvalidCellError
from .cell import Cell
from .constants import INPUT, MAX_VERTICES, OPS, OUTPUT

NEIGHBOURHOODS = ("edit", "hamming")
_TRIU7 = np.triu_indices(MAX_VERTICES, 1)


def as_generator(rng: Generator | int | None) -> Generator:
    """A numpy Generator from a Generator, a seed or None (fresh entropy)."""
    return rng if isinstance(rng, Generator) else np.random.default_rng(rng)


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


def _edge_toggles(cell: Cell) -> list[Cell]:
    found = []
    n = cell.n_vertices
    for i, j in zip(*np.triu_indices(n, 1)):
        matrix = cell.matrix.copy()
        matrix[i, j] ^= 1
        found.append(_try_cell(matrix, list(cell.ops)))
    return [c for c in found if c is not None]


def _op_changes(cell: Cell) -> list[Cell]:
    found = []
    for v in range(1, cell.n_vertices - 1):
        for op in OPS:
            if op != cell.ops[v]:
                ops = list(cell.ops)
                ops[v] = op
                found.append(Cell._trusted(cell.matrix.copy(), tuple(ops)))
    return found


def neighbours(cell: Cell, kind: str = "edit") -> list[Cell]:
    """Distinct valid neighbours of `cell`, never `cell` itself.

    - ``edit``: add or remove one edge, or change one interior op (NASLib's `get_nbhd` moves);
    - ``hamming``: one bit flipped in the 289-bit long encoding. A flip that touches a node not in
      the cell either puts two ops on one position (invalid) or adds a dangling vertex that pruning
      removes again (the same cell), so these are exactly the valid one-edge toggles.
    """
    if kind == "edit":
        candidates = _edge_toggles(cell) + _op_changes(cell)
    elif kind == "hamming":
        candidates = _edge_toggles(cell)
    else:
        raise ValueError(f"unknown neighbourhood {kind!r}; choose one of {list(NEIGHBOURHOODS)}")
    seen = {cell.hash}
    unique = []
    for candidate in candidates:
        if candidate.hash not in seen:
            seen.add(candidate.hash)
            unique.append(candidate)
    return unique
