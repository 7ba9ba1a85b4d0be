"""`eo-naslib train` (train one cell on So2Sat, write its record) and `eo-naslib measure` (hardware only).

Imports no torch: the training stack is declared with `lazy_module` and loaded when a command runs,
so `--help` is instant and query-only installs (no `train` extra) get one line saying what to install.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..arguments import non_negative_int, positive_int
from ..errors import ConfigError, EONASLibError, InvalidCellError
from ..io import decode_json, load_yaml
from ..lazy import lazy_module
from ..space import Cell, all_cells
from .config import SENSORS, TrainConfig
from .datasets.kinds import KINDS
from .datasets.splits import PROTOCOLS

#: the runtimes `measure --runtime` offers (training.profile.RUNTIMES, without importing torch)
RUNTIMES = ("torch", "onnxruntime")
#: the `train` extra's packages these commands need
TRAIN_EXTRA = ("torch", "torchmetrics", "h5py")
#: the training stack (torch), executed when `train` or `measure` first uses it
profile = lazy_module("eo_naslib.training.profile")
job = lazy_module("eo_naslib.training.job")
datasets_base = lazy_module("eo_naslib.training.datasets.base")
so2sat = lazy_module("eo_naslib.training.so2sat")
limits = lazy_module("eo_naslib.training.limits")
loop = lazy_module("eo_naslib.training.loop")


def require_train_extra(command: str) -> None:
    """Raise `ConfigError` naming the missing package when the `train` extra is not installed."""
    missing = [name for name in TRAIN_EXTRA if not _installed(name)]
    if missing:
        raise ConfigError(
            f"`eo-naslib {command}` needs {missing[0]!r}; install the extra: pip install 'eo-naslib[train]'"
        )


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a finder refusing it, or a half-removed package
        return False


def add_cell_arguments(parser: argparse.ArgumentParser) -> None:
    cell = parser.add_mutually_exclusive_group(required=True)
    cell.add_argument("--hash", help="NB101 hash of the cell")
    cell.add_argument("--matrix", help="adjacency matrix as JSON, e.g. '[[0,1],[0,0]]' (with --ops)")
    parser.add_argument("--ops", help='ops as JSON, e.g. \'["input", "output"]\' (with --matrix)')


def add_data_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    """--dataset KIND --data PATH --bands NAMES (the settings `dataset`, `data_dir`, `bands`)."""
    parser.add_argument(
        "--data", required=required, help="the dataset's folder (So2Sat: training.h5, validation.h5, testing.h5)"
    )
    parser.add_argument(
        "--dataset", choices=list(KINDS), help="dataset kind (default so2sat): " + "; ".join(f"{k}: {v}" for k, v in KINDS.items())
    )
    parser.add_argument("--bands", help="comma-separated band names to train on (default: all of the dataset's / sensor's)")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    add_cell_arguments(parser)
    add_data_arguments(parser, required=True)
    parser.add_argument(
        "--split-protocol", choices=PROTOCOLS,
        help="seeds: held-out 20%% is test (seed 002); (default); holdout: it is validation; files: the dataset's own splits",
    )  # fmt: skip
    parser.add_argument("--out-dir", "--out", dest="out", required=True, type=Path, help="output folder (checkpoint.pt, record.json)")
    parser.add_argument("--config-file", "--config", dest="config", help="YAML file of training settings (see eo_naslib/configs/training)")
    parser.add_argument("--sensor", choices=SENSORS, help="s1 (8 bands), s2 (10) or fusion (18)")
    parser.add_argument("--epochs", type=positive_int, help="training epochs (default 108)")
    parser.add_argument("--device", help="auto | cpu | cuda[:N]")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one training setting (YAML value), repeatable",
    )
    parser.add_argument("--no-resume", action="store_true", help="ignore (delete) an existing checkpoint")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train", help="train one cell on So2Sat LCZ42 and write its benchmark record"
    )
    add_train_arguments(train)
    train.set_defaults(func=_train)

    measure = subparsers.add_parser(
        "measure", help="device profile of one cell's network: latency at batch 1 and --batch-size, memory, energy"
    )
    add_cell_arguments(measure)
    add_data_arguments(measure, required=False)
    measure.add_argument(
        "--sensor", choices=SENSORS, default="s2", help="input bands: s1 8, s2 10, fusion 18"
    )
    measure.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    measure.add_argument("--batch-size", type=positive_int, default=64, help="latency batch size (default 64)")
    measure.add_argument("--warmup", type=non_negative_int, default=10, help="untimed runs first (default 10)")
    measure.add_argument("--repeats", type=positive_int, default=50, help="timed runs (default 50)")
    measure.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    measure.add_argument("--include-copy", action="store_true", help="time the host-to-device copy too")
    measure.add_argument("--stem-channels", type=positive_int, default=128, help="channels of the stem (default 128)")
    measure.add_argument(
        "--runtime", choices=RUNTIMES, default="torch", help="torch, or onnxruntime (CPU; export checked against torch; the onnx extra)"
    )
    measure.add_argument("--threads", type=positive_int, help="CPU threads of the runtime (default: torch's)")
    measure.set_defaults(func=_measure)


def cell_from_args(args: argparse.Namespace) -> Cell:
    if args.hash:
        table = all_cells()
        return table.cell(table.index(args.hash))
    if not args.ops:
        raise InvalidCellError("--matrix needs --ops; give both as JSON")
    try:
        matrix, ops = decode_json(args.matrix), decode_json(args.ops)
    except ValueError as exc:
        raise InvalidCellError(
            f"--matrix/--ops are not valid JSON ({exc}); e.g. --matrix '[[0,1],[0,0]]'"
        ) from None
    return Cell(matrix, ops)  # Cell checks shapes, values and types and names the problem


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r} is not KEY=VALUE")
        out[key.strip()] = load_yaml("--set", value)
    return out


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    settings: dict[str, Any] = {}
    if args.config:
        loaded = load_yaml(args.config)
        if not isinstance(loaded, dict):
            raise ConfigError(f"{args.config} must be a mapping of training settings")
        settings.update(loaded)
    settings.update(
        {
            k: v
            for k, v in (
                ("sensor", args.sensor), ("epochs", args.epochs), ("device", args.device), ("dataset", args.dataset),
                ("bands", args.bands), ("split_protocol", args.split_protocol),
            )  # fmt: skip
            if v is not None
        }
    )
    settings.update(_parse_sets(args.set))
    settings["data_dir"] = str(args.data)
    return TrainConfig.from_dict(settings)


def _train(args: argparse.Namespace) -> int:
    require_train_extra("train")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    config = config_from_args(args)
    cell = cell_from_args(args)
    loop.resolve_device(config)  # a device that does not compute is refused before any work
    record = job.train_and_measure(cell, config, args.out, resume=not args.no_resume)
    print(
        json.dumps(
            {
                "record": str(args.out / "record.json"),
                "cell": record["cell"]["hash"],
                "metrics": record["metrics"],
            }
        )
    )
    return 0


def _measure(args: argparse.Namespace) -> int:
    require_train_extra("measure")
    config = TrainConfig(
        sensor=args.sensor, device=args.device, precision=args.precision, stem_channels=args.stem_channels,
        dataset=args.dataset or "so2sat", bands=args.bands or "", data_dir=args.data or "",
    )  # fmt: skip
    device = loop.resolve_device(config)
    cell = cell_from_args(args)
    in_channels, num_classes, patch = _input_shape(config)
    estimate = limits.estimate_bytes(
        cell, in_channels, config.stem_channels, config.num_stacks, config.cells_per_stack,
        args.batch_size, training=False, num_classes=num_classes, patch=patch,
    )  # fmt: skip
    limits.check_memory(estimate, device, f"measuring with --batch-size {args.batch_size}")
    model = profile.network_for_profile(cell, config, in_channels, num_classes)
    bf16 = loop.use_bf16(config, device)
    if args.runtime == "onnxruntime" and not _installed("onnxruntime"):
        raise ConfigError("--runtime onnxruntime needs 'onnxruntime'; install the extra: pip install 'eo-naslib[onnx]'")
    result = profile.profile_network(
        model,
        (in_channels, *patch),
        device,
        batch_size=args.batch_size,
        warmup=args.warmup,
        repeats=args.repeats,
        runtime=args.runtime,
        threads=args.threads,
        bf16=bf16,
        channels_last=device.type == "cuda" and args.runtime == "torch",
        include_copy=args.include_copy,
        macs=profile.cell_macs(cell, config, in_channels, num_classes, patch),
    )
    print(json.dumps(result))
    return 0


def _input_shape(config: TrainConfig) -> tuple[int, int, tuple[int, int]]:
    """(bands, classes, patch) of the network to measure: So2Sat's without --data, else the data's
    (its files' metadata only)."""
    if not config.data_dir:
        if config.dataset != "so2sat":
            raise ConfigError(f"measuring for dataset {config.dataset!r} needs its files for the shapes; pass --data PATH")
        return config.in_channels, so2sat.NUM_CLASSES, (so2sat.PATCH, so2sat.PATCH)
    source = job.open_source(config, None)
    bands = datasets_base.select_bands(source.band_names, config.bands, f"{source.kind} data at {source.location}")
    return len(bands), len(source.class_names), source.patch


def run_reporting_errors(action: Callable[[], int]) -> int:
    """Our errors as one line on stderr and exit status 2 (for entry points outside `eo-naslib`)."""
    try:
        return action()
    except EONASLibError as exc:
        print(f"eo-naslib: error: {exc}", file=sys.stderr)
        return 2
