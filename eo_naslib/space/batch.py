"""Vectorised operations on many padded cell representations at once: keys, pruning, decoding.

A representation is a padded (7, 7) matrix plus 7 labels (`PAD_LABEL` after the output), with
the vertices in one topological order; its integer key (`Cell.key`) names it exactly.
"""

from __future__ import annotations

import numpy as np

from .constants import EDGE_BIT, INPUT_LABEL, MAX_EDGES, MAX_VERTICES, OUTPUT_LABEL, PAD_LABEL

TRIU7 = np.triu_indices(MAX_VERTICES, 1)
_HEX_VALUE = np.zeros(128, dtype=np.uint64)
_HEX_VALUE[ord("0") : ord("9") + 1] = np.arange(10)
_HEX_VALUE[ord("a") : ord("f") + 1] = np.arange(10, 16)
_NIBBLE_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)


def hash_prefix_keys(hashes: np.ndarray | list[str]) -> np.ndarray:
    """The first 64 bits of md5 hex strings as uint64, vectorised; preserves their sort order."""
    codes = np.asarray(hashes, dtype="U32").view(np.uint32).reshape(-1, 32)[:, :16]
    return np.bitwise_or.reduce(_HEX_VALUE[codes.clip(max=127)] << _NIBBLE_SHIFTS, axis=1)


def keys_of(matrices: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """`Cell.key` of many padded, pruned representations ((K, 7, 7), (K, 7))."""
    n = (labels != PAD_LABEL).sum(axis=1).astype(np.int64)
    edge_bits = (matrices.astype(np.int64) * EDGE_BIT).sum(axis=(1, 2))
    interior = np.where((labels >= 0), labels, 0).astype(np.int64)
    trits = np.zeros(len(labels), dtype=np.int64)
    for v in range(1, MAX_VERTICES - 1):
        present = v < n - 1
        trits = np.where(present, trits * 3 + interior[:, v], trits)
    return (n << 32) | (edge_bits << 8) | trits


def decode_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `keys_of`: padded (K, 7, 7) uint8 matrices and (K, 7) int64 labels."""
    keys = np.asarray(keys, dtype=np.int64)
    n = keys >> 32
    edge_bits = (keys >> 8) & ((1 << len(TRIU7[0])) - 1)
    trits = keys & 0xFF
    matrices = np.zeros((len(keys), MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    matrices[:, TRIU7[0], TRIU7[1]] = (edge_bits[:, None] >> np.arange(len(TRIU7[0]))) & 1
    labels = np.full((len(keys), MAX_VERTICES), PAD_LABEL, dtype=np.int64)
    labels[:, 0] = INPUT_LABEL
    rows = np.arange(len(keys))
    for v in range(MAX_VERTICES - 2, 0, -1):  # the last interior vertex is the least significant trit
        present = v < n - 1
        labels[:, v] = np.where(present, trits % 3, labels[:, v])
        trits = np.where(present, trits // 3, trits)
    labels[rows, n - 1] = OUTPUT_LABEL
    return matrices, labels


def prune_many(matrices: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised NB101 pruning of padded cells whose output is the last present vertex.

    Returns (matrices, labels, valid): pruned cells compacted top-left; `valid` is False where the
    input does not reach the output or more than 9 edges remain.
    """
    k = len(labels)
    n = (labels != PAD_LABEL).sum(axis=1)
    adj = matrices.astype(bool)
    rows = np.arange(k)
    from_input = np.zeros((k, MAX_VERTICES), dtype=bool)
    from_input[:, 0] = True
    for v in range(MAX_VERTICES):
        from_input |= from_input[:, v, None] & adj[:, v, :]
    to_output = np.zeros((k, MAX_VERTICES), dtype=bool)
    to_output[rows, n - 1] = True
    for v in range(MAX_VERTICES - 1, -1, -1):
        to_output[:, v] |= np.any(adj[:, v, :] & to_output, axis=1)
    keep = from_input & to_output & (labels != PAD_LABEL)
    valid = keep[:, 0] & keep[rows, n - 1]
    new_pos = np.cumsum(keep, axis=1) - 1
    out_labels = np.full_like(labels, PAD_LABEL)
    r, v = np.nonzero(keep)
    out_labels[r, new_pos[r, v]] = labels[r, v]
    out_matrices = np.zeros_like(matrices)
    r, a, b = np.nonzero(adj & keep[:, :, None] & keep[:, None, :])
    out_matrices[r, new_pos[r, a], new_pos[r, b]] = 1
    valid &= out_matrices.sum(axis=(1, 2)) <= MAX_EDGES
    return out_matrices, out_labels, valid
