"""Load the sources' pickles without executing arbitrary code.

The EO HW-NAS and NASLib NB101 pickles hold dicts, lists, tuples, strings and numbers, some of
them numpy scalars. `safe_load` admits exactly those: any other global in the stream (a class,
a function) is refused with `DataFileError` before it can run.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataFileError



def _numpy_scalar(dtype: np.dtype, data: bytes) -> np.generic:
    """Rebuild a pickled numpy scalar from its dtype and raw bytes (numeric dtypes only)."""
    if dtype.kind not in "biuf" or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"numpy scalar of dtype {dtype} is not allowed in a benchmark pickle")
    return np.frombuffer(data, dtype=dtype)[0]


def _numpy_array(subtype: type, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Start rebuilding a pickled plain ndarray (NASLib stores adjacency matrices so).

    The pickle's BUILD step then fills it in with `ndarray.__setstate__`; elements of object
    arrays would themselves pass through this restricted unpickler.
    """
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"array subclass {subtype!r} is not allowed in a benchmark pickle")
    return np.ndarray.__new__(np.ndarray, shape, dtype=np.uint8)


def _array_from_buffer(buffer: bytes, dtype: np.dtype, shape: tuple[int, ...], order: str) -> np.ndarray:
    """Protocol-5 pickles rebuild arrays from raw buffers (numeric dtypes only)."""
    if dtype.kind not in "biuf":
        raise pickle.UnpicklingError(f"array of dtype {dtype} is not allowed in a benchmark pickle")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order).copy()


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
    ("numpy", "ndarray"): np.ndarray,
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
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as exc:
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
