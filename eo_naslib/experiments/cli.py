"""`eo-naslib experiment --config FILE.yaml`: multi-seed search experiments with statistics and plots."""

from __future__ import annotations

import argparse
import json

from ..arguments import positive_int
from ..creation.cli import add_backend_arguments, backend_from_args

from .config import load_experiment
from .runner import run_experiment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("experiment", help="configurations x seeds, Mann-Whitney tests and plots")
    parser.add_argument("--config-file", "--config", dest="config", required=True, help="experiment YAML (see eo_naslib/configs/experiments)")
    parser.add_argument("--seeds", type=positive_int, help="number of seeds (overrides the file)")
    parser.add_argument("--workers", type=positive_int, help="parallel worker processes (overrides the file)")
    parser.add_argument("--out-dir", help="results folder (overrides the file)")
    parser.add_argument("--data-dir", help="benchmark data folder (default $EO_NASLIB_DATA)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier runs of this experiment and start afresh")
    parser.add_argument("--quiet", "--no-progress", dest="no_progress", action="store_true", help="hide the progress bar")
    add_backend_arguments(parser, workers=False)
    parser.set_defaults(func=run_from_args)


def run_from_args(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.config, seeds=args.seeds, workers=args.workers, out_dir=args.out_dir, data_dir=args.data_dir)
    backend = None if args.backend == "local" else backend_from_args(args, experiment.directory / "slurm")
    try:
        report = run_experiment(
            experiment, progress=not args.no_progress, fresh=args.fresh, backend=backend, oversubscribe=args.oversubscribe
        )
    finally:
        if backend is not None:
            backend.close()
    print(json.dumps({k: report[k] for k in ("experiment", "medians", "files")}, indent=2))
    return 0
