"""Load the sources' pickles without executing arbitrary code.

The EO HW-NAS and NASLib NB101 pickles hold dicts, lists, tuples, strings and numbers, some of
them numpy scalars. `safe_load` admits exactly those: any other global in the stream (a class,
a function) is refused with `DataFileError` before it can run. Arrays are capped at
`MAX_ARRAY_BYTES`, so a few bytes of pickle cannot ask numpy for terabytes.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataFileError

#: the largest array a benchmark pickle may rebuild (an NB101 adjacency matrix is 49 bytes)
MAX_ARRAY_BYTES = 16 << 20


def _checked_size(shape: Any, itemsize: int) -> tuple[int, ...]:
    """`shape` as a tuple of non-negative ints whose array stays under `MAX_ARRAY_BYTES`."""
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise pickle.UnpicklingError(f"array shape {shape!r} is not a tuple of non-negative integers")
    size = itemsize
    for dim in shape:
        size *= dim
    if size > MAX_ARRAY_BYTES:
        raise pickle.UnpicklingError(f"an array of shape {shape} asks for {size:,} bytes; benchmark pickles are limited to {MAX_ARRAY_BYTES:,}")
    return shape


def _numpy_scalar(dtype: np.dtype, data: bytes) -> np.generic:
    """Rebuild a pickled numpy scalar from its dtype and raw bytes (numeric dtypes only)."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf" or not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"numpy scalar of dtype {dtype} is not allowed in a benchmark pickle")
    return np.frombuffer(data, dtype=dtype)[0]


def _numpy_array(subtype: type, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Start rebuilding a pickled plain ndarray (NASLib stores adjacency matrices so).

    The pickle's BUILD step then fills it in with `ndarray.__setstate__`; elements of object
    arrays would themselves pass through this restricted unpickler.
    """
    if subtype is not _ndarray_type:
        raise pickle.UnpicklingError(f"array subclass {subtype!r} is not allowed in a benchmark pickle")
    return np.ndarray.__new__(np.ndarray, _checked_size(shape, 1), dtype=np.uint8)


def _array_from_buffer(buffer: bytes, dtype: np.dtype, shape: tuple[int, ...], order: str) -> np.ndarray:
    """Protocol-5 pickles rebuild arrays from raw buffers (numeric dtypes only)."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        raise pickle.UnpicklingError(f"array of dtype {dtype} is not allowed in a benchmark pickle")
    return np.frombuffer(buffer, dtype=dtype).reshape(_checked_size(shape, dtype.itemsize), order=order).copy()


def _ndarray_type(*args: Any, **kwargs: Any) -> np.ndarray:
    """`numpy.ndarray` as named in a pickle: an argument of `_reconstruct`, never called (no size check)."""
    raise pickle.UnpicklingError("calling numpy.ndarray directly is not allowed in a benchmark pickle")


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """Protocol-2 pickles spell raw bytes as `_codecs.encode(text, "latin1")`."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"encoding {encoding!r} is not allowed in a benchmark pickle")
    return text.encode("latin1")


#: (module, name) pairs a benchmark pickle may reference: numpy scalars, arrays and dtypes
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_array,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_array,
    ("numpy.core.numeric", "_frombuffer"): _array_from_buffer,
    ("numpy._core.numeric", "_frombuffer"): _array_from_buffer,
    ("numpy", "ndarray"): _ndarray_type,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"global {module}.{name} is not allowed in a benchmark pickle"
            ) from None


def safe_loads(data: bytes, source: str = "<bytes>") -> Any:
    """Unpickle `data` admitting only builtin containers/numbers and numpy scalars."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError, RecursionError, OverflowError) as exc:
        raise DataFileError(
            f"{source} is not a readable benchmark pickle ({exc}); re-download it with "
            "`eo-naslib data download` or check the path"
        ) from None


def safe_load(path: str | os.PathLike) -> Any:
    """Unpickle the file at `path` through the restricted unpickler."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror}; check the path") from None
    return safe_loads(data, str(path))
