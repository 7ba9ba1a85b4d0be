"""The exception hierarchy of eo_naslib: every message names the bad value and the fix."""

from __future__ import annotations


class EONASLibError(Exception):
    """Base class of every error eo_naslib raises on purpose."""


class InvalidCellError(EONASLibError, ValueError):
    """A matrix/ops pair is not a valid NAS-Bench-101 cell."""


class UnknownArchitectureError(EONASLibError, KeyError):
    """A hash or cell has no record in a (tabular-only) benchmark."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownMetricError(EONASLibError, KeyError):
    """A metric name or fidelity is not offered by a benchmark."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DataFileError(EONASLibError, OSError):
    """A data file is missing, corrupt or of an unexpected format."""


class ConfigError(EONASLibError, ValueError):
    """An experiment configuration has a bad key or value."""
