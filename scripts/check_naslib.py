"""Run NASLib's discrete optimizers, predictors and stock nasbench101 space through the bridge.

Needs NASLib importable (docs/naslib_bridge.md has the recipe) and installed benchmarks
(EO_NASLIB_DATA). Prints one table row per run: space, dataset, optimizer, predictor, status,
evaluations, best validation accuracy, share of epochs whose reported cell was measured, seconds.
Then the query time through the bridge against NASLib's own table lookup on the same pickle
(docs/naslib_bridge.md's query table; `--timing-only` prints only that, `--repeats` runs it again).

    PYTHONPATH=plugins:. python scripts/check_naslib.py --epochs 100
    PYTHONPATH=plugins:. python scripts/check_naslib.py --timing-only --repeats 2
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import tempfile
import time
import timeit
import traceback
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import naslib_bridge  # noqa: E402

DATASETS = ("cifar10", "so2sat_lcz42_micro", "so2sat_lcz42_macro")
OPTIMIZERS = ("rs", "re", "ls", "eo_rs", "eo_re", "eo_ls")
PREDICTORS = ("bananas", "bayes_lin_reg", "bohamiann", "bonas", "dngo", "lgb", "gcn", "gp", "gpwl", "mlp", "nao",
              "ngb", "rf", "seminas", "sparse_gp", "var_sparse_gp", "xgb", "omni_ngb", "omni_seminas")
SO2SAT_PICKLE = Path(os.environ.get("EO_NASLIB_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "data" / "eo_hwnas_so2sat" / "database_pickle_micro.pickle"


def naslib_config(space: str, dataset: str, optimizer: str, epochs: int, out_dir: str, predictor: str | None,
                  extra: list[str] | None = None) -> Any:
    """NASLib's own discrete_config.yaml with the run's keys set (and its missing `use_zc_api`)."""
    utils = sys.modules["naslib.utils"]
    path = Path(utils.get_project_root()) / "runners" / "bbo" / "discrete_config.yaml"
    opts = ["search_space", space, "dataset", dataset, "optimizer", optimizer, "out_dir", out_dir,
            "search.epochs", str(epochs), "search.checkpoint_freq", str(epochs)]
    if predictor is not None:
        opts += ["search.predictor_type", predictor]
    opts += extra or []
    args = utils.parse_args(args=["--config-file", str(path), *opts])
    config = utils.get_config_from_args(args, config_type="bbo-bs")
    config.search.use_zc_api = False
    config.search.num_init = min(config.search.num_init, epochs)
    return config


def run_one(space: str, dataset: str, optimizer: str, epochs: int, predictor: str | None = None,
            extra: list[str] | None = None) -> dict[str, Any]:
    row = {"space": space, "dataset": dataset, "optimizer": optimizer, "predictor": predictor or "-", "extra": " ".join(extra or [])}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        try:
            config = naslib_config(space, dataset, optimizer, epochs, out, predictor, extra)
            naslib_bridge.run(config, quiet=True)
            _, trajectory = json.loads(Path(config.save, "errors.json").read_text())
            valid = [v for v in trajectory["valid_acc"] if v == v]
            measured = [m for m in trajectory.get("measured", []) if m is not None]
            row.update(status="ok", evals=len(trajectory["valid_acc"]), best_val=max(valid) if valid else float("nan"),
                       measured=f"{sum(measured)}/{len(measured)}", log=Path(config.save, "log.log").exists())
        except Exception as exc:  # the table reports every failure
            row.update(status=f"FAIL {type(exc).__name__}: {str(exc).splitlines()[0][:90] if str(exc) else ''}",
                       where=traceback.extract_tb(exc.__traceback__)[-1].filename.split("naslib/")[-1])
    row["seconds"] = round(time.perf_counter() - began, 1)
    return row


def query_times(dataset: str = "so2sat_lcz42_micro") -> dict[str, float]:
    """CPU microseconds per VAL_ACCURACY query: NASLib's stock space on NASLib's own NASBench (the
    So2Sat pickle) vs the same stock space on the bridge's nb101_data vs our space vs the bare table."""
    nb101_api = importlib.import_module("naslib.utils.nb101_api")
    Metric = sys.modules["naslib.search_spaces.core.query_metrics"].Metric
    utils = sys.modules["naslib.utils"]
    stock_cls = sys.modules["naslib.search_spaces.nasbench101.graph"].NasBench101SearchSpace
    bridge_api = utils.get_dataset_api("nasbench101", dataset)
    np.random.seed(0)
    stock = stock_cls()
    stock.instantiate_model = False
    stock.sample_random_architecture(dataset_api=bridge_api)
    ours = naslib_bridge.EONasBench101SearchSpace()
    ours.set_spec(stock.get_spec())
    cell = ours.spec
    benchmark = bridge_api["benchmark"]
    times = {}
    n = 2000

    def per_query(call: Any) -> float:
        """CPU microseconds per call after one warm-up call (one-time index and column builds);
        process CPU time, not wall time, so other processes on a shared machine do not count."""
        call()
        return timeit.Timer(call, timer=time.process_time).timeit(number=n) / n * 1e6

    if SO2SAT_PICKLE.exists():
        naslib_api = {"api": nb101_api, "nb101_data": nb101_api.NASBench(str(SO2SAT_PICKLE))}
        # the EO pickle holds one training repeat per cell; NASLib draws one of `num_repeats` (3)
        naslib_api["nb101_data"].config["num_repeats"] = 1
        # a cell the pickle holds, so both answer
        key = next(iter(naslib_api["nb101_data"].fixed_statistics))
        fixed, _ = naslib_api["nb101_data"].get_metrics_from_hash(key)
        stock = stock_cls()
        stock.instantiate_model = False
        stock.set_spec(stock.convert_to_cell(np.array(fixed["module_adjacency"]), fixed["module_operations"]))
        ours.set_spec(stock.get_spec())
        cell = ours.spec
        times["naslib stock space + NASLib NASBench (pickle)"] = per_query(lambda: stock.query(Metric.VAL_ACCURACY, None, dataset_api=naslib_api))
        spec = nb101_api.ModelSpec(**stock.spec)
        times["NASLib NASBench.query (pickle)"] = per_query(lambda: naslib_api["nb101_data"].query(spec))
    times["naslib stock space + bridge nb101_data"] = per_query(lambda: stock.query(Metric.VAL_ACCURACY, dataset, dataset_api=bridge_api))
    times["bridge EONasBench101SearchSpace.query"] = per_query(lambda: ours.query(Metric.VAL_ACCURACY, dataset, dataset_api=bridge_api))
    times["benchmark.query(cell)"] = per_query(lambda: benchmark.query(cell, "val_accuracy"))
    times["benchmark.query(hash)"] = per_query(lambda: benchmark.query(cell.hash, "val_accuracy"))
    row = bridge_api["space"].index(cell.hash)
    rows = np.array([row])
    times["benchmark.query_rows (one row)"] = per_query(lambda: benchmark.query_rows(rows, "val_accuracy", None))
    return times


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("space", "dataset", "optimizer", "predictor", "extra", "status", "evals", "best_val", "measured", "log", "seconds")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = [row.get(c, "") for c in columns]
        print("| " + " | ".join(f"{c:.2f}" if isinstance(c, float) else str(c) for c in cells) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=100, help="evaluations per optimizer run")
    parser.add_argument("--predictor-epochs", type=int, default=30, help="evaluations per predictor run")
    parser.add_argument("--predictor-optimizer", default="npenas",
                        help="NASLib optimizer fitting each predictor (default npenas)")
    parser.add_argument("--model-based", nargs="*", default=["bananas", "npenas", "bp"], help="NASLib's model-based optimizers (default predictor)")
    parser.add_argument("--model-based-set", nargs="*", default=[], help="key value overrides for them and the predictor runs, e.g. search.k 30 search.num_ensemble 1")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--optimizers", nargs="*", default=list(OPTIMIZERS))
    parser.add_argument("--predictors", nargs="*", default=list(PREDICTORS))
    parser.add_argument("--stock", nargs="*", default=["rs", "re", "ls", "npenas"], help="optimizers on NASLib's stock nasbench101 space")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-only", action="store_true", help="only the query-time table (no runs)")
    parser.add_argument("--repeats", type=int, default=1, help="times the query-time table is measured")
    args = parser.parse_args(argv)
    try:
        naslib_bridge.register(replace_nasbench101=True)
    except naslib_bridge.NaslibUnavailable as exc:
        print(f"check_naslib: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("naslib").setLevel(logging.WARNING)
    rows = []
    for dataset in [] if args.timing_only else args.datasets:
        for optimizer in args.optimizers:
            rows.append(run_one("eo_nasbench101", dataset, optimizer, args.epochs))
            print_table(rows[-1:])
        for optimizer in args.stock:
            rows.append(run_one("nasbench101", dataset, optimizer, args.epochs))
            print_table(rows[-1:])
        for optimizer in args.model_based:
            rows.append(run_one("eo_nasbench101", dataset, optimizer, args.epochs, extra=args.model_based_set))
            print_table(rows[-1:])
        for predictor in args.predictors:
            rows.append(run_one("eo_nasbench101", dataset, args.predictor_optimizer, args.predictor_epochs, predictor, extra=args.model_based_set))
            print_table(rows[-1:])
    if rows:
        print()
        print_table(rows)
    for repeat in range(0 if args.no_timing else args.repeats):
        print(f"\nquery CPU time, run {repeat + 1} of {args.repeats} (one process, after one warm-up call each)")
        for name, us in query_times().items():
            print(f"{name:55s} {us:9.2f} us/query")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
