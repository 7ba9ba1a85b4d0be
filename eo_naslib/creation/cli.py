"""`eo-naslib build plan|run|status|store`: make a plan, run it on a backend, watch it, store the results."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..arguments import non_negative_float, non_negative_int, positive_float, positive_int
from ..errors import ConfigError
from ..paths import data_dir
from ..lazy import lazy_module
from ..training.datasets.kinds import KINDS as DATASET_KINDS
from ..training.datasets.splits import PROTOCOLS as SPLIT_PROTOCOLS
from .backends import BACKENDS, CONNECT_TIMEOUT_S, Backend, get_backend
from .measure_plan import FLAG_SAMPLERS, given_flags, measure_config

#: each action's stack, imported when the action runs (sampling needs scipy, storing xgboost)
coordinator = lazy_module("eo_naslib.creation.coordinator")
plans = lazy_module("eo_naslib.creation.plan")
plan_results = lazy_module("eo_naslib.creation.results")
stores = lazy_module("eo_naslib.creation.store")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    build = subparsers.add_parser(
        "build", help="build a benchmark: plan jobs, run them (local/ray/slurm), store results"
    )
    actions = build.add_subparsers(dest="build_command", required=True)

    plan = actions.add_parser("plan", help="sample the cells of a creation config and write DIR/plan.json")
    plan.add_argument("config", nargs="?", help="creation YAML (see eo_naslib/configs/creation); or --job measure and its flags")
    plan.add_argument("--out-dir", "--out", dest="out", required=True, help="plan directory (results go to DIR/results)")
    plan.add_argument("--data", help="train jobs: the dataset's folder (sets settings.data_dir)")
    plan.add_argument("--dataset", choices=list(DATASET_KINDS), help="train jobs: the dataset kind (sets settings.dataset; default so2sat)")
    plan.add_argument("--split-protocol", choices=SPLIT_PROTOCOLS, help="train jobs: seeds | holdout | files (sets settings.split_protocol)")
    add_measure_plan_arguments(plan)
    plan.set_defaults(func=_plan)

    run = actions.add_parser(
        "run", help="run a plan's unfinished jobs (finished ones are skipped, partial ones resume)"
    )
    run.add_argument("plan", help="plan directory or its plan.json")
    add_backend_arguments(run)
    run.add_argument(
        "--max-attempts", type=positive_int, default=3, help="failed attempts after which a job is given up"
    )
    run.add_argument("--quiet", "--no-progress", dest="no_progress", action="store_true", help="hide the progress bar")
    run.set_defaults(func=_run)

    status = actions.add_parser("status", help="done / running / failed / left of a plan, with errors")
    status.add_argument("plan", help="plan directory or its plan.json")
    status.set_defaults(func=_status)

    store = actions.add_parser(
        "store", help="make a benchmark store from a plan's results (load_benchmark(NAME))"
    )
    store.add_argument("results", help="results directory (<plan dir>/results)")
    store.add_argument("--name", help="benchmark name for load_benchmark (default: the plan's store name, e.g. a measure plan's device)")
    store.add_argument(
        "--data-dir", help="benchmark data directory (default: $EO_NASLIB_DATA or the user data dir)"
    )
    store.add_argument(
        "--no-surrogate", action="store_true", help="tabular only: skip the completion surrogates"
    )
    store.add_argument(
        "--metrics", help="comma-separated metrics to keep (default: every one the records carry)"
    )
    store.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing store of NAME (or a shipped benchmark's name); the old one is kept as a backup",
    )
    store.set_defaults(func=_store)


def add_measure_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """`build plan --job measure|zc ...`: a measure-only or zero-cost plan (no training) without a YAML."""
    group = parser.add_argument_group("measure-only and zero-cost plans without a CONFIG (no training)")
    group.add_argument("--job", help="measure: profile cells on a device (see `eo-naslib measure`); zc: zero-cost scores (with --data)")
    group.add_argument("--sampler", choices=FLAG_SAMPLERS, help="lhs | uniform (with --n) | benchmark (with --benchmark)")
    group.add_argument("--n", type=positive_int, help="cells to measure")
    group.add_argument("--seed", type=non_negative_int, help="sampler seed (default 0)")
    group.add_argument("--benchmark", help="--sampler benchmark: measure the measured cells of this benchmark (e.g. so2sat)")
    group.add_argument("--name", help="plan and store name for load_benchmark (default: from this device's fingerprint)")
    group.add_argument("--device", help="cpu | cuda[:N] (default cpu)")
    group.add_argument("--runtime", choices=("torch", "onnxruntime"), help="torch (default) or onnxruntime (CPU; the onnx extra)")
    group.add_argument("--threads", type=positive_int, help="CPU threads per measurement (default: torch's)")
    group.add_argument("--batch-size", type=positive_int, help="the second profile point's batch (default 32; batch 1 always)")
    group.add_argument("--warmup", type=non_negative_int, help="untimed passes first (default 5)")
    group.add_argument("--repeats", type=positive_int, help="timed passes per batch size (default 20)")
    group.add_argument("--sensor", choices=("s1", "s2", "fusion"), help="input bands (default s2: 10)")
    group.add_argument("--stem-channels", type=positive_int, help="channels of the stem (default 128)")
    group.add_argument("--precision", choices=("auto", "fp32", "bf16"), help="auto (default): bf16 on CUDA, fp32 on CPU")


def add_backend_arguments(parser: argparse.ArgumentParser, workers: bool = True) -> None:
    """The `--backend` flag and each backend's options (also meant for `eo-naslib experiment`,
    which has its own `--workers`: pass `workers=False`)."""
    parser.add_argument("--backend", choices=list(BACKENDS), default="local")
    if workers:
        parser.add_argument("--workers", type=positive_int, help="local: worker processes (default: CPU cores; 1 for measure plans)")
    parser.add_argument("--devices", help="local: comma-separated GPU ids, one worker each (e.g. 0,1,2,3)")
    parser.add_argument(
        "--oversubscribe", action="store_true", help="local: allow more workers than CPUs (up to 4 per CPU)"
    )
    parser.add_argument("--address", help="ray: cluster address (default: start a local Ray)")
    parser.add_argument("--cpus", type=positive_float, default=1, help="ray/slurm: CPUs per job")
    parser.add_argument("--gpus", type=non_negative_float, default=0, help="ray: GPUs per job; slurm: GPUs per node")
    parser.add_argument("--partition", help="slurm: partition")
    parser.add_argument(
        "--timeout-min", type=positive_int, default=24 * 60, help="slurm: time limit per job (requeued after it)"
    )
    parser.add_argument(
        "--executor", choices=("slurm", "local"), default="slurm", help="slurm: submitit executor"
    )
    parser.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=CONNECT_TIMEOUT_S,
        help=f"ray: seconds to wait for the cluster at --address; slurm: for the controller (default {CONNECT_TIMEOUT_S:g})",
    )


def backend_from_args(args: argparse.Namespace, folder: Path) -> Backend:
    """The backend chosen on the command line; `folder` holds SLURM scripts and logs."""
    return get_backend(args.backend, **backend_options(args, folder))


def backend_options(args: argparse.Namespace, folder: Path) -> dict[str, object]:
    """The chosen backend's options from the command line."""
    if args.backend == "local":
        devices = args.devices.split(",") if args.devices else None
        return {"workers": args.workers, "devices": devices, "oversubscribe": args.oversubscribe}
    if args.backend == "ray":
        return {"address": args.address, "num_cpus": args.cpus, "num_gpus": args.gpus, "connect_timeout_s": args.connect_timeout}
    return {
        "folder": folder,
        "executor": args.executor,
        "partition": args.partition,
        "cpus_per_task": int(args.cpus),
        "gpus_per_node": int(args.gpus),
        "timeout_min": args.timeout_min,
        "connect_timeout_s": args.connect_timeout,
    }


