"""The `train` job kind: one cell trained and measured (needs torch).

In one process (`training.job.train_and_measure`), or, with `processes` other than 1, over that many
data-parallel processes of the job's node (`training.launch.train_with_torchrun`: torchrun inside
the job, under every backend; 0 takes one process per GPU the engine gave the job: `--devices` /
Ray's `num_gpus` / SLURM's `gpus_per_node`). A run that diverges is retried with a fresh seed
(`retries`). For small cells, one cell per GPU is the local backend's `--devices`, Ray's
`num_gpus: 1` or SLURM's `gpus_per_node: 1` with `processes: 1`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..space import Cell
from ..training.config import TrainConfig
from ..training.job import train_and_measure
from ..training.launch import resolve_processes, train_with_torchrun
from .jobs import JobKind, register_job_kind
from .retries import train_with_retries


def train_once(cell: Cell, config: TrainConfig, out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """One training run of `cell` with `config`, in this process or over `config.processes`."""
    processes = resolve_processes(config)
    if processes == 1:
        return train_and_measure(cell, config, out_dir, resume)
    return train_with_torchrun(cell, config, out_dir, processes, resume)


def train_job(cell: Cell, settings: dict[str, Any], out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """Train and measure `cell` with `TrainConfig.from_dict(settings)` (retried on divergence);
    writes out_dir/record.json."""
    return train_with_retries(cell, TrainConfig.from_dict(settings), out_dir, resume, train_once)


def train_fingerprint(settings: dict[str, Any]) -> str:
    """The training settings' own fingerprint (data paths and device options excluded)."""
    return TrainConfig.from_dict(settings).fingerprint()


register_job_kind(JobKind("train", train_job, train_fingerprint))
