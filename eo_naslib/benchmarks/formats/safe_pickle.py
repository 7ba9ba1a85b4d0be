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


#: (module, name) pairs a benchmark pickle may reference: numeric numpy scalars and their dtypes
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy", "dtype"): np.dtype,
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
