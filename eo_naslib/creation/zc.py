"""The `zc` job kind: zero-cost scores of one cell (`eo_naslib.training.zc_job`, needs torch).

Its records carry `zc_<proxy>` metrics, so `build store` keeps them like any benchmark metric and
the NASLib bridge's `get_zc_benchmark_api` serves them (docs/naslib_bridge.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..space import Cell
from ..training.zc_job import zc_fingerprint, zc_job
from .jobs import JobKind, register_job_kind


def zc_creation_job(cell: Cell, settings: dict[str, Any], out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """Score `cell` with the plan's zc settings (nothing to resume: one batch, no training)."""
    return zc_job(cell, settings, out_dir, resume)


register_job_kind(JobKind("zc", zc_creation_job, zc_fingerprint))
