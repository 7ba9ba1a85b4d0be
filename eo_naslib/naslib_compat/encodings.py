"""NASLib's NAS-Bench-101 encodings, produced exactly as NASLib produces them.

NASLib encodes a 7-vertex spec (`search_spaces/nasbench101/encodings.py`, G2; G1:
`predictors/utils/encodings_nb101.py`). A cell with fewer than 7 vertices becomes a 7-vertex spec
the way NASLib's `NasBench101SearchSpace.convert_to_cell` pads the benchmark's pruned matrix: the
cell's vertices keep their places, the output moves to vertex 6 and the gap is filled with
edge-less ``conv3x3-bn-relu`` vertices. From that spec (`naslib_spec`):

- ``adjacency_one_hot`` (list of 36 ints): the 21 row-major upper-triangle bits, then per interior
  vertex 1..5 the op as maxpool ``100``, conv3x3 ``010``, conv1x1 ``001`` (padding vertices are
  conv3x3, so they read ``010``, not all zero as `eo_naslib.space.encode` writes);
- ``path`` (364 floats): one bit per input-to-output op sequence; a sequence (o_0..o_{k-1}) with
  conv3x3 = 0, conv1x1 = 1, maxpool = 2 has index sum_i 3**i * (o_i + 1) (the first op is the
  least significant digit, unlike `eo_naslib.space.encode(..., "path")`);
- ``gcn``: dict num_vertices 7, adjacency (the 7 x 7 matrix), operations (7 x 5 float32 one-hot in
  the order output, input, conv3x3, conv1x1, maxpool), mask (7 ones, float32), val_acc 0.0;
- ``bonas``: dict adjacency (8 x 8 float32: a global node joined from every vertex, diagonal set,
  transposed), operations (8 x 6 float32 one-hot in the order input, conv3x3, conv1x1, maxpool,
  output, global), val_acc 0.0;
- ``seminas``: dict num_vertices 7, adjacency, operations (op indices in input, output, conv3x3,
  conv1x1, maxpool), mask, val_acc 0.0.

``adjacency_mix`` and ``compact`` are NASLib encodings of other spaces (NAS-Bench-301, NLP, ASR);
NASLib raises NotImplementedError for them on NAS-Bench-101 and so does this module (with a
`ConfigError` that is also a NotImplementedError, so NASLib code that catches it behaves the same).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError
from ..space import Cell

INPUT = "input"
OUTPUT = "output"
CONV3X3 = "conv3x3-bn-relu"
CONV1X1 = "conv1x1-bn-relu"
MAXPOOL3X3 = "maxpool3x3"
#: NASLib's interior op order (`OPS`) and the orders of its one-hot encodings
NASLIB_OPS = (CONV3X3, CONV1X1, MAXPOOL3X3)
OPS_INCLUSIVE = (INPUT, OUTPUT, CONV3X3, CONV1X1, MAXPOOL3X3)
GCN_OP_ORDER = (OUTPUT, INPUT, CONV3X3, CONV1X1, MAXPOOL3X3)
BONAS_OP_ORDER = (INPUT, CONV3X3, CONV1X1, MAXPOOL3X3, OUTPUT)
ADJ_OP_BITS = {CONV1X1: (0, 0, 1), CONV3X3: (0, 1, 0), MAXPOOL3X3: (1, 0, 0)}
NUM_VERTICES = 7
PATH_SIZE = sum(len(NASLIB_OPS) ** i for i in range(NUM_VERTICES - 1))  # 364
NASLIB_ENCODINGS = ("adjacency_one_hot", "adjacency_mix", "path", "gcn", "bonas", "seminas", "compact")
NB101_ENCODINGS = ("adjacency_one_hot", "path", "gcn", "bonas", "seminas")


class EncodingNotDefinedError(ConfigError, NotImplementedError):
    """An encoding NASLib does not define for NAS-Bench-101."""


def naslib_spec(cell: Cell) -> dict[str, Any]:
    """The 7-vertex spec NASLib holds for `cell` (its `convert_to_cell` padding)."""
    n = cell.n_vertices
    matrix = np.zeros((NUM_VERTICES, NUM_VERTICES), dtype=np.int8)
    keep = list(range(n - 1))
    matrix[np.ix_(keep, keep)] = cell.matrix[: n - 1, : n - 1]
    matrix[:n, NUM_VERTICES - 1] = cell.matrix[:, n - 1]
    ops = list(cell.ops[: n - 1]) + [CONV3X3] * (NUM_VERTICES - n) + [OUTPUT]
    return {"matrix": matrix, "ops": ops}


def encoding_name(encoding_type: Any) -> str:
    """The encoding's string for a NASLib `EncodingType` member or a plain string."""
    return str(getattr(encoding_type, "value", encoding_type))


