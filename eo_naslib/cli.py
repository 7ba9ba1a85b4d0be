"""The `eo-naslib` command line; each subpackage contributes its subcommands."""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Sequence

from .errors import report_errors

#: Modules with an `add_parser(subparsers)` function, one per command group.
COMMAND_MODULES = (
    "eo_naslib.space.cli",
    "eo_naslib.benchmarks.cli",
    "eo_naslib.naslib_compat.cli",
    "eo_naslib.landscape.cli",
    "eo_naslib.experiments.cli",
    "eo_naslib.training.cli",
    "eo_naslib.creation.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eo-naslib", description="Neural architecture search for Earth Observation.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: debug)")
    parser.add_argument("-q", dest="quiet_log", action="store_true", help="log warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Log level for long runs: INFO by default, DEBUG with -vv, WARNING with -q."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose >= 2 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, args.quiet_log)
    return report_errors(lambda: args.func(args))
