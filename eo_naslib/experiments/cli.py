"""`eo-naslib experiment --config FILE.yaml`: multi-seed search experiments with statistics and plots."""

from __future__ import annotations

import argparse
import json

from .config import load_experiment
from .runner import run_experiment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("experiment", help="configurations x seeds, Mann-Whitney tests and plots")
    parser.add_argument("--config", required=True, help="experiment YAML (see eo_naslib/configs/experiments)")
    parser.add_argument("--seeds", type=int, help="number of seeds (overrides the file)")
    parser.add_argument("--workers", type=int, help="parallel worker processes (overrides the file)")
    parser.add_argument("--out-dir", help="results folder (overrides the file)")
    parser.add_argument("--data-dir", help="benchmark data folder (default $EO_NASLIB_DATA)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run_from_args)


def run_from_args(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.config, seeds=args.seeds, workers=args.workers, out_dir=args.out_dir, data_dir=args.data_dir)
    report = run_experiment(experiment, progress=not args.no_progress)
    print(json.dumps({k: report[k] for k in ("experiment", "medians", "files")}, indent=2))
    return 0
