"""The `train` job kind: `eo_naslib.training.job.train_and_measure` on one cell (needs torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..space import Cell
from ..training.config import TrainConfig
from ..training.job import train_and_measure
from .jobs import JobKind, register_job_kind


def train_job(cell: Cell, settings: dict[str, Any], out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """Train and measure `cell` with `TrainConfig.from_dict(settings)`; writes out_dir/record.json."""
    return train_and_measure(cell, TrainConfig.from_dict(settings), out_dir, resume)


def train_fingerprint(settings: dict[str, Any]) -> str:
    """The training settings' own fingerprint (data paths and device options excluded)."""
    return TrainConfig.from_dict(settings).fingerprint()


register_job_kind(JobKind("train", train_job, train_fingerprint))
