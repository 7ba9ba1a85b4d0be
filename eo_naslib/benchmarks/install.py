"""Install benchmarks into the data dir: import source files, fit surrogates, save; or download first.

`build_bundled` is what `load_benchmark` runs when a benchmark is not installed: it builds the
store from `benchmarks_data/` once, under the data dir's lock, so processes starting together
build it once and all open the same store.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pooch

from ..errors import DataFileError
from ..io import atomic_write_json, check_writable, lock
from ..paths import cache_dir, data_dir
from .completion import complete_with_surrogates, tuning_record
from .importers import import_path
from .sources import BUNDLED_FOLDERS, NB101_OFFICIAL, SOURCES, bundled_dir
from .store import BenchmarkStore, backup_store, is_stale, remove_leftovers, store_path

log = logging.getLogger(__name__)

#: what a failed fetch raises: requests' and urllib's errors are OSErrors; pooch's hash mismatch a ValueError
_NETWORK_ERRORS = (OSError, ValueError)


def install(
    path: str | os.PathLike,
    directory: str | os.PathLike | None = None,
    surrogate: bool = True,
    progress: bool | None = False,
    tune: bool = False,
) -> BenchmarkStore:
    """Import `path` (folder or file), complete it with surrogates, replace its store in the data dir.

    Everything is read and checked before anything (even the data dir) is created; the store is
    replaced as one unit.
    """
    target = data_dir(directory)
    store = import_path(path)
    check_writable(target)  # before the long part
    if surrogate:
        complete_with_surrogates(store, progress=progress, tune=tune)
    store.save(target)
    return store


def build_bundled(name: str, directory: str | os.PathLike | None = None, progress: bool | None = None) -> Path:
    """Build benchmark `name` from `benchmarks_data/` into the data dir unless a store of the current
    format is there already (one of an older format is backed up, then rebuilt)."""
    target = data_dir(directory)
    source = bundled_dir() / BUNDLED_FOLDERS[name]
    if not source.is_dir():
        raise DataFileError(
            f"benchmark {name!r} is not installed in {target} and its bundled sources {source} are missing; "
            "run `eo-naslib data import PATH` or `eo-naslib data download`"
        )
    check_writable(target)
    with lock(target):
        path = store_path(target, name)
        if path.is_file():
            if not is_stale(path):  # another process built it while we waited for the lock
                return path
            log.warning("%s is of an older store format; kept as %s, rebuilding", path, backup_store(target, name))
        log.info("building benchmark %r from %s into %s (once)", name, source, target)
        store = complete_with_surrogates(import_path(source), progress=progress)
        remove_leftovers(target, name)
        return store.write(target)


def save_tuning(stores: list[BenchmarkStore], path: str | os.PathLike) -> Path:
    """Write the tuned hyperparameters and CV scores of `stores` (the format of benchmarks_data/surrogates.json)."""
    return atomic_write_json(path, tuning_record(stores))


def download(
    directory: str | os.PathLike | None = None, official_nb101: bool = False, progress: bool = True
) -> list[BenchmarkStore]:
    """Fetch the pinned public files with pooch (sha256-checked), then install them."""
    downloads = cache_dir() / "downloads"
    folders: list[Path] = []
    try:
        for files in SOURCES.values():
            for source in files:
                pooch.retrieve(
                    source.url,
                    known_hash=f"sha256:{source.sha256}",
                    fname=source.name,
                    path=downloads / source.folder,
                    progressbar=progress,
                )
            folders.append(downloads / files[0].folder)
        if official_nb101:
            # no checksum is published for it; every TFRecord record is CRC-checked on import instead
            folders.append(
                Path(pooch.retrieve(NB101_OFFICIAL.url, known_hash=None, fname=NB101_OFFICIAL.name,
                                    path=downloads / NB101_OFFICIAL.folder, progressbar=progress))
            )
    except _NETWORK_ERRORS as exc:
        raise DataFileError(
            f"download failed ({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else 'no detail'}); "
            f"check the network, or use the bundled data (`load_benchmark` builds it) or `eo-naslib data import PATH`"
        ) from None
    return [install(folder, directory, progress=progress) for folder in folders]
