"""`eo-naslib run --config-file FILE.yaml [key value ...]`."""

from __future__ import annotations

import argparse

from .runner import add_arguments, run_from_args


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="a NASLib-style search run from a YAML config")
    add_arguments(parser)
    parser.set_defaults(func=run_from_args)
