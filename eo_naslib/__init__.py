"""eo_naslib: neural architecture search for Earth Observation, NASLib-style.

    >>> from eo_naslib import load_benchmark, minimize
    >>> result = minimize(load_benchmark("so2sat"), "pls", ["val_accuracy", "train_time_s:min"], budget=500, seed=0)
    >>> result.plot()

`import eo_naslib` loads only the error classes; every other name below is imported on first use
(PEP 562 `__getattr__`, see `eo_naslib.lazy`), so a query never pays for search or training stacks.
"""

from .errors import (
    ConfigError,
    DataFileError,
    EONASLibError,
    InvalidCellError,
    UnknownArchitectureError,
    UnknownMetricError,
)
from .lazy import lazy_attributes

__version__ = "0.1.0"

#: public name -> the module that defines it, imported when the name is first used
LAZY = {
    "load_benchmark": "eo_naslib.api",
    "join_benchmarks": "eo_naslib.benchmarks",
    "Objective": "eo_naslib.search",
    "SearchResult": "eo_naslib.search",
    "minimize": "eo_naslib.search",
    "Cell": "eo_naslib.space",
    "all_cells": "eo_naslib.space",
}
__getattr__ = lazy_attributes(__name__, LAZY)

__all__ = [
    "Cell",
    "ConfigError",
    "DataFileError",
    "EONASLibError",
    "InvalidCellError",
    "Objective",
    "SearchResult",
    "UnknownArchitectureError",
    "UnknownMetricError",
    "all_cells",
    "join_benchmarks",
    "load_benchmark",
    "minimize",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY))
