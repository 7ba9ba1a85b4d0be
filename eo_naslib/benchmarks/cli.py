"""`eo-naslib data import|download|info`."""

from __future__ import annotations

import argparse
import json

from ..errors import DataFileError
from ..paths import data_dir
from ..lazy import lazy_module
from . import load_benchmark
from .store import BenchmarkStore, installed

#: importing sources and fitting surrogates (xgboost, scikit-learn): loaded by `data import|download` only
installer = lazy_module("eo_naslib.benchmarks.install")


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
            "recorded_walks": len(store.walks),
        }
    if not report["benchmarks"]:
        report["hint"] = (
            "nothing installed yet: so2sat and cifar10 are built from benchmarks_data/ on first use "
            "(any search or `load_benchmark`); other sources: `eo-naslib data import PATH` or `eo-naslib data download`"
        )
    print(json.dumps(report, indent=2))
    return 0
