"""Benchmark the runner's checkpoints (issue 13): a long tabular search with checkpoints every 10
epochs vs one checkpoint at the end, with the journal Trainer (working tree) and the full-state
Trainer it replaced (read from git at OLD_REV into a temporary module; git is only read).

    python scripts/bench_checkpoint.py [--evaluations 20000] [--optimizer re] [--dataset so2sat_lcz42_micro]

Times `Trainer.search` only (benchmark and space loaded beforehand, the same for every run) and,
within it, the time spent in `_checkpoint`. Prints one line per run, then a JSON object on the
last line: seconds, checkpoint seconds, and the ratios (freq 10 / single; old / new).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from eo_naslib.naslib_compat import DiscreteOptimizer, NasBench101SearchSpace, get_dataset_api, validate
from eo_naslib.naslib_compat import trainer as new_trainer

REPO = Path(__file__).resolve().parents[1]
#: the last commit whose trainer.py rewrote the full state (search/checkpoint.json) at every checkpoint
OLD_REV = "c6ef97d50fc07ce50ea7c7dd548a70bcb141f48c"
OLD_PATH = "eo_naslib/naslib_compat/trainer.py"


def old_trainer(rev: str, folder: Path) -> ModuleType:
    """trainer.py at `rev`, loaded as a module of eo_naslib.naslib_compat (its relative imports resolve)."""
    source = subprocess.run(["git", "show", f"{rev}:{OLD_PATH}"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    path = folder / "trainer_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("eo_naslib.naslib_compat._trainer_old", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_search(module: ModuleType, config: dict[str, Any], api: dict[str, Any], out: Path) -> dict[str, float]:
    """One search with `module.Trainer`: total seconds and seconds inside `_checkpoint`."""
    optimizer = DiscreteOptimizer(config["optimizer"], config["dataset"], config["search"], config["seed"])
    optimizer.adapt_search_space(NasBench101SearchSpace(), dataset_api=api)
    trainer = module.Trainer(optimizer, config, out)
    checkpoint = trainer._checkpoint
    spent = [0.0, 0]

    def counted(epoch: int) -> None:
        began = time.perf_counter()
        checkpoint(epoch)
        spent[0] += time.perf_counter() - began
        spent[1] += 1

    trainer._checkpoint = counted
    began = time.perf_counter()
    trainer.search()
    return {"s": time.perf_counter() - began, "checkpoint_s": spent[0], "checkpoints": spent[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--optimizer", default="re")
    parser.add_argument("--dataset", default="so2sat_lcz42_micro")
    parser.add_argument("--data-dir", default=None, help="benchmark data dir (default: the user data dir)")
    parser.add_argument("--old-rev", default=OLD_REV, help="git revision of the full-state trainer")
    parser.add_argument("--skip-old", action="store_true", help="time the journal trainer only")
    args = parser.parse_args()
    api = get_dataset_api("nasbench101", args.dataset, args.data_dir)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_checkpoint_") as tmp:
        trainers = {"new": new_trainer} if args.skip_old else {"new": new_trainer, "old": old_trainer(args.old_rev, Path(tmp))}
        for name, module in trainers.items():
            for label, freq in (("freq10", 10), ("single", args.evaluations)):
                config = validate(
                    {"seed": 0, "search_space": "nasbench101", "dataset": args.dataset, "optimizer": args.optimizer,
                     "out_dir": str(Path(tmp) / f"{name}_{label}"), "search": {"epochs": args.evaluations, "checkpoint_freq": freq}}
                )  # fmt: skip
                result = timed_search(module, config, api, Path(tmp) / f"{name}_{label}")
                results[f"{name}_{label}"] = result
                print(f"{name} trainer, checkpoint_freq {freq}: {result['s']:.1f} s "
                      f"({result['checkpoints']} checkpoints, {result['checkpoint_s']:.1f} s in them)", flush=True)  # fmt: skip
    ratios = {f"{name}_freq10_vs_single": results[f"{name}_freq10"]["s"] / results[f"{name}_single"]["s"] for name in trainers}
    if "old" in trainers:
        ratios["old_vs_new_freq10"] = results["old_freq10"]["s"] / results["new_freq10"]["s"]
        ratios["old_vs_new_checkpoint_s_freq10"] = results["old_freq10"]["checkpoint_s"] / max(results["new_freq10"]["checkpoint_s"], 1e-9)
    summary = {
        "optimizer": args.optimizer, "dataset": args.dataset, "evaluations": args.evaluations,
        "old_rev": None if args.skip_old else args.old_rev,
        "seconds": {k: round(v["s"], 2) for k, v in results.items()},
        "checkpoint_seconds": {k: round(v["checkpoint_s"], 2) for k, v in results.items()},
        "ratios": {k: round(v, 2) for k, v in ratios.items()},
    }  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    sys.exit(main())
