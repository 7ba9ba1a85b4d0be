"""The `eo-naslib` command line: a registry of commands, each loaded only when it is chosen.

`COMMANDS` maps every command to the module that adds its parser (an `add_parser(subparsers)`
function) and its one-line help. To print `eo-naslib --help` or run one command, only the chosen
command's module is imported (with `importlib`); the others appear in the help as placeholders, so
`--help` or a query never imports torch, xgboost or scikit-learn.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .errors import report_errors

#: command -> (module with `add_parser(subparsers)`, one-line help), in the order `--help` lists them
COMMANDS = {
    "space": ("eo_naslib.space.cli", "the NAS-Bench-101 cell space"),
    "data": ("eo_naslib.benchmarks.cli", "install and inspect benchmark data"),
    "query": ("eo_naslib.benchmarks.query_cli", "one cell's metrics from an installed benchmark"),
    "run": ("eo_naslib.naslib_compat.cli", "a NASLib-style search run from a YAML config"),
    "footprint": (
        "eo_naslib.landscape.cli",
        "fitness landscape footprint of a benchmark (or `footprint compare` several records)",
    ),
    "experiment": ("eo_naslib.experiments.cli", "configurations x seeds, Mann-Whitney tests and plots"),
    "train": ("eo_naslib.training.cli", "train one cell on So2Sat LCZ42 and write its benchmark record"),
    "measure": ("eo_naslib.training.cli", "device profile of one cell's network: latency at batch 1 and --batch-size, memory, energy"),
    "zc": ("eo_naslib.training.zc_cli", "zero-cost proxy scores of one cell's untrained network on So2Sat-layout data"),
    "build": ("eo_naslib.creation.cli", "build a benchmark: plan jobs, run them (local/ray/slurm), store results"),
    "reproduce": ("eo_naslib.reproduce.cli", "the seeds' tables and figures from public data, paper beside ours (report.md)"),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in `argv`: its first word that is not an option (global options take no value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with `command`'s module loaded (every module when `command` is "all")."""
    parser = argparse.ArgumentParser(prog="eo-naslib", description="Neural architecture search for Earth Observation.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: debug)")
    parser.add_argument("-q", dest="quiet_log", action="store_true", help="log warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", required=True)
    loaded: set[str] = set()
    for name, (module, help_text) in COMMANDS.items():
        if command in (name, "all") or module == COMMANDS.get(command or "", ("",))[0]:
            if module not in loaded:
                importlib.import_module(module).add_parser(subparsers)
                loaded.add(module)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Log level for long runs: INFO by default, DEBUG with -vv, WARNING with -q."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose >= 2 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(chosen_command(arguments)).parse_args(arguments)
    configure_logging(args.verbose, args.quiet_log)
    return report_errors(lambda: args.func(args))
