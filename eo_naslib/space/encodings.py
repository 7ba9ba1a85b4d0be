"""Cell encodings: NASLib's adjacency one-hot and path encodings, the seeds' short and long ones.

- ``adjacency_one_hot`` (36): NASLib's: the 21 row-major upper-triangle bits of the padded 7 x 7
  matrix (interior vertices first, output vertex last) + a one-hot of the op at each of the 5
  interior positions in `ONE_HOT_OP_ORDER` (maxpool 100, conv3x3 010, conv1x1 001; all zero for
  an absent vertex). Decodable.
- ``path`` (364): one bit per input-to-output op sequence of length 0..5; index of a sequence of
  length k with op labels (o_1..o_k) = sum_{j<k} 3**j + sum_i o_i * 3**(k-i). Not decodable.
- ``short`` (seed 003, "Original"): the padded 7 x 7 matrix flattened row-major (49) + the 7
  integer labels (-1 input, -2 output, 0..2 interior, -3 padding) + optional fitness values.
  Decodable from the first 56 entries.
- ``long`` (seed 003, "Binary", 289 bits): the 17 x 17 expanded adjacency flattened row-major;
  node 0 is the input, node 1 + 5 * r + (p - 1) is interior position p (1..5) carrying the op of
  rank r in `LONG_OP_ORDER` (conv1x1, conv3x3, maxpool: the seed's Table 3), node 16 the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, InvalidCellError
from .cell import Cell
from .constants import (
    CONV1X1,
    CONV3X3,
    INPUT,
    LABEL_OPS,
    MAX_INTERIOR,
    MAX_VERTICES,
    MAXPOOL3X3,
    OPS,
    OUTPUT,
    PAD_LABEL,
)

LONG_OP_ORDER: tuple[str, ...] = (CONV1X1, CONV3X3, MAXPOOL3X3)
ONE_HOT_OP_ORDER: tuple[str, ...] = (MAXPOOL3X3, CONV3X3, CONV1X1)
LONG_NODES = 2 + MAX_INTERIOR * len(LONG_OP_ORDER)  # 17
LONG_SIZE = LONG_NODES * LONG_NODES  # 289
ADJ_ONE_HOT_SIZE = 21 + MAX_INTERIOR * len(OPS)  # 36
PATH_SIZE = sum(len(OPS) ** k for k in range(MAX_INTERIOR + 1))  # 364
SHORT_SIZE = MAX_VERTICES * MAX_VERTICES + MAX_VERTICES  # 56
ENCODINGS = ("adjacency_one_hot", "path", "short", "long")

_TRIU7 = np.triu_indices(MAX_VERTICES, 1)
_PATH_OFFSET = np.cumsum([0] + [len(OPS) ** k for k in range(MAX_INTERIOR)])


def _positions(n: int) -> np.ndarray:
    """Padded 7-vertex position of each vertex of an n-vertex cell (output -> 6)."""
    return np.array(list(range(n - 1)) + [MAX_VERTICES - 1])


def padded_at_ends(cell: Cell) -> tuple[np.ndarray, list[str | None]]:
    """7 x 7 matrix with interior vertices at positions 1.. and the output at 6; None = absent."""
    pos = _positions(cell.n_vertices)
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    matrix[np.ix_(pos, pos)] = cell.matrix
    ops: list[str | None] = [None] * MAX_VERTICES
    for p, op in zip(pos, cell.ops):
        ops[p] = op
    return matrix, ops


def _from_padded(matrix: np.ndarray, ops: Sequence[str | None]) -> Cell:
    present = [v for v, op in enumerate(ops) if op is not None]
    absent = [v for v, op in enumerate(ops) if op is None]
    if np.any(matrix[absent]) or np.any(matrix[:, absent]):
        raise InvalidCellError("an edge touches a vertex that has no op; give it an op or drop the edge")
    return Cell(matrix[np.ix_(present, present)], [ops[v] for v in present])


def _path_encoding(cell: Cell) -> np.ndarray:
    out = np.zeros(PATH_SIZE, dtype=np.uint8)
    n, m = cell.n_vertices, cell.matrix
    labels = cell.labels
    stack: list[tuple[int, int, int]] = [(0, 0, 0)]  # (vertex, length, index within length)
    while stack:
        v, length, index = stack.pop()
        for w in np.flatnonzero(m[v]):
            if w == n - 1:
                out[_PATH_OFFSET[length] + index] = 1
            else:
                stack.append((int(w), length + 1, index * len(OPS) + labels[w]))
    return out


def _long_node(position: int, op: str) -> int:
    if op == INPUT:
        return 0
    if op == OUTPUT:
        return LONG_NODES - 1
    return 1 + MAX_INTERIOR * LONG_OP_ORDER.index(op) + (position - 1)


def encode(cell: Cell, kind: str = "long", fitness: Sequence[float] | None = None) -> np.ndarray:
    """Encode `cell` as one of `ENCODINGS`; `fitness` values are appended to `short`/`long`."""
    if kind == "adjacency_one_hot":
        matrix, ops = padded_at_ends(cell)
        one_hot = np.zeros((MAX_INTERIOR, len(OPS)), dtype=np.uint8)
        for p in range(1, MAX_VERTICES - 1):
            if ops[p] is not None:
                one_hot[p - 1, ONE_HOT_OP_ORDER.index(ops[p])] = 1
        return np.concatenate([matrix[_TRIU7], one_hot.ravel()])
    if kind == "path":
        return _path_encoding(cell)
    if kind in ("short", "long"):
        if kind == "short":
            matrix, labels = cell.padded()
            base = np.concatenate([matrix.ravel(), labels]).astype(np.float64)
        else:
            nodes = [_long_node(i, op) for i, op in enumerate(cell.ops)]
            expanded = np.zeros((LONG_NODES, LONG_NODES), dtype=np.uint8)
            src, dst = np.nonzero(cell.matrix)
            expanded[np.array(nodes)[src], np.array(nodes)[dst]] = 1
            base = expanded.ravel()
        if fitness is None:
            return base
        return np.concatenate([base.astype(np.float64), np.asarray(fitness, dtype=np.float64)])
    raise ConfigError(f"unknown encoding {kind!r}; choose one of {list(ENCODINGS)}")


def decode(kind: str, vector: Any) -> Cell:
    """Cell from an `adjacency_one_hot`, `short` or `long` encoding (extra fitness entries ignored)."""
    v = np.asarray(vector)
    if kind == "adjacency_one_hot":
        _check_length(kind, v, ADJ_ONE_HOT_SIZE)
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
        matrix[_TRIU7] = v[:21]
        one_hot = v[21:ADJ_ONE_HOT_SIZE].reshape(MAX_INTERIOR, len(OPS))
        ops: list[str | None] = [INPUT] + [None] * MAX_INTERIOR + [OUTPUT]
        for p, row in enumerate(one_hot, start=1):
            if row.sum() > 1:
                raise InvalidCellError(f"position {p} has {int(row.sum())} ops set in the one-hot; set at most one")
            if row.sum() == 1:
                ops[p] = ONE_HOT_OP_ORDER[int(np.argmax(row))]
        return _from_padded(matrix, ops)
    if kind == "short":
        _check_length(kind, v, SHORT_SIZE)
        matrix = v[:49].reshape(MAX_VERTICES, MAX_VERTICES).astype(np.uint8)
        labels = v[49:SHORT_SIZE].astype(int)
        n = int((labels != PAD_LABEL).sum())
        try:
            ops_list = [LABEL_OPS[int(x)] for x in labels[:n]]
        except KeyError as exc:
            raise InvalidCellError(f"label {exc.args[0]} is not an NB101 label (-1, -2, 0, 1, 2)") from None
        if np.any(matrix[n:]) or np.any(matrix[:, n:]):
            raise InvalidCellError(f"short encoding has edges on padded vertices beyond vertex {n - 1}")
        return Cell(matrix[:n, :n], ops_list)
    if kind == "long":
        _check_length(kind, v, LONG_SIZE)
        return _decode_long(v[:LONG_SIZE].reshape(LONG_NODES, LONG_NODES))
    if kind == "path":
        raise ConfigError("the path encoding is not injective, so it cannot be decoded; use short, long or adjacency_one_hot")
    raise ConfigError(f"unknown encoding {kind!r}; choose one of {list(ENCODINGS)}")


def _check_length(kind: str, vector: np.ndarray, size: int) -> None:
    if vector.ndim != 1 or len(vector) < size:
        raise InvalidCellError(f"a {kind} encoding has {size} entries, got shape {vector.shape}")
    head = vector[:size]
    if head.dtype.kind not in "biuf" or not np.all(np.isfinite(head)) or np.any(head != np.round(head)):
        raise InvalidCellError(f"a {kind} encoding holds whole numbers, got {head.tolist()}")


def _decode_long(expanded: np.ndarray) -> Cell:
    """Position-ordered cell from a 17 x 17 expanded adjacency (unused nodes are absent)."""
    if not np.all((expanded == 0) | (expanded == 1)):
        raise InvalidCellError("a long encoding must be binary (0/1)")
    used = np.flatnonzero(expanded.any(axis=0) | expanded.any(axis=1))
    position = {0: 0, LONG_NODES - 1: MAX_VERTICES - 1}
    ops: list[str | None] = [INPUT] + [None] * MAX_INTERIOR + [OUTPUT]
    for node in used:
        if node in (0, LONG_NODES - 1):
            continue
        rank, p = divmod(int(node) - 1, MAX_INTERIOR)
        if ops[p + 1] is not None:
            raise InvalidCellError(
                f"position {p + 1} carries two ops ({ops[p + 1]!r} and {LONG_OP_ORDER[rank]!r}); "
                "a position holds at most one op"
            )
        ops[p + 1] = LONG_OP_ORDER[rank]
        position[int(node)] = p + 1
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    for a, b in zip(*np.nonzero(expanded)):
        pa, pb = position[int(a)], position[int(b)]
        if pa >= pb:
            raise InvalidCellError(f"edge from position {pa} to position {pb} goes backwards; edges must go forward")
        matrix[pa, pb] = 1
    return _from_padded(matrix, ops)


# --------------------------------------------------------------------------------------- batches
def encode_many(matrices: np.ndarray, labels: np.ndarray, kind: str = "long") -> np.ndarray:
    """`encode` of many padded cells at once ((K, 7, 7) top-left matrices, (K, 7) labels) as
    `adjacency_one_hot`, `short` or `long`; row i equals `encode(cell_i, kind)`."""
    count = len(labels)
    mats, labs = np.asarray(matrices), np.asarray(labels).astype(np.int64)
    n = (labs != PAD_LABEL).sum(axis=1)
    if kind == "short":
        return np.concatenate([mats.reshape(count, -1), labs], axis=1).astype(np.float64)
    # move the output vertex to position 6: the 'padded at ends' layout
    pos = np.tile(np.arange(MAX_VERTICES), (count, 1))
    pos[np.arange(count), n - 1] = MAX_VERTICES - 1
    pos = np.where(labs == PAD_LABEL, -1, pos)
    r, a, b = np.nonzero(mats.astype(bool))
    ends = np.zeros_like(mats)
    ends[r, pos[r, a], pos[r, b]] = 1
    ends_labels = np.full_like(labs, PAD_LABEL)
    rr, vv = np.nonzero(pos >= 0)
    ends_labels[rr, pos[rr, vv]] = labs[rr, vv]
    if kind == "adjacency_one_hot":
        column_labels = np.array([OPS.index(op) for op in ONE_HOT_OP_ORDER])
        one_hot = (ends_labels[:, 1:-1, None] == column_labels).astype(np.uint8)
        return np.concatenate([ends[:, _TRIU7[0], _TRIU7[1]], one_hot.reshape(count, -1)], axis=1)
    if kind == "long":
        rank_of_label = np.array([LONG_OP_ORDER.index(op) for op in OPS])
        node = np.where(
            ends_labels >= 0,
            1 + MAX_INTERIOR * rank_of_label[ends_labels.clip(0)] + np.arange(MAX_VERTICES) - 1,
            0,
        )
        node[:, MAX_VERTICES - 1] = LONG_NODES - 1
        out = np.zeros((count, LONG_NODES, LONG_NODES), dtype=np.uint8)
        r, a, b = np.nonzero(ends.astype(bool))
        out[r, node[r, a], node[r, b]] = 1
        return out.reshape(count, -1)
    raise ConfigError(f"unknown batch encoding {kind!r}; choose 'adjacency_one_hot', 'short' or 'long'")
