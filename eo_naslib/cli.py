"""The `eo-naslib` command line; each subpackage contributes its subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from .errors import EONASLibError

#: Modules with an `add_parser(subparsers)` function, one per command group.
COMMAND_MODULES = (
    "eo_naslib.space.cli",
    "eo_naslib.benchmarks.cli",
    "eo_naslib.naslib_compat.cli",
    "eo_naslib.landscape.cli",
    "eo_naslib.experiments.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eo-naslib", description="Neural architecture search for Earth Observation.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def report_errors(action: Callable[[], int | None]) -> int:
    """Run `action`; our errors become one line on stderr and exit status 2."""
    try:
        return int(action() or 0)
    except EONASLibError as exc:
        print(f"eo-naslib: error: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return report_errors(lambda: args.func(args))
