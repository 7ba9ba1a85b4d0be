"""The uncertainty of a search's objective values: the benchmark's calibrated std and interval widths."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..benchmarks.results import LEVELS
from ..errors import DataFileError
from .objectives import Objective


def objective_uncertainty(
    benchmark: object, rows: np.ndarray, objectives: Sequence[Objective], epoch: int | None = None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """((n, m) standard deviations, (m, len(LEVELS)) interval half-widths in std) of the objective
    values at `rows`; (None, None) when the benchmark offers no uncertainty (another benchmark
    type, or a store built without it). Objectives with no predicted value get multipliers 0."""
    if not hasattr(benchmark, "interval_multiplier") or len(rows) == 0:
        return None, None
    try:
        std = np.column_stack([benchmark.query_rows(rows, o.metric, epoch, with_std=True)[1] for o in objectives])
        multipliers = np.array(
            [
                [benchmark.interval_multiplier(o.metric, epoch, level) if np.any(std[:, j] > 0) else 0.0 for level in LEVELS]
                for j, o in enumerate(objectives)
            ]
        )
    except DataFileError:
        return None, None
    return std, multipliers
