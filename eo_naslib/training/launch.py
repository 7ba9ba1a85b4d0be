"""`train_with_torchrun`: train one cell over `processes` data-parallel processes of this node.

It starts `python -m torch.distributed.run --standalone --nproc_per_node N -m eo_naslib.training.ddp`
(NCCL with one GPU per rank on CUDA, gloo on CPU) and waits for it. The launcher dies with the
calling process (a killed or requeued job leaves no rank training: the ranks die with the launcher),
the ranks resume from the run's checkpoint like a one-process run, and an error of ours on rank 0
comes back as the same error class and message (rank 0 writes it to `ddp_error.json`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from .. import errors
from ..errors import ConfigError, EONASLibError
from ..io import atomic_write_json, read_json
from ..processes import die_with_parent
from ..space import Cell
from .config import TrainConfig
from .job import RECORD

#: what rank 0 writes when it stops on one of our errors
ERROR_FILE = "ddp_error.json"
#: the settings handed to the ranks
SETTINGS_FILE = "ddp_settings.json"
#: torchrun's and the ranks' output
LAUNCH_LOG = "torchrun.log"


def resolve_processes(config: TrainConfig) -> int:
    """Processes of one run: `processes`, or one per visible GPU when it is 0; on CUDA at most one
    per visible GPU (NCCL refuses two ranks on one GPU)."""
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if config.processes == 0 and gpus == 0:
        raise ConfigError(
            "processes 0 means one process per GPU, but no CUDA device is visible; set processes to a number"
        )
    if gpus and config.processes > gpus:
        raise ConfigError(
            f"processes {config.processes} is more than the {gpus} GPU(s) this job sees (one rank per GPU); "
            "lower processes, use 0 for one per GPU, or ask the backend for more GPUs"
        )
    return config.processes or gpus


def write_error(out_dir: Path, error: EONASLibError) -> None:
    """Rank 0's error, for the launching job (`train_with_torchrun` raises it again)."""
    atomic_write_json(Path(out_dir) / ERROR_FILE, {"type": type(error).__name__, "message": str(error)})


def _raised(stated: Any) -> EONASLibError:
    """The error rank 0 wrote, as an instance of its class (our base class for anything else)."""
    stated = stated if isinstance(stated, dict) else {}
    kind = getattr(errors, str(stated.get("type")), EONASLibError)
    if not (isinstance(kind, type) and issubclass(kind, EONASLibError)):
        kind = EONASLibError
    return kind(str(stated.get("message", "")))


def train_with_torchrun(
    cell: Cell, config: TrainConfig, out_dir: Path, processes: int, resume: bool = True
) -> dict[str, Any]:
    """Train `cell` over `processes` torchrun ranks on this node (resuming its checkpoint unless
    not `resume`); returns rank 0's record."""
    if not config.data_dir:
        raise ConfigError("a data-parallel run needs settings.data_dir (the data folder every rank reads)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / ERROR_FILE).unlink(missing_ok=True)
    atomic_write_json(out / SETTINGS_FILE, config.to_dict())
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
        "-m", "eo_naslib.training.ddp", "--matrix", json.dumps(cell.matrix.tolist()),
        "--ops", json.dumps(list(cell.ops)), "--data", config.data_dir, "--out", str(out),
        "--config", str(out / SETTINGS_FILE), "--report-errors", *([] if resume else ["--no-resume"]),
    ]  # fmt: skip
    parent = os.getpid()
    with (out / LAUNCH_LOG).open("ab") as log:
        code = subprocess.run(
            command, stdout=log, stderr=subprocess.STDOUT, check=False, preexec_fn=lambda: die_with_parent(parent)
        ).returncode
    if (out / ERROR_FILE).exists():
        raise _raised(read_json(out / ERROR_FILE))
    if code != 0:
        tail = (out / LAUNCH_LOG).read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(
            f"torchrun with {processes} processes exited {code}: {' | '.join(tail)} (see {out / LAUNCH_LOG})"
        )
    return read_json(out / RECORD)
