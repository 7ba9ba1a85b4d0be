"""NASLib's `log.log` as a logging handler that fails in one line, not in logging tracebacks.

Python's `FileHandler` prints a "--- Logging error ---" traceback for every record it cannot write
(a full disk, a file-size limit) and carries on. `RunLog` keeps the first write error instead, stops
writing, and `check()` turns it into the package's one-line `DataFileError`, so the run that owns
the log ends where it is (its journal stays whole and `--resume` continues it).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from ..errors import DataFileError

FORMAT = logging.Formatter("[%(asctime)s] %(name)s %(levelname)s: %(message)s", datefmt="%m/%d %H:%M:%S")


class RunLog(logging.FileHandler):
    """Appends INFO and above to `path` in NASLib's line format; see the module docstring."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.setLevel(logging.INFO)
        self.setFormatter(FORMAT)
        self.failure: OSError | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failure is None:  # after a failed write the file is left as it is
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)  # a bug (a bad format argument): logging's own report
        elif self.failure is None:
            self.failure = error

    def close(self) -> None:
        """Close the file; a failed last flush (the disk is full) is kept like a failed write."""
        try:
            super().close()
        except OSError as error:
            self.failure = self.failure or error

    def check(self) -> None:
        """Raise `DataFileError` (one line) if a write to the log failed."""
        if self.failure is not None:
            raise DataFileError(
                f"cannot write {self.baseFilename}: {self.failure.strerror or self.failure}; free space or fix permissions"
            )
