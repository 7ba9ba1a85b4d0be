"""The whole NB101 space: all 423,624 unique cells, enumerated once and cached on disk.

`all_cells()` returns a `CellTable`: rows sorted by NB101 hash (so a row is the rank of the hash,
the `id` of the EO data), padded arrays for vectorised work, hash <-> row lookups, batch
encodings and whole-space neighbour tables.
"""

from __future__ import annotations

import itertools
import os
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import DataFileError, UnknownArchitectureError
from ..paths import cache_dir
from .cell import _EDGE_BIT, Cell
from .constants import (
    INPUT_LABEL,
    MAX_EDGES,
    MAX_VERTICES,
    NUM_CELLS,
    OPS,
    OUTPUT_LABEL,
    PAD_LABEL,
)
from .hashing import hash_many

CACHE_VERSION = 1
CACHE_NAME = f"nb101_space_v{CACHE_VERSION}.npz"
_NAMES = {INPUT_LABEL: "input", OUTPUT_LABEL: "output", **dict(enumerate(OPS))}
_TRIU7 = np.triu_indices(MAX_VERTICES, 1)
_HEX_VALUE = np.zeros(128, dtype=np.uint64)
_HEX_VALUE[ord("0") : ord("9") + 1] = np.arange(10)
_HEX_VALUE[ord("a") : ord("f") + 1] = np.arange(10, 16)
_NIBBLE_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)


def hash_prefix_keys(hashes: np.ndarray | list[str]) -> np.ndarray:
    """The first 64 bits of md5 hex strings as uint64, vectorised; preserves their sort order."""
    codes = np.asarray(hashes, dtype="U32").view(np.uint32).reshape(-1, 32)[:, :16]
    return np.bitwise_or.reduce(_HEX_VALUE[codes.clip(max=127)] << _NIBBLE_SHIFTS, axis=1)


