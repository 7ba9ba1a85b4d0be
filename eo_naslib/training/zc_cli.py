"""`eo-naslib zc`: zero-cost scores of one cell's NB101 network on a batch of So2Sat-layout data.

Imports no torch (the scoring module is loaded when the command runs). Prints one JSON line: the
cell, the data (synthetic or not), the settings and each proxy's NASLib-form score, raw value and
time. A score of one cell ranks nothing; on synthetic data even rankings mean nothing.
"""

from __future__ import annotations

import argparse
import json

from ..arguments import positive_int
from ..lazy import lazy_module
from .cli import add_cell_arguments, cell_from_args, require_train_extra
from .config import SENSORS

zc_job = lazy_module("eo_naslib.training.zc_job")
#: the proxies `eo-naslib zc` computes when --proxies is not given
DEFAULT_PROXIES = "synflow,jacov,snip"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("zc", help="zero-cost proxy scores of one cell's untrained network on So2Sat-layout data")
    add_cell_arguments(parser)
    parser.add_argument("--data", required=True, help="folder with So2Sat LCZ42's training.h5 (the batch is drawn from it)")
    parser.add_argument("--sensor", choices=SENSORS, default="s2", help="input bands (default s2: 10 bands)")
    parser.add_argument("--proxies", default=DEFAULT_PROXIES,
                        help=f"comma-separated NASLib zero-cost names (default {DEFAULT_PROXIES}); "
                        "epe_nas,fisher,flops,grad_norm,grasp,jacov,l2_norm,nwot,params,plain,snip,synflow,zen")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="samples in the batch (default 64)")
    parser.add_argument("--batch-seed", type=int, default=0, help="which samples are drawn (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="the network's initial weights (default 0)")
    parser.add_argument("--stem-channels", type=positive_int, default=128, help="NB101: 128")
    parser.set_defaults(func=_zc)


def _zc(args: argparse.Namespace) -> int:
    require_train_extra("zc")
    settings = {
        "data_dir": str(args.data), "sensor": args.sensor, "proxies": args.proxies, "batch_size": args.batch_size,
        "batch_seed": args.batch_seed, "seed": args.seed, "stem_channels": args.stem_channels,
    }
    record = zc_job.zc_job(cell_from_args(args), settings)
    note = "synthetic data: these scores rank nothing real" if record["synthetic"] else "real data"
    print(json.dumps({"cell": record["cell"]["hash"], "data": note, "settings": record["settings"],
                      "zero_cost": record["zero_cost"]}))
    return 0
