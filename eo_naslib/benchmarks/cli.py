"""`eo-naslib data import|download|info`."""

from __future__ import annotations

import argparse
import json

from ..errors import ConfigError, DataFileError
from ..io import atomic_write_json
from ..lazy import lazy_module
from ..paths import data_dir
from . import load_benchmark
from .store import BenchmarkStore, installed

#: importing sources and fitting surrogates (xgboost, scikit-learn): loaded by `data import|download` only
installer = lazy_module("eo_naslib.benchmarks.install")
#: the surrogate leaderboard's model families (scikit-learn, xgboost): loaded by `data surrogates` only
leaderboard = lazy_module("eo_naslib.benchmarks.leaderboard")

#: the leaderboard's default training sizes ("all" = every cell of the other folds)
DEFAULT_SIZES = {"cifar10": "100,450,2000,all"}
#: measured columns of the same networks whose agreement bounds what any surrogate can reach
NOISE_CEILINGS = {"so2sat": ("val_accuracy@108", "test_accuracy@108")}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="install and inspect benchmark data")
    actions = data.add_subparsers(dest="data_command", required=True)
    dir_help = "benchmark data directory (default: $EO_NASLIB_DATA or the user data dir)"

    importer = actions.add_parser("import", help="import source folders or files into the store")
    importer.add_argument(
        "paths", nargs="+", metavar="PATH", help="EO HW-NAS folder, NB101 subset folder, nasbench_only108.pkl or a .tfrecord"
    )
    importer.add_argument("--data-dir", help=dir_help)
    importer.add_argument("--no-surrogate", action="store_true", help="skip fitting the completion surrogates")
    importer.add_argument(
        "--tune", action="store_true", help="re-tune the surrogates' hyperparameters by cross-validation (slow) "
        "instead of using the tuned ones shipped in benchmarks_data/surrogates.json"
    )
    importer.add_argument("--save-tuning", metavar="JSON", help="also write the hyperparameters and CV scores used (surrogates.json format)")
    importer.set_defaults(func=_import)

    fetch = actions.add_parser("download", help="download the public sources (sha256-pinned) and import them")
    fetch.add_argument("--data-dir", help=dir_help)
    fetch.add_argument("--nb101-official", action="store_true", help="also fetch nasbench_only108.tfrecord (~500 MB)")
    fetch.set_defaults(func=_download)

    info = actions.add_parser("info", help="what is installed: cells, metrics, provenance, surrogate quality")
    info.add_argument("--data-dir", help=dir_help)
    info.set_defaults(func=_info)

    board = actions.add_parser(
        "surrogates", help="surrogate leaderboard: model families x feature sets x training sizes, by nested CV"
    )
    board.add_argument("--benchmark", required=True, help="so2sat, cifar10 or another installed benchmark")
    board.add_argument("--columns", help="comma-separated metric columns, e.g. val_accuracy@108 (default: every column)")
    board.add_argument("--sizes", help="comma-separated training sizes, 'all' = the other folds (default: all; cifar10: 100,450,2000,all)")
    board.add_argument("--folds", type=int, default=3, help="outer folds (default 3, the store's)")
    board.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples for the intervals (default 200)")
    board.add_argument("--quick", action="store_true", help="only XGBoost and histogram gradient boosting on one-hot (a smoke run)")
    board.add_argument("--json", metavar="PATH", help="also write the rows, leaderboard.winners and noise ceiling as JSON")
    board.add_argument("--data-dir", help=dir_help)
    board.set_defaults(func=_surrogates)


def _summary(store: BenchmarkStore) -> str:
    return f"{store.name}: {len(store.hashes):,} measured cells, metrics {list(store.metrics)}"


def _import(args: argparse.Namespace) -> int:
    stores = []
    for path in args.paths:
        stores.append(installer.install(path, args.data_dir, surrogate=not args.no_surrogate, progress=True, tune=args.tune))
        print(f"installed {_summary(stores[-1])} into {data_dir(args.data_dir)}")
    if args.save_tuning:
        print(f"wrote {installer.save_tuning(stores, args.save_tuning)}")
    return 0


def _download(args: argparse.Namespace) -> int:
    for store in installer.download(args.data_dir, official_nb101=args.nb101_official):
        print(f"installed {_summary(store)} into {data_dir(args.data_dir)}")
    return 0


def _info(args: argparse.Namespace) -> int:
    directory = data_dir(args.data_dir)
    if directory.exists() and not directory.is_dir():
        raise DataFileError(f"data dir {directory} is a file; give a folder with --data-dir or $EO_NASLIB_DATA")
    report = {"data_dir": str(directory), "benchmarks": {}}
    for name in installed(directory):
        try:
            store = load_benchmark(name, directory, build=False).store
        except DataFileError as exc:
            report["benchmarks"][name] = {"error": str(exc)}
            continue
        report["benchmarks"][name] = {
            "description": store.description,
            "measured_cells": len(store.hashes),
            "fidelities": store.fidelities,
            "metrics": {m: vars(r) for m, r in store.metrics.items()},
            "provenance": store.provenance,
            "surrogate_cv": {k: v["cv"] for k, v in store.surrogate.items()},
            "surrogate_interval_coverage": {
                k: v["uncertainty"]["held_out_coverage"] for k, v in store.surrogate.items() if "uncertainty" in v
            },
            "recorded_walks": len(store.walks),
        }
    if not report["benchmarks"]:
        report["hint"] = (
            "nothing installed yet: so2sat and cifar10 are built from benchmarks_data/ on first use "
            "(any search or `load_benchmark`); other sources: `eo-naslib data import PATH` or `eo-naslib data download`"
        )
    print(json.dumps(report, indent=2))
    return 0


def _sizes(text: str) -> list[int | None]:
    sizes: list[int | None] = []
    for item in text.split(","):
        if item.strip() == "all":
            sizes.append(None)
        elif item.strip().isdigit() and int(item) >= 10:
            sizes.append(int(item))
        else:
            raise ConfigError(f"training size {item!r} is not a whole number >= 10 or 'all'; e.g. --sizes 100,450,all")
    return sizes


def _surrogates(args: argparse.Namespace) -> int:
    if args.folds < 2 or args.bootstrap < 10:
        raise ConfigError(f"--folds {args.folds} / --bootstrap {args.bootstrap}: use at least 2 folds and 10 resamples")
    benchmark = load_benchmark(args.benchmark, args.data_dir)
    store = benchmark.store
    columns = args.columns.split(",") if args.columns else store.column_keys()
    for column in columns:
        if column not in store.columns:
            raise ConfigError(f"benchmark {store.name!r} has no column {column!r}; choose from {store.column_keys()}")
    sizes = _sizes(args.sizes or DEFAULT_SIZES.get(store.name, "all"))
    quick = [e for e in leaderboard.ENTRANTS if (e.model, e.features) == leaderboard.BASELINE]
    entrants = quick + [leaderboard.Entrant("hist-gradient-boosting", "one-hot")]
    rows = []
    for column in columns:
        rows += leaderboard.run_column(
            store, benchmark.space, column, sizes, entrants if args.quick else leaderboard.ENTRANTS, args.folds, args.bootstrap
        )
    report = {"benchmark": store.name, "folds": args.folds, "bootstrap": args.bootstrap, "rows": rows, "winners": leaderboard.winners(rows)}
    if store.name in NOISE_CEILINGS:
        report["noise_ceiling"] = leaderboard.noise_ceiling(store, benchmark.space, *NOISE_CEILINGS[store.name], args.bootstrap)
    print(leaderboard.markdown_table(rows))
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=2))
    if args.json:
        atomic_write_json(args.json, report)
    return 0
