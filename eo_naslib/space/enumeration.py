"""Enumerate the whole NB101 space: all 423,624 unique cells and every representation of each.

Each cell's row holds NB101's labelling of it (`labelling`: the representation NB101's generator
meets first), so a network built from a hash is the one NB101 published.
"""

from __future__ import annotations

import itertools

import numpy as np

from .batch import keys_of, prune_many
from .constants import INPUT_LABEL, MAX_EDGES, MAX_VERTICES, NUM_CELLS, OPS, OUTPUT_LABEL, PAD_LABEL
from .hashing import hash_many
from .labelling import nb101_codes
from .table import CellTable


def representations() -> tuple[np.ndarray, np.ndarray]:
    """Every pruned, labelled, topologically ordered cell of 2..7 vertices with <= 9 edges."""
    matrices, labels = [], []
    for n in range(2, MAX_VERTICES + 1):
        iu = np.triu_indices(n, 1)
        codes = np.arange(2 ** len(iu[0]), dtype=np.int64)
        bits = ((codes[:, None] >> np.arange(len(iu[0]))) & 1).astype(np.uint8)
        bits = bits[bits.sum(axis=1) <= MAX_EDGES]
        padded = np.zeros((len(bits), MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
        padded[:, iu[0], iu[1]] = bits
        lab = np.full((len(bits), MAX_VERTICES), PAD_LABEL, dtype=np.int64)
        lab[:, :n] = 0
        lab[:, 0], lab[:, n - 1] = INPUT_LABEL, OUTPUT_LABEL
        _, pruned_labels, valid = prune_many(padded, lab)
        padded = padded[valid & ((pruned_labels != PAD_LABEL).sum(axis=1) == n)]  # nothing to prune
        ops = np.array(list(itertools.product(range(len(OPS)), repeat=n - 2)), dtype=np.int64)
        ops = ops.reshape(len(OPS) ** (n - 2), n - 2)
        lab = np.full((len(padded) * len(ops), MAX_VERTICES), PAD_LABEL, dtype=np.int64)
        lab[:, 0], lab[:, n - 1] = INPUT_LABEL, OUTPUT_LABEL
        lab[:, 1 : n - 1] = np.tile(ops, (len(padded), 1))
        matrices.append(np.repeat(padded, len(ops), axis=0))
        labels.append(lab)
    return np.concatenate(matrices), np.concatenate(labels)


def nb101_firsts(matrices: np.ndarray, labels: np.ndarray, rep_rows: np.ndarray) -> np.ndarray:
    """Index of NB101's labelling of each cell: per row, the representation of least NB101 code
    (codes of one cell's representations differ: a code names its matrix and labels)."""
    codes = nb101_codes(matrices, labels)
    least = np.full(int(rep_rows.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(least, rep_rows, codes)
    chosen = np.flatnonzero(codes == least[rep_rows])
    firsts = np.empty(len(least), dtype=np.int64)
    firsts[rep_rows[chosen]] = chosen
    return firsts


def enumerate_space(processes: int | None = None) -> CellTable:
    """Enumerate and hash the whole space (about 17 s on 2 cores)."""
    matrices, labels = representations()
    hashes = hash_many(matrices, labels, processes=processes)
    unique_hashes, rep_rows = np.unique(hashes, return_inverse=True)
    if len(unique_hashes) != NUM_CELLS:
        raise RuntimeError(f"enumeration found {len(unique_hashes)} cells, expected {NUM_CELLS}")
    first = nb101_firsts(matrices, labels, rep_rows)
    keys = keys_of(matrices, labels)
    order = np.argsort(keys)
    return CellTable(
        matrices[first],
        labels[first].astype(np.int8),
        unique_hashes,
        keys[order],
        rep_rows[order].astype(np.int32),
    )
