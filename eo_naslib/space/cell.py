"""`Cell`: an immutable, validated and pruned NAS-Bench-101 cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvalidCellError
from .constants import (
    EDGE_BIT,
    INPUT,
    INPUT_LABEL,
    MAX_EDGES,
    MAX_VERTICES,
    OP_LABEL,
    OPS,
    OUTPUT,
    OUTPUT_LABEL,
    PAD_LABEL,
)
from .hashing import nb101_hash
from .labelling import nb101_order


def prune(matrix: np.ndarray, ops: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Drop vertices not on an input-to-output path, as NB101's `ModelSpec` does."""
    n = len(ops)
    reach = matrix.astype(bool)
    from_input = np.zeros(n, dtype=bool)
    from_input[0] = True
    for v in range(n):
        if from_input[v]:
            from_input |= reach[v]
    to_output = np.zeros(n, dtype=bool)
    to_output[n - 1] = True
    for v in range(n - 1, -1, -1):
        to_output[v] |= bool(np.any(reach[v] & to_output))
    keep = np.flatnonzero(from_input & to_output)
    if len(keep) < 2 or keep[0] != 0 or keep[-1] != n - 1:
        raise InvalidCellError(
            "the cell has no path from the input vertex (0) to the output vertex "
            f"({n - 1}); add an edge chain input -> ... -> output"
        )
    return matrix[np.ix_(keep, keep)], [ops[v] for v in keep]


