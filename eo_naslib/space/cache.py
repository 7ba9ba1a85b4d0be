"""`all_cells()`: the enumerated space, loaded from a checksummed cache or enumerated once."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from ..errors import DataFileError
from ..io import check_writable
from ..paths import cache_dir
from .constants import NUM_CELLS
from .enumeration import enumerate_space
from .store import load_arrays, save_arrays
from .table import CellTable

#: 3: each row holds NB101's labelling of its cell (2 held the first one in this package's own order)
CACHE_VERSION = 3
CACHE_NAME = f"nb101_space_v{CACHE_VERSION}.npz"
log = logging.getLogger(__name__)
_OPEN: dict[Path, CellTable] = {}


def space_cache_path(directory: str | os.PathLike | None = None) -> Path:
    return cache_dir(directory) / CACHE_NAME


def _save(table: CellTable, path: Path) -> None:
    save_arrays(
        path,
        CACHE_VERSION,
        matrices=table.matrices,
        labels=table.labels,
        hashes=table.hashes.astype("S32"),
        rep_keys=table.rep_keys,
        rep_rows=table.rep_rows,
    )


def load_table(path: Path) -> CellTable:
    """The table cached at `path`; `DataFileError` if it fails its version or checksum."""
    arrays = load_arrays(path, CACHE_VERSION)
    try:
        table = CellTable(
            arrays["matrices"],
            arrays["labels"],
            arrays["hashes"].astype("U32"),
            arrays["rep_keys"],
            arrays["rep_rows"],
            cache_prefix=path.with_suffix(""),
        )
    except KeyError as exc:
        raise DataFileError(f"space cache {path} lacks array {exc}") from None
    if len(table) != NUM_CELLS:
        raise DataFileError(f"space cache {path} has {len(table)} cells, not {NUM_CELLS}")
    return table


def all_cells(cache: str | os.PathLike | None = None, rebuild: bool = False) -> CellTable:
    """The whole space, loaded once per process from the cache (enumerated and cached on first use).

    `cache` is a cache directory (default: $EO_NASLIB_CACHE or the user cache dir). A cache that
    fails its checksum or version check is rebuilt, with a warning.
    """
    path = space_cache_path(cache)
    if path in _OPEN and not rebuild:
        return _OPEN[path]
    check_writable(path.parent)  # before minutes of work, not after
    table = None
    if path.exists() and not rebuild:
        try:
            table = load_table(path)
        except DataFileError as exc:
            log.warning("%s; enumerating the space again", exc)
    if table is None:
        table = enumerate_space()
        _save(table, path)
        table.cache_prefix = path.with_suffix("")
    _OPEN[path] = table
    return table


def timed_all_cells(cache: str | os.PathLike | None = None, rebuild: bool = False) -> tuple[CellTable, float]:
    """`all_cells` and the seconds it took."""
    start = time.perf_counter()
    table = all_cells(cache, rebuild=rebuild)
    return table, time.perf_counter() - start