def _plan(args: argparse.Namespace) -> int:
    flags = given_flags(vars(args))
    if args.config is not None and (flags or args.job is not None):
        raise ConfigError(f"give a creation CONFIG or --job measure with its flags, not both (got {args.config} and --{flags[0] if flags else 'job'})")
    if args.config is None:
        if args.job is None:
            raise ConfigError("give a creation CONFIG, or --job measure|zc --sampler lhs --n N for a plan without training")
        config = measure_config(vars(args))
    else:
        config = plans.load_config(args.config)
    given = {
        key: value
        for key, value in (
            ("data_dir", args.data and str(Path(args.data).resolve())), ("dataset", args.dataset),
            ("split_protocol", args.split_protocol),
        )  # fmt: skip
        if value
    }
    if given:
        settings = config.get("settings") or {}
        if not isinstance(settings, dict):
            raise ConfigError(f"{args.config}: settings must be a mapping of training settings, got {settings!r}")
        config["settings"] = {**settings, **given}
    plan = plans.make_plan(config)
    path = plan.save(args.out)
    print(json.dumps({"plan": str(path), "jobs": len(plan.jobs), "job": plan.kind, "sampler": plan.sampler}))
    return 0


def _run(args: argparse.Namespace) -> int:
    plan = plans.load_plan(args.plan)
    if plan.kind == "measure" and args.backend == "local" and args.workers is None:
        args.workers = 1  # cells timed side by side on one machine would slow each other down
    with backend_from_args(args, plan.directory / "slurm") as backend:
        summary = coordinator.run_plan(plan, backend, max_attempts=args.max_attempts, progress=not args.no_progress)
    print(json.dumps({"plan": plan.name, "backend": args.backend, **summary.to_dict()}, indent=1))
    return 1 if summary.failed else 0


def _status(args: argparse.Namespace) -> int:
    print(json.dumps(plan_results.plan_status(plans.load_plan(args.plan)), indent=1))
    return 0


def _store(args: argparse.Namespace) -> int:
    results = Path(args.results)
    plan_file = results.parent / "plan.json"
    plan = plans.load_plan(plan_file) if plan_file.exists() else None
    metrics = args.metrics.split(",") if args.metrics else None
    name = args.name or (plan.store.get("name") if plan is not None else None)
    if not name:
        raise ConfigError(f"give --name: {results.parent} has no plan naming its store")
    store = stores.build_store(
        results,
        name,
        args.data_dir,
        plan=plan,
        surrogate=not args.no_surrogate,
        progress=True,
        metrics=metrics,
        replace=args.replace,
    )
    print(
        json.dumps(
            {
                "benchmark": store.name,
                "data_dir": str(data_dir(args.data_dir)),
                "measured_cells": len(store.hashes),
                "metrics": list(store.metrics),
                "fidelities": store.fidelities,
                "surrogate_cv": {k: v["cv"] for k, v in store.surrogate.items()},
                "replaced": store.provenance.get("replaced"),
            },
            indent=1,
        )
    )
    return 0