def _validate(matrix: Any, ops: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    try:
        m = np.asarray(matrix)
    except (TypeError, ValueError) as exc:
        raise InvalidCellError(f"matrix {matrix!r} is not an array: {exc}") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InvalidCellError(f"matrix must be square, got shape {m.shape}")
    n = m.shape[0]
    if not np.all((m == 0) | (m == 1)):
        raise InvalidCellError(f"matrix entries must be 0 or 1, got values {sorted(set(m.ravel().tolist()))}")
    m = m.astype(np.uint8)
    if np.any(np.tril(m)):
        raise InvalidCellError(
            "matrix must be strictly upper triangular (edges go from lower to higher vertex "
            f"index); nonzero at {list(zip(*np.nonzero(np.tril(m))))[:3]}"
        )
    if not isinstance(ops, (list, tuple, np.ndarray)) or not all(isinstance(op, str) for op in ops):
        raise InvalidCellError(
            f"ops must be a list of op names, one per vertex, e.g. ['input', 'conv3x3-bn-relu', 'output']; got {ops!r}"
        )
    ops = list(ops)
    if len(ops) != n:
        raise InvalidCellError(f"{len(ops)} ops given for a {n} x {n} matrix; give one op per vertex")
    if n < 2:
        raise InvalidCellError(f"a cell needs at least an input and an output vertex, got {n} vertices")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidCellError(f"ops must start with {INPUT!r} and end with {OUTPUT!r}, got {ops[0]!r} ... {ops[-1]!r}")
    unknown = [op for op in ops[1:-1] if op not in OP_LABEL]
    if unknown:
        raise InvalidCellError(f"unknown op {unknown[0]!r}; interior ops must be one of {list(OPS)}")
    m, ops = prune(m, ops)
    if len(ops) > MAX_VERTICES:
        raise InvalidCellError(f"{len(ops)} vertices after pruning; NB101 allows at most {MAX_VERTICES}")
    edges = int(m.sum())
    if edges > MAX_EDGES:
        raise InvalidCellError(f"{edges} edges after pruning; NB101 allows at most {MAX_EDGES}")
    return m, ops


class Cell:
    """A valid NB101 cell, pruned to its input-to-output subgraph.

    `matrix` and `ops` hold the pruned cell in the vertex order given (the user's labelling; cells
    from the space come in NB101's). Cells compare equal when they have the same NB101 hash, i.e.
    when they are the same graph up to isomorphism. NB101's network depends on the vertex order:
    `labelling` says whether this one is NB101's, `nb101()` gives NB101's labelling of the cell.
    """

    __slots__ = ("_matrix", "_ops", "_hash")

    def __init__(self, matrix: Any, ops: Sequence[str]) -> None:
        m, pruned_ops = _validate(matrix, ops)
        m.setflags(write=False)
        self._matrix = m
        self._ops = tuple(pruned_ops)
        self._hash: str | None = None

    @classmethod
    def _trusted(cls, matrix: np.ndarray, ops: tuple[str, ...], cell_hash: str | None = None) -> Cell:
        """Wrap an already pruned, valid cell (and its known hash) without re-checking it."""
        cell = object.__new__(cls)
        matrix.setflags(write=False)
        cell._matrix = matrix
        cell._ops = ops
        cell._hash = cell_hash
        return cell

    # ------------------------------------------------------------------ views
    @property
    def matrix(self) -> np.ndarray:
        """Pruned adjacency matrix (read-only uint8 array)."""
        return self._matrix

    @property
    def ops(self) -> tuple[str, ...]:
        """Pruned op list, `input` first and `output` last."""
        return self._ops

    @property
    def n_vertices(self) -> int:
        return len(self._ops)

    @property
    def n_edges(self) -> int:
        return int(self._matrix.sum())

    @property
    def labels(self) -> list[int]:
        """NB101 hash labels: -1 input, -2 output, index in `OPS` otherwise."""
        return [INPUT_LABEL] + [OP_LABEL[op] for op in self._ops[1:-1]] + [OUTPUT_LABEL]

    def padded(self) -> tuple[np.ndarray, np.ndarray]:
        """(7 x 7 matrix, 7 labels) with the cell top-left and `PAD_LABEL` after the output."""
        n = self.n_vertices
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
        matrix[:n, :n] = self._matrix
        labels = np.full(MAX_VERTICES, PAD_LABEL, dtype=np.int64)
        labels[:n] = self.labels
        return matrix, labels

    @property
    def key(self) -> int:
        """Integer id of this representation (vertex order included): n, edges, op labels."""
        n = self.n_vertices
        edge_bits = int(EDGE_BIT[:n, :n][self._matrix.astype(bool)].sum())
        trits = 0
        for op in self._ops[1:-1]:
            trits = trits * 3 + OP_LABEL[op]
        return (n << 32) | (edge_bits << 8) | trits

    @property
    def hash(self) -> str:
        """NB101 `unique_hash` (md5 hex string), computed once per object.

        In hot loops ask the space instead: `space.hash_of(cell)` is a key lookup (~6 us vs ~80 us).
        """
        if self._hash is None:
            self._hash = nb101_hash(self._matrix, self.labels)
        return self._hash

    # ------------------------------------------------------------------ labelling
    def _nb101_order(self) -> np.ndarray:
        return nb101_order(self._matrix, np.asarray(self.labels))

    @property
    def labelling(self) -> str:
        """'nb101' if the vertex order is the one NB101's generator keeps for this cell, else 'user'."""
        order = self._nb101_order()
        return "nb101" if np.array_equal(order, np.arange(len(order))) else "user"

    def nb101(self) -> Cell:
        """The same cell in NB101's labelling (the vertex order NB101 built and published its network from)."""
        order = self._nb101_order()
        if np.array_equal(order, np.arange(len(order))):
            return self
        matrix = np.ascontiguousarray(self._matrix[np.ix_(order, order)])
        return Cell._trusted(matrix, tuple(self._ops[v] for v in order), self._hash)

    # ------------------------------------------------------------------ conversions
    def to_spec(self) -> dict[str, list]:
        """NASLib/NB101 spec dict (pruned matrix as nested lists, ops)."""
        return {"matrix": self._matrix.tolist(), "ops": list(self._ops)}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Cell:
        """Build from a dict with keys `matrix` (or `module_adjacency`) and `ops` (or `module_operations`)."""
        if not isinstance(spec, Mapping):
            raise InvalidCellError(f"a cell spec is a mapping {{'matrix': [[...]], 'ops': [...]}}, got {spec!r}")
        try:
            matrix = spec["matrix"] if "matrix" in spec else spec["module_adjacency"]
            ops = spec["ops"] if "ops" in spec else spec["module_operations"]
        except KeyError:
            raise InvalidCellError(f"spec needs keys 'matrix' and 'ops', got {sorted(spec)}") from None
        return cls(matrix, ops)

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cell):
            return NotImplemented
        return self.hash == other.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        return f"Cell(matrix={self._matrix.tolist()}, ops={list(self._ops)}, labelling={self.labelling!r})"
