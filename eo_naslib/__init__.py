"""eo_naslib: neural architecture search for Earth Observation, NASLib-style."""

from .errors import (
    ConfigError,
    DataFileError,
    EONASLibError,
    InvalidCellError,
    UnknownArchitectureError,
    UnknownMetricError,
)
from .space import Cell, all_cells

__version__ = "0.1.0"

__all__ = [
    "Cell",
    "ConfigError",
    "DataFileError",
    "EONASLibError",
    "InvalidCellError",
    "UnknownArchitectureError",
    "UnknownMetricError",
    "all_cells",
]
