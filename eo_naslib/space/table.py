"""`CellTable`: the whole NB101 space as arrays, rows sorted by NB101 hash.

A row is the rank of a cell's hash (the `id` of the EO data). The table answers hash <-> row and
cell -> row lookups, batch encodings and whole-space neighbour tables. It is an explicit object:
pass it where it is needed (`all_cells()` loads the cached one).
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError, UnknownArchitectureError
from .batch import hash_prefix_keys
from .cell import Cell
from .constants import LABEL_OPS, PAD_LABEL
from .encodings import encode_many
from .neighbourhoods import check_neighbourhood, csr_from_codes, neighbour_pairs, padded_table, rows_of_keys
from .store import load_arrays, save_arrays

NEIGHBOUR_CACHE_VERSION = 2
log = logging.getLogger(__name__)


class CellTable:
    """All unique NB101 cells as arrays, rows sorted by hash."""

    def __init__(
        self,
        matrices: np.ndarray,
        labels: np.ndarray,
        hashes: np.ndarray,
        rep_keys: np.ndarray,
        rep_rows: np.ndarray,
        cache_prefix: Path | None = None,
    ) -> None:
        self.matrices = matrices  #: (N, 7, 7) uint8, each cell top-left
        self.labels = labels  #: (N, 7) int8, PAD_LABEL after the output
        self.hashes = hashes  #: (N,) sorted NB101 hashes (str)
        self.rep_keys = rep_keys  #: sorted `Cell.key` of every representation of every cell
        self.rep_rows = rep_rows  #: row of the cell each representation belongs to
        self.cache_prefix = cache_prefix  #: where neighbour tables are cached (None: memory only)
        self._pairs: dict[str, np.ndarray] = {}
        self._tables: dict[str, np.ndarray] = {}
        self._graphs: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.hashes)

    @cached_property
    def n_vertices(self) -> np.ndarray:
        return (self.labels != PAD_LABEL).sum(axis=1)

    # ------------------------------------------------------------------ lookups
    def index(self, cell_hash: str) -> int:
        """Row of a hash; raises `UnknownArchitectureError` if it is not an NB101 cell."""
        row = int(np.searchsorted(self.hashes, cell_hash))
        if row == len(self.hashes) or self.hashes[row] != cell_hash:
            raise UnknownArchitectureError(f"{cell_hash!r} is not the NB101 hash of any cell in the space")
        return row

    @cached_property
    def hash_keys(self) -> np.ndarray:
        """(N,) sorted uint64 prefixes of the hashes (unique over NB101: a fast search key)."""
        return hash_prefix_keys(self.hashes)

    def indices(self, cell_hashes: np.ndarray | list[str]) -> np.ndarray:
        """Rows of many hashes (vectorised); raises on the first unknown one."""
        wanted = np.asarray(cell_hashes, dtype=self.hashes.dtype)
        rows = np.searchsorted(self.hash_keys, hash_prefix_keys(wanted)).clip(max=len(self.hashes) - 1)
        bad = self.hashes[rows] != wanted
        if np.any(bad):
            raise UnknownArchitectureError(f"{wanted[bad][0]!r} is not the NB101 hash of any cell in the space")
        return rows

    def rows_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """Row for each representation key, -1 where the key is no valid cell."""
        return rows_of_keys(self.rep_keys, self.rep_rows, keys)

    def row_of(self, cell: Cell | str | int) -> int:
        """Row of a cell (by its representation key, no hashing), a hash, or a row (checked)."""
        if isinstance(cell, Cell):
            return int(self.rows_of_keys(np.array([cell.key]))[0])
        if isinstance(cell, str):
            return self.index(cell)
        return self.checked_row(cell)

    def checked_row(self, row: Any) -> int:
        """`row` as an int if it is a row of the space (an integer, not a bool), else an error."""
        if type(row) is int and 0 <= row < len(self.hashes):  # the hot path
            return row
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)):
            raise UnknownArchitectureError(
                f"{row!r} ({type(row).__name__}) is not a row of the space; pass an integer row, a Cell or an NB101 hash"
            )
        if not 0 <= int(row) < len(self):
            raise UnknownArchitectureError(f"row {row} is outside the space (0 .. {len(self) - 1})")
        return int(row)

    def checked_rows(self, rows: Any) -> np.ndarray:
        """`rows` as an integer array of rows of the space, else an error naming the first bad one."""
        array = np.asarray(rows)
        if array.dtype.kind not in "iu":
            raise UnknownArchitectureError(
                f"rows must be integers (rows of the space), not {array.dtype} values such as {array.ravel()[:1].tolist()}"
            )
        flat = array.ravel()
        outside = (flat < 0) | (flat >= len(self))
        if outside.any():
            raise UnknownArchitectureError(f"row {int(flat[outside][0])} is outside the space (0 .. {len(self) - 1})")
        return array

    def hash_of(self, cell: Cell) -> str:
        """NB101 hash of a cell by table lookup (~100x faster than hashing it)."""
        return str(self.hashes[self.row_of(cell)])

    def cell(self, row: int) -> Cell:
        """The cell of a row."""
        row = self.checked_row(row)
        n = int(self.n_vertices[row])
        ops = tuple(LABEL_OPS[int(x)] for x in self.labels[row, :n])
        return Cell._trusted(self.matrices[row, :n, :n].copy(), ops, str(self.hashes[row]))

    def encode(self, kind: str = "long", rows: np.ndarray | None = None) -> np.ndarray:
        """Batch encoding of the given rows (default all): `adjacency_one_hot`, `short` or `long`."""
        rows = np.arange(len(self)) if rows is None else self.checked_rows(rows)
        return encode_many(self.matrices[rows], self.labels[rows], kind)

    # ------------------------------------------------------------------ neighbourhoods
    def neighbour_table(self, kind: str = "edit") -> np.ndarray:
        """(N, K) int32 one-way neighbours of every cell, ascending, -1 padded (read-only).

        The moves of `neighbourhoods`; search walks the symmetric closure (`neighbours_of`).
        """
        kind = check_neighbourhood(kind)
        if kind not in self._tables:
            table = padded_table(self._neighbour_pairs(kind), len(self))
            table.flags.writeable = False
            self._tables[kind] = table
        return self._tables[kind]

    def neighbour_graph(self, kind: str = "edit", symmetric: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """CSR (indptr, indices) of the neighbour relation; `symmetric` adds every move's reverse."""
        key = (check_neighbourhood(kind), bool(symmetric))
        if key not in self._graphs:
            indptr, indices = csr_from_codes(self._neighbour_pairs(kind), len(self), symmetric)
            indptr.flags.writeable = indices.flags.writeable = False
            self._graphs[key] = (indptr, indices)
        return self._graphs[key]

    def neighbours_of(self, row: int, kind: str = "edit", symmetric: bool = True) -> np.ndarray:
        """Rows of the neighbours of `row` (ascending) in the symmetric (default) or one-way relation."""
        indptr, indices = self.neighbour_graph(kind, symmetric)
        row = self.checked_row(row)
        return indices[indptr[row] : indptr[row + 1]]

    def _neighbour_pairs(self, kind: str) -> np.ndarray:
        if kind in self._pairs:
            return self._pairs[kind]
        path = None if self.cache_prefix is None else self.cache_prefix.with_name(f"{self.cache_prefix.name}_nbhd_{kind}.npz")
        pairs = None
        if path is not None and path.exists():
            try:
                pairs = load_arrays(path, NEIGHBOUR_CACHE_VERSION)["pairs"]
            except DataFileError as exc:
                log.warning("%s; rebuilding the %s neighbour table", exc, kind)
        if pairs is None:
            pairs = neighbour_pairs(self.matrices, self.labels, self.rep_keys, self.rep_rows, kind)
            if path is not None:
                save_arrays(path, NEIGHBOUR_CACHE_VERSION, pairs=pairs)
        self._pairs[kind] = pairs
        return pairs
