"""Install benchmarks into the data dir: import source files, fit surrogates, save; or download first."""

from __future__ import annotations

import os
from pathlib import Path

from ..paths import cache_dir, data_dir
from .completion import complete_with_surrogates
from .importers import import_path
from .sources import NB101_OFFICIAL, SOURCES
from .store import BenchmarkStore


def install(
    path: str | os.PathLike, directory: str | os.PathLike | None = None, surrogate: bool = True, progress: bool = False
) -> BenchmarkStore:
    """Import `path` (folder or file), complete it with surrogates, save it into the data dir."""
    store = import_path(path)
    if surrogate:
        complete_with_surrogates(store, progress=progress)
    store.save(data_dir(directory))
    return store


def download(
    directory: str | os.PathLike | None = None, official_nb101: bool = False, progress: bool = True
) -> list[BenchmarkStore]:
    """Fetch the pinned public files with pooch (sha256-checked), then install them."""
    import pooch

    downloads = cache_dir() / "downloads"
    folders: list[Path] = []
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
    return [install(folder, directory, progress=progress) for folder in folders]
