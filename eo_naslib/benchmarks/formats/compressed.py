"""Source files read alike whether stored plain (`name`) or gzip-compressed (`name.gz`).

`benchmarks_data/` ships the public sources gzip-compressed; users' own folders hold them plain.
Decompression is capped, so a small crafted `.gz` cannot expand into gigabytes of memory.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from ...errors import DataFileError

#: the largest decompressed source accepted (the biggest public source is ~3 MB)
MAX_SOURCE_BYTES = 256 << 20


def locate(folder: str | os.PathLike, name: str) -> Path | None:
    """`folder/name` if it exists, else `folder/name.gz` if that exists, else None."""
    for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
        if candidate.exists():
            return candidate
    return None


def source_name(path: str | os.PathLike) -> str:
    """The original file name of a source (`.gz` removed)."""
    return Path(path).name.removesuffix(".gz")


def read_source(path: str | os.PathLike, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The (decompressed) bytes of a source file; unreadable or oversize files raise `DataFileError`."""
    path = Path(path)
    try:
        if path.suffix != ".gz":
            if path.stat().st_size > limit:
                raise DataFileError(f"{path} is {path.stat().st_size:,} bytes; benchmark sources are limited to {limit:,}")
            return path.read_bytes()
        with gzip.open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise DataFileError(f"{path} is a directory, not a data file; give the folder that holds it") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataFileError(f"{path} is not a readable gzip file ({exc}); restore it from its source") from None
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    if len(data) > limit:
        raise DataFileError(f"{path} decompresses to more than {limit:,} bytes; not a benchmark source")
    return data
