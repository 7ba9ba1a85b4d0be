"""The neighbourhood as a compressed sparse row graph over all_cells rows.

The space's one-way moves are directed: a move that prunes vertices has no reverse move (vertex
counts never grow), so walks would drift to small cells and the 2-vertex cell is a dead end.
`from_space(..., symmetric=True)` takes the symmetric relation y in N(x) <=> x in N(y) that a
distance-1 neighbourhood implies, the one search uses too (see `eo_naslib.space.neighbourhoods`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..space import CellTable


@dataclass(frozen=True)
class NeighbourGraph:
    """Neighbours of row r: `indices[indptr[r]:indptr[r + 1]]` (sorted, distinct, no self)."""

    indptr: np.ndarray
    indices: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @classmethod
    def from_space(cls, space: CellTable, kind: str = "edit", symmetric: bool = True) -> NeighbourGraph:
        """The space's own neighbour relation (`CellTable.neighbour_graph`)."""
        indptr, indices = space.neighbour_graph(kind, symmetric)
        return cls(indptr.astype(np.int64), indices.astype(np.int64))

    @classmethod
    def from_table(cls, table: np.ndarray, symmetric: bool = True) -> NeighbourGraph:
        """From an (N, K) -1 padded neighbour table, optionally with every move's reverse added."""
        n = len(table)
        src, col = np.nonzero(table >= 0)
        dst = table[src, col].astype(np.int64)
        if symmetric:
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        matrix = sparse.csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
        matrix.sum_duplicates()
        matrix.setdiag(0)
        matrix.eliminate_zeros()
        matrix.sort_indices()
        return cls(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64))

    def to_sparse(self) -> sparse.csr_matrix:
        n = len(self)
        return sparse.csr_matrix(
            (np.ones(len(self.indices), dtype=np.int8), self.indices, self.indptr), shape=(n, n)
        )

    def restrict(self, keep: np.ndarray) -> NeighbourGraph:
        """The same rows with only the edges into rows where `keep` is True."""
        ok = keep[self.indices]
        owner = np.repeat(np.arange(len(self)), self.degree)
        counts = np.bincount(owner[ok], minlength=len(self))
        indptr = np.concatenate([[0], np.cumsum(counts)])
        return NeighbourGraph(indptr, self.indices[ok])

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of `rows` concatenated, and the segment start of each row in that array."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        if len(rows) == len(self) and np.array_equal(rows, np.arange(len(self))):
            return self.indices, starts
        flat = np.repeat(self.indptr[rows] - starts, lengths) + np.arange(lengths.sum())
        return self.indices[flat], starts
