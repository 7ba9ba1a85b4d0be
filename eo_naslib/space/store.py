"""Versioned, checksummed array files for the space's caches (the table and neighbour tables).

A file records its format version and a CRC-32 of every array; `load_arrays` refuses a file whose
version or checksums do not match, so a truncated or tampered cache is rebuilt, never trusted.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataFileError
from ..io import atomic_write_bytes, decode_json

_META = "__meta__"


def _crc(array: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(array).view(np.uint8).ravel())


def save_arrays(path: Path, version: int, **arrays: np.ndarray) -> None:
    """Write `arrays` and their checksums atomically as one `.npz` file."""
    meta = {"version": version, "crc32": {name: _crc(a) for name, a in arrays.items()}}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_META: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)})
    atomic_write_bytes(path, buffer.getvalue())


def load_arrays(path: Path, version: int) -> dict[str, np.ndarray]:
    """Arrays of a file written by `save_arrays`; `DataFileError` if it is unreadable, of another
    version, or fails its checksums."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = decode_json(arrays.pop(_META).tobytes())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise DataFileError(f"cache {path} is unreadable ({exc})") from None
    if meta.get("version") != version:
        raise DataFileError(f"cache {path} has format version {meta.get('version')}, expected {version}")
    bad = [name for name, crc in meta.get("crc32", {}).items() if name not in arrays or _crc(arrays[name]) != crc]
    if bad or set(arrays) != set(meta.get("crc32", {})):
        raise DataFileError(f"cache {path} fails its checksum on {bad or sorted(arrays)}")
    return arrays
