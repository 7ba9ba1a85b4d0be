"""eo_naslib: neural architecture search for Earth Observation, NASLib-style.

    >>> from eo_naslib import load_benchmark, minimize
    >>> result = minimize(load_benchmark("so2sat"), "pls", ["val_accuracy", "train_time_s:min"], budget=500, seed=0)
    >>> result.plot()
"""

from .api import load_benchmark
from .errors import (
    ConfigError,
    DataFileError,
    EONASLibError,
    InvalidCellError,
    UnknownArchitectureError,
    UnknownMetricError,
)
from .search import Objective, SearchResult, minimize
from .space import Cell, all_cells

__version__ = "0.1.0"

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
    "load_benchmark",
    "minimize",
]
