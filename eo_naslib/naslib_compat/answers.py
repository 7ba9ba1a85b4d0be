"""`AnswerTally`: how many of the answers given to NASLib were surrogate predictions.

NASLib's evaluators and statistics runners cannot tell a measured value from one of our
surrogate's predictions; the dataset API counts every answer (one per query call) and whether
any value in it was predicted, so a run can say what share of what it scored was measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..space import Cell


class AnswerTally:
    """Answers given for one dataset, and how many held a surrogate prediction."""

    def __init__(self, benchmark: Any, dataset: str) -> None:
        self.benchmark = benchmark
        self.dataset = dataset
        self.answers = 0
        self.predicted = 0
        #: set once the share has been reported (a run reports it once)
        self.reported = False

    def record(self, cell: Cell, metrics: Iterable[str]) -> None:
        """Count one answer about `cell` holding `metrics` (names the benchmark has)."""
        self.answers += 1
        if not all(self.benchmark.is_measured(cell, m) for m in metrics):
            self.predicted += 1

    @property
    def share(self) -> float:
        """Predicted answers / answers (0 when nothing was answered)."""
        return self.predicted / self.answers if self.answers else 0.0

    def summary(self) -> str:
        """One line: how many answers were predictions, and what to do for measured ones only."""
        if not self.predicted:
            return f"{self.dataset}: all {self.answers:,} answers given to NASLib were measured values"
        return (
            f"{self.dataset}: {self.predicted:,} of {self.answers:,} answers given to NASLib ({self.share:.1%}) were "
            "surrogate predictions for cells the benchmark did not measure; for measured cells only set "
            "EO_NASLIB_MEASURED_ONLY=1 or call naslib_bridge.register(measured_only=True)"
        )