# --------------------------------------------------------------------------- vectorised helpers
def keys_of(matrices: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """`Cell.key` of many padded, pruned representations ((K, 7, 7), (K, 7))."""
    n = (labels != PAD_LABEL).sum(axis=1).astype(np.int64)
    edge_bits = (matrices.astype(np.int64) * _EDGE_BIT).sum(axis=(1, 2))
    interior = np.where((labels >= 0), labels, 0).astype(np.int64)
    trits = np.zeros(len(labels), dtype=np.int64)
    for v in range(1, MAX_VERTICES - 1):
        present = v < n - 1
        trits = np.where(present, trits * 3 + interior[:, v], trits)
    return (n << 32) | (edge_bits << 8) | trits


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
    valid &= out_matrices.reshape(k, -1).sum(axis=1) <= MAX_EDGES
    return out_matrices, out_labels, valid


def _representations() -> tuple[np.ndarray, np.ndarray]:
    """Every pruned, labelled, topologically ordered cell of 2..7 vertices with <= 9 edges."""
    matrices, labels = [], []
    for n in range(2, MAX_VERTICES + 1):
        iu = np.triu_indices(n, 1)
        codes = np.arange(2 ** len(iu[0]), dtype=np.int64)
        bits = ((codes[:, None] >> np.arange(len(iu[0]))) & 1).astype(np.uint8)
        bits = bits[bits.sum(axis=1) <= MAX_EDGES]
        small = np.zeros((len(bits), n, n), dtype=np.uint8)
        small[:, iu[0], iu[1]] = bits
        padded = np.zeros((len(bits), MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
        padded[:, :n, :n] = small
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


# --------------------------------------------------------------------------- the table
class CellTable:
    """All unique NB101 cells as arrays, rows sorted by hash."""

    def __init__(
        self,
        matrices: np.ndarray,
        labels: np.ndarray,
        hashes: np.ndarray,
        rep_keys: np.ndarray,
        rep_rows: np.ndarray,
        path: Path | None = None,
    ) -> None:
        self.matrices = matrices  #: (N, 7, 7) uint8, each cell top-left
        self.labels = labels  #: (N, 7) int8, PAD_LABEL after the output
        self.hashes = hashes  #: (N,) sorted NB101 hashes (str)
        self.rep_keys = rep_keys  #: sorted `Cell.key` of every representation of every cell
        self.rep_rows = rep_rows  #: row of the cell each representation belongs to
        self.path = path
        self._neighbour_tables: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.hashes)

    @cached_property
    def n_vertices(self) -> np.ndarray:
        return (self.labels != PAD_LABEL).sum(axis=1)

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
        pos = np.searchsorted(self.rep_keys, keys).clip(max=len(self.rep_keys) - 1)
        return np.where(self.rep_keys[pos] == keys, self.rep_rows[pos], -1)

    def cell(self, row: int) -> Cell:
        n = int(self.n_vertices[row])
        ops = tuple(_NAMES[int(x)] for x in self.labels[row, :n])
        cell = Cell._trusted(self.matrices[row, :n, :n].copy(), ops)
        cell._hash = str(self.hashes[row])
        return cell

    def encode(self, kind: str = "long", rows: np.ndarray | None = None) -> np.ndarray:
        """Batch encoding of the given rows (default all) as `adjacency_one_hot`, `short` or `long`."""
        from .encodings import LONG_NODES, LONG_OP_ORDER, MAX_INTERIOR, ONE_HOT_OP_ORDER

        rows = np.arange(len(self)) if rows is None else np.asarray(rows)
        mats, labs, n = self.matrices[rows], self.labels[rows].astype(np.int64), self.n_vertices[rows]
        if kind == "short":
            return np.concatenate([mats.reshape(len(rows), -1), labs], axis=1).astype(np.float64)
        # move the output vertex to position 6: the 'padded at ends' layout
        pos = np.tile(np.arange(MAX_VERTICES), (len(rows), 1))
        pos[np.arange(len(rows)), n - 1] = MAX_VERTICES - 1
        pos = np.where(labs == PAD_LABEL, -1, pos)
        present = pos >= 0
        r, a, b = np.nonzero(mats.astype(bool))
        ends = np.zeros_like(mats)
        ends[r, pos[r, a], pos[r, b]] = 1
        ends_labels = np.full_like(labs, PAD_LABEL)
        rr, vv = np.nonzero(present)
        ends_labels[rr, pos[rr, vv]] = labs[rr, vv]
        if kind == "adjacency_one_hot":
            column_labels = np.array([OPS.index(op) for op in ONE_HOT_OP_ORDER])
            one_hot = (ends_labels[:, 1:-1, None] == column_labels).astype(np.uint8)
            return np.concatenate([ends[:, _TRIU7[0], _TRIU7[1]], one_hot.reshape(len(rows), -1)], axis=1)
        if kind == "long":
            rank_of_label = np.array([LONG_OP_ORDER.index(op) for op in OPS])
            node = np.where(
                ends_labels >= 0,
                1 + MAX_INTERIOR * rank_of_label[ends_labels.clip(0)] + np.arange(MAX_VERTICES) - 1,
                0,
            )
            node[:, MAX_VERTICES - 1] = LONG_NODES - 1
            out = np.zeros((len(rows), LONG_NODES, LONG_NODES), dtype=np.uint8)
            r, a, b = np.nonzero(ends.astype(bool))
            out[r, node[r, a], node[r, b]] = 1
            return out.reshape(len(rows), -1)
        raise ValueError(f"unknown batch encoding {kind!r}; choose 'adjacency_one_hot', 'short' or 'long'")

    def neighbour_table(self, kind: str = "edit") -> np.ndarray:
        """(N, K) int32 rows of every cell's distinct neighbours (`edit` or `hamming`), -1 padded.

        The same moves as `Cell.neighbours`, done for the whole space at once; read-only, loaded
        (or built and cached to disk) once per kind and kept in memory.
        """
        if kind not in ("edit", "hamming"):
            raise ValueError(f"unknown neighbourhood {kind!r}; choose 'edit' or 'hamming'")
        if kind not in self._neighbour_tables:
            self._neighbour_tables[kind] = self._load_or_build_neighbour_table(kind)
        return self._neighbour_tables[kind]

    def _load_or_build_neighbour_table(self, kind: str) -> np.ndarray:
        cached = self._neighbour_cache_path(kind)
        if cached is not None and cached.exists():
            table = np.load(cached)
            table.flags.writeable = False
            return table
        columns = [self._toggle_rows(i, j) for i, j in zip(*_TRIU7)]
        if kind == "edit":
            columns += [self._op_change_rows(v, k) for v in range(1, MAX_VERTICES - 1) for k in (1, 2)]
        table = _distinct_per_row(np.stack(columns, axis=1), np.arange(len(self)))
        if cached is not None:
            _atomic_save(cached, table)
        table.flags.writeable = False
        return table

    def _neighbour_cache_path(self, kind: str) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.stem + f"_nbhd_{kind}.npy")

    def _toggle_rows(self, i: int, j: int) -> np.ndarray:
        n = self.n_vertices
        applicable = j < n
        mats = self.matrices.copy()
        mats[:, i, j] ^= applicable.astype(np.uint8)
        pruned, labels, valid = prune_many(mats, self.labels.astype(np.int64))
        rows = self.rows_of_keys(keys_of(pruned, labels))
        return np.where(applicable & valid, rows, -1)

    def _op_change_rows(self, v: int, shift: int) -> np.ndarray:
        labels = self.labels.astype(np.int64)
        applicable = v < self.n_vertices - 1
        changed = labels.copy()
        changed[:, v] = np.where(applicable, (labels[:, v] + shift) % len(OPS), labels[:, v])
        rows = self.rows_of_keys(keys_of(self.matrices, changed))
        return np.where(applicable, rows, -1)


def _distinct_per_row(table: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Drop self-references and repeats in each row, pack the rest left, pad with -1."""
    table = np.where(table == own[:, None], -1, table)
    table = np.sort(table, axis=1)
    repeat = np.zeros_like(table, dtype=bool)
    repeat[:, 1:] = table[:, 1:] == table[:, :-1]
    table = np.where(repeat, -1, table)
    table = -np.sort(-table, axis=1)  # valid rows (>= 0) first, -1 last
    width = int((table >= 0).sum(axis=1).max())
    return np.ascontiguousarray(table[:, :width]).astype(np.int32)


def _atomic_save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
    os.replace(tmp, path)


def enumerate_space(processes: int | None = None) -> CellTable:
    """Enumerate and hash the whole space (about 17 s on 2 cores)."""
    matrices, labels = _representations()
    hashes = hash_many(matrices, labels, processes=processes)
    unique_hashes, first, rep_rows = np.unique(hashes, return_index=True, return_inverse=True)
    if len(unique_hashes) != NUM_CELLS:
        raise RuntimeError(f"enumeration found {len(unique_hashes)} cells, expected {NUM_CELLS}")
    keys = keys_of(matrices, labels)
    order = np.argsort(keys)
    return CellTable(
        matrices[first],
        labels[first].astype(np.int8),
        unique_hashes,
        keys[order],
        rep_rows[order].astype(np.int32),
    )


def _save(table: CellTable, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez(
        tmp,
        matrices=table.matrices,
        labels=table.labels,
        hashes=table.hashes.astype("S32"),
        rep_keys=table.rep_keys,
        rep_rows=table.rep_rows,
    )
    os.replace(tmp, path)


def _load(path: Path) -> CellTable:
    try:
        with np.load(path, allow_pickle=False) as data:
            table = CellTable(
                data["matrices"],
                data["labels"],
                data["hashes"].astype("U32"),
                data["rep_keys"],
                data["rep_rows"],
                path=path,
            )
    except (OSError, ValueError, KeyError) as exc:
        raise DataFileError(f"space cache {path} is unreadable ({exc}); delete it to rebuild") from exc
    if len(table) != NUM_CELLS:
        raise DataFileError(f"space cache {path} has {len(table)} cells, not {NUM_CELLS}; delete it to rebuild")
    return table


_LOADED: CellTable | None = None


def space_cache_path(directory: str | os.PathLike | None = None) -> Path:
    return cache_dir(directory) / CACHE_NAME


def all_cells(cache: str | os.PathLike | None = None, rebuild: bool = False) -> CellTable:
    """The whole space, loaded from the cache (enumerated and cached on first use).

    `cache` is a cache directory (default: $EO_NASLIB_CACHE or the user cache dir).
    """
    global _LOADED
    path = space_cache_path(cache)
    if _LOADED is not None and _LOADED.path == path and not rebuild:
        return _LOADED
    if path.exists() and not rebuild:
        table = _load(path)
    else:
        table = enumerate_space()
        _save(table, path)
        table.path = path
    _LOADED = table
    return table


def lookup_hash(key: int) -> str | None:
    """Hash of a representation key from the loaded space, or None when no space is loaded."""
    if _LOADED is None:
        return None
    pos = int(np.searchsorted(_LOADED.rep_keys, key))
    if pos == len(_LOADED.rep_keys) or _LOADED.rep_keys[pos] != key:
        return None
    return str(_LOADED.hashes[_LOADED.rep_rows[pos]])


def timed_all_cells(cache: str | os.PathLike | None = None, rebuild: bool = False) -> tuple[CellTable, float]:
    """`all_cells` and the seconds it took."""
    start = time.perf_counter()
    table = all_cells(cache, rebuild=rebuild)
    return table, time.perf_counter() - start
