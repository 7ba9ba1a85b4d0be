"""`eo-naslib query BENCHMARK --hash H [--metric M ...] [--epoch E] [--table]`: one cell's metrics."""

from __future__ import annotations

import argparse
import json

from ..arguments import positive_int
from ..errors import InvalidCellError
from ..space import Cell
from . import load_benchmark


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    query = subparsers.add_parser("query", help="one cell's metrics from an installed benchmark")
    query.add_argument("benchmark", help="benchmark name: so2sat, cifar10, one built with `eo-naslib build store`, or a join 'so2sat+my-rpi4[latency_ms]'")
    cell = query.add_mutually_exclusive_group(required=True)
    cell.add_argument("--hash", help="NB101 hash of the cell")
    cell.add_argument("--matrix", help="adjacency matrix as JSON (with --ops)")
    query.add_argument("--ops", help='ops as JSON, e.g. \'["input", "conv3x3-bn-relu", "output"]\' (with --matrix)')
    query.add_argument("--metric", action="append", help="metric to report (repeatable; default: all)")
    query.add_argument("--epoch", type=positive_int, help="fidelity (default: the benchmark's default epoch)")
    query.add_argument("--table", action="store_true", help="measured values only (no surrogate prediction)")
    query.add_argument("--data-dir", help="benchmark data directory (default: $EO_NASLIB_DATA or the user data dir)")
    query.set_defaults(func=_query)


def cell_of(args: argparse.Namespace) -> Cell | str:
    """The cell named by --hash, or by --matrix and --ops (JSON)."""
    if args.hash:
        return args.hash
    if not args.ops:
        raise InvalidCellError("--matrix needs --ops; give both as JSON")
    try:
        return Cell(json.loads(args.matrix), json.loads(args.ops))
    except json.JSONDecodeError as exc:
        raise InvalidCellError(f"--matrix/--ops are not valid JSON ({exc}); e.g. --matrix '[[0,1],[0,0]]'") from None


def _query(args: argparse.Namespace) -> int:
    cell = cell_of(args)  # before a first use builds the store
    benchmark = load_benchmark(args.benchmark, args.data_dir, surrogate=not args.table)  # stored, or joined ('a+b[m]')
    metrics = args.metric or sorted(benchmark.metrics)
    values = {m: benchmark.query(cell, m, args.epoch) for m in metrics}
    measured = {m: benchmark.is_measured(cell, m, args.epoch) for m in metrics}
    name = cell if isinstance(cell, str) else cell.hash
    print(json.dumps({"benchmark": args.benchmark, "cell": name, "epoch": args.epoch, "metrics": values, "measured": measured}))
    return 0
