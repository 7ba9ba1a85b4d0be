"""Neighbour tables of the whole space: which cells one move away from each cell.

A cell's neighbours are a function of the cell, not of how its vertices happen to be stored: every
cell reachable by one move from *some* topological vertex order (representation) of the cell,
de-duplicated. Moves:
- ``edit``: add or remove one edge, or change one interior op (NASLib's `get_nbhd` moves);
- ``hamming``: one bit of the 289-bit long encoding, i.e. one edge toggle (see `moves.neighbours`).

These relations are directed: removing an edge can prune vertices, and no move adds a vertex
back. Search (`ls`, `pls`) and landscape analysis use the symmetric closure (y in N(x) <=> x in
N(y)), the relation a distance-1 neighbourhood implies; the one-way moves stay available.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..errors import ConfigError
from .batch import TRIU7, keys_of, prune_many
from .constants import MAX_EDGES, MAX_VERTICES, OPS, PAD_LABEL

Neighbourhood = Literal["edit", "hamming"]
NEIGHBOURHOODS: tuple[str, ...] = ("edit", "hamming")
_CHUNK = 200_000


def check_neighbourhood(kind: str, name: str = "neighbourhood") -> str:
    """`kind` if it names a neighbourhood, else a `ConfigError` (naming the setting) listing the choices."""
    if kind not in NEIGHBOURHOODS:
        raise ConfigError(f"{name} {kind!r} is unknown; choose one of {list(NEIGHBOURHOODS)}")
    return kind


def rows_of_keys(rep_keys: np.ndarray, rep_rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of the cell each representation key belongs to, -1 where the key is no valid cell."""
    pos = np.searchsorted(rep_keys, keys).clip(max=len(rep_keys) - 1)
    return np.where(rep_keys[pos] == keys, rep_rows[pos], -1)


def _reachable(adjacency: np.ndarray) -> np.ndarray:
    """(K, 7, 7) transitive closure of upper-triangular (K, 7, 7) adjacencies."""
    reach = adjacency.astype(bool)
    for v in range(MAX_VERTICES):
        reach |= reach[:, :, v, None] & reach[:, None, v, :]
    return reach


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort + mask: much faster than `np.unique` on large int arrays)."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def _column(count: int, where: np.ndarray, keys: np.ndarray) -> np.ndarray:
    out = np.full(count, -1, dtype=np.int64)
    out[where] = keys
    return out


def move_keys(matrices: np.ndarray, labels: np.ndarray, kind: str, backward: bool = True) -> np.ndarray:
    """(K, M) keys of the cells one move away from each pruned representation, -1 where invalid.

    Moves of the cell, whatever its vertex order: removing any edge (then pruning), adding any
    edge a -> b that keeps the graph acyclic and within 9 edges (b does not reach a), and for
    ``edit`` changing any interior op. An edge added backwards (from a later to an earlier vertex)
    is stored by moving the earlier vertex and its descendants up to the later one just after it.
    `backward=False` keeps the moves of this vertex order only, as one labelling allows.
    """
    count = len(labels)
    n = (labels != PAD_LABEL).sum(axis=1)
    room = matrices.sum(axis=(1, 2)) < MAX_EDGES
    positions = np.arange(MAX_VERTICES)
    columns = []
    for i, j in zip(*TRIU7):
        present = matrices[:, i, j] == 1
        removed = matrices[present].copy()
        removed[:, i, j] = 0
        pruned, pruned_labels, valid = prune_many(removed, labels[present])
        columns.append(_column(count, np.flatnonzero(present)[valid], keys_of(pruned[valid], pruned_labels[valid])))
        grow = ~present & (j < n) & room
        added = matrices[grow].copy()
        added[:, i, j] = 1
        columns.append(_column(count, grow, keys_of(added, labels[grow])))
    if backward:
        reach = _reachable(matrices)
        for i, j in zip(*TRIU7):  # add j -> i where i does not reach j
            grow = (i > 0) & (j < n - 1) & ~reach[:, i, j] & room
            added = matrices[grow].copy()
            added[:, j, i] = 1
            moved = (reach[grow, i, :] | (positions == i)) & (positions <= j)
            order = np.argsort(np.where(moved, 10 * j + 1 + positions, 10 * positions), axis=1)
            rows = np.arange(len(added))[:, None, None]
            reordered = added[rows, order[:, :, None], order[:, None, :]]
            columns.append(_column(count, grow, keys_of(reordered, np.take_along_axis(labels[grow], order, axis=1))))
    if check_neighbourhood(kind) == "edit":
        for v in range(1, MAX_VERTICES - 1):
            for shift in (1, 2):
                applicable = v < n - 1
                changed = labels.copy()
                changed[:, v] = np.where(applicable, (labels[:, v] + shift) % len(OPS), labels[:, v])
                columns.append(np.where(applicable, keys_of(matrices, changed), -1))
    return np.stack(columns, axis=1)


def neighbour_pairs(
    matrices: np.ndarray, labels: np.ndarray, rep_keys: np.ndarray, rep_rows: np.ndarray, kind: str
) -> np.ndarray:
    """Sorted distinct codes `row * N + neighbour_row` of every one-move pair of the space, from
    one representation per cell (row order)."""
    n_cells = np.int64(len(labels))
    codes = []
    for start in range(0, len(labels), _CHUNK):
        stop = min(start + _CHUNK, len(labels))
        chunk_labels = labels[start:stop].astype(np.int64)
        targets = rows_of_keys(rep_keys, rep_rows, move_keys(matrices[start:stop], chunk_labels, kind))
        owners = np.broadcast_to(np.arange(start, stop, dtype=np.int64)[:, None], targets.shape)
        keep = (targets >= 0) & (targets != owners)
        codes.append(sorted_unique(owners[keep] * n_cells + targets[keep]))
    return sorted_unique(np.concatenate(codes))


def csr_from_codes(codes: np.ndarray, n_cells: int, symmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) of the relation, neighbours ascending; `symmetric` adds every reverse."""
    n = np.int64(n_cells)
    if symmetric:
        src, dst = np.divmod(codes, n)
        codes = sorted_unique(np.concatenate([codes, dst * n + src]))
    src, dst = np.divmod(codes, n)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n_cells))]).astype(np.int64)
    return indptr, dst.astype(np.int32)


def padded_table(codes: np.ndarray, n_cells: int) -> np.ndarray:
    """(N, K) int32 table of each row's one-way neighbours in ascending order, -1 padded."""
    src, dst = np.divmod(codes, np.int64(n_cells))
    counts = np.bincount(src, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    table = np.full((n_cells, int(counts.max())), -1, dtype=np.int32)
    table[src, np.arange(len(src)) - starts[src]] = dst
    return table
