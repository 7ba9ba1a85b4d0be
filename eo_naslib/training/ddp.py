"""Data-parallel training of one cell under torchrun (gloo on CPU, NCCL on CUDA).

    python -m torch.distributed.run --nproc_per_node 2 -m eo_naslib.training.ddp \\
        --hash HASH --data DIR --out OUT [--config train.yaml] [--set key=value ...]

Every process holds the whole selected split and takes an equal contiguous shard of each global
batch (`batch_size` is the global batch); DDP averages the gradients, so the update equals one
process's on the whole batch except for batch-norm statistics, which are per process (as in the
seeds' Lightning DDP runs). Rank 0 evaluates, checkpoints, measures and writes the record.

Ranks die with their launcher (`PR_SET_PDEATHSIG`): `kill -9` of torchrun ends them too, instead of
leaving them training with parent pid 1 (torchrun starts them in sessions of their own).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import torch
import torch.distributed as torch_dist

from ..errors import ConfigError, EONASLibError
from ..processes import die_with_parent
from .cli import add_train_arguments, cell_from_args, config_from_args, run_reporting_errors
from .job import train_and_measure
from .launch import write_error
from .loop import DistInfo


#: what torchrun sets for every rank besides WORLD_SIZE
_TORCHRUN_KEYS = ("MASTER_ADDR", "MASTER_PORT", "RANK")


def init_from_env() -> DistInfo:
    """Join the process group torchrun describes in the environment (a 1-process run if none);
    a partial description (WORLD_SIZE without MASTER_ADDR, ...) is a `ConfigError`."""
    raw = os.environ.get("WORLD_SIZE", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"WORLD_SIZE={raw!r} is not a positive integer; launch with torchrun or unset it")
    world = int(raw)
    if world == 1:
        return DistInfo()
    missing = [key for key in _TORCHRUN_KEYS if not os.environ.get(key)]
    if missing:
        raise ConfigError(
            f"WORLD_SIZE={world} but {', '.join(missing)} not set: not launched by torchrun; launch with "
            "`python -m torch.distributed.run --nproc_per_node N -m eo_naslib.training.ddp ...` or unset WORLD_SIZE"
        )
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    torch_dist.init_process_group(backend=backend)
    return DistInfo(torch_dist.get_rank(), torch_dist.get_world_size())


def die_with_launcher() -> None:
    """Under a launcher (torchrun sets LOCAL_RANK), die when it dies; exit if it is already gone
    (this process was handed to init, pid 1)."""
    if "LOCAL_RANK" not in os.environ:
        return
    launcher = os.getppid()
    if launcher == 1:
        os._exit(1)
    die_with_parent(launcher)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the `train` arguments, join the process group, train; errors are one line, exit 2."""
    die_with_launcher()
    parser = argparse.ArgumentParser(
        prog="python -m eo_naslib.training.ddp", description=__doc__.splitlines()[0]
    )
    add_train_arguments(parser)
    parser.add_argument(
        "--report-errors", action="store_true", help="rank 0 writes an error of ours to OUT/ddp_error.json (for the launching job)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    return run_reporting_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    dist = init_from_env()
    config = config_from_args(args)
    if dist.world_size > 1 and torch.cuda.is_available() and config.device == "auto":
        config = config.replace(device=f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}")
    try:
        train_and_measure(
            cell_from_args(args), config, args.out, resume=not args.no_resume, data=args.data, dist=dist
        )
    except EONASLibError as exc:
        if args.report_errors and dist.is_main:
            write_error(args.out, exc)
        raise
    finally:
        if dist.world_size > 1:
            torch_dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