def path_indices(spec: dict[str, Any]) -> list[int]:
    """Sorted NASLib path index of every input-to-output path of a 7-vertex spec."""
    matrix, ops = spec["matrix"], spec["ops"]
    # indices[v]: (length, index) of every path from the input to v, ops of interior vertices only
    paths: list[list[tuple[int, int]]] = [[(0, 0)] if matrix[0][v] else [] for v in range(NUM_VERTICES)]
    for i in range(1, NUM_VERTICES - 1):
        digit = NASLIB_OPS.index(ops[i]) + 1
        for j in range(i + 1, NUM_VERTICES):
            if matrix[i][j]:
                paths[j].extend((length + 1, index + len(NASLIB_OPS) ** length * digit) for length, index in paths[i])
    return sorted(index for _, index in paths[NUM_VERTICES - 1])


def encode_spec(spec: dict[str, Any], encoding_type: Any = "adjacency_one_hot") -> Any:
    """One of NASLib's NB101 encodings of a 7-vertex spec, in NASLib's types."""
    kind = encoding_name(encoding_type)
    matrix, ops = spec["matrix"], spec["ops"]
    if kind == "adjacency_one_hot":
        bits = [matrix[i][j] for i in range(NUM_VERTICES - 1) for j in range(i + 1, NUM_VERTICES)]
        return bits + [b for op in ops[1:-1] for b in ADJ_OP_BITS[op]]
    if kind == "path":
        encoding = np.zeros(PATH_SIZE)
        encoding[path_indices(spec)] = 1
        return encoding
    mask = np.ones(NUM_VERTICES, dtype=np.float32)
    if kind == "gcn":
        one_hot = np.array([[op == name for name in GCN_OP_ORDER] for op in ops], dtype=np.float32)
        return {"num_vertices": NUM_VERTICES, "adjacency": matrix, "operations": one_hot, "mask": mask, "val_acc": 0.0}
    if kind == "seminas":
        indices = [OPS_INCLUSIVE.index(op) for op in ops]
        return {"num_vertices": NUM_VERTICES, "adjacency": matrix, "operations": indices, "mask": mask, "val_acc": 0.0}
    if kind == "bonas":
        return {"adjacency": _bonas_adjacency(matrix), "operations": _bonas_operations(ops), "val_acc": 0.0}
    if kind in NASLIB_ENCODINGS:
        raise EncodingNotDefinedError(
            f"NASLib defines encoding {kind!r} only for other search spaces (nasbench301, nlp, asr) and raises "
            f"NotImplementedError for nasbench101; use one of {list(NB101_ENCODINGS)}"
        )
    raise ConfigError(f"unknown encoding {kind!r}; NASLib's nasbench101 encodings are {list(NB101_ENCODINGS)}")


def _bonas_adjacency(matrix: np.ndarray) -> np.ndarray:
    """The matrix with a global node every vertex feeds, diagonal set, transposed."""
    n = len(matrix)
    out = np.zeros((n + 1, n + 1), dtype=np.float32)
    out[:n, :n] = matrix
    out[:n, n] = 1
    np.fill_diagonal(out, 1)
    return out.T


def _bonas_operations(ops: list[str]) -> np.ndarray:
    """The ops one-hot with a last row/column for the global node."""
    out = np.zeros((len(ops) + 1, len(BONAS_OP_ORDER) + 1), dtype=np.float32)
    for row, op in enumerate(ops):
        out[row, BONAS_OP_ORDER.index(op)] = 1
    out[-1, -1] = 1
    return out


def encode(cell: Cell, encoding_type: Any = "adjacency_one_hot") -> Any:
    """NASLib's encoding of `cell` (padded to 7 vertices as NASLib pads it)."""
    return encode_spec(naslib_spec(cell), encoding_type)
