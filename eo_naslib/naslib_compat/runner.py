"""`runner.py --config-file FILE.yaml [key value ...]`: a NASLib-style search run on our core."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..benchmarks.datasets import open_dataset
from ..errors import DataFileError, report_errors
from ..experiments.runs import scorer_for
from ..io import load_config, read_json, save_figure
from ..search import SearchResult
from ..space import CellTable
from .config import apply_overrides, save_dir, validate
from .dataset_api import get_dataset_api
from .journal import LEGACY_CHECKPOINT, read_journal, resume_point
from .optimizer import DiscreteOptimizer
from .search_space import NasBench101SearchSpace
from .trainer import TRAJECTORY_KEYS, Trainer

RESULT = "search_result.json"
FRONT_PICTURE = "front.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config-file", required=True, help="NASLib-style YAML config")
    parser.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    parser.add_argument("--quiet", "--no-progress", dest="no_progress", action="store_true", help="hide the progress bar")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="overrides as 'key value' pairs, e.g. seed 3 search.epochs 100")


def run(config: dict[str, Any], resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Validate, load the benchmark, search, evaluate; returns the summary. Nothing is written
    before the config and the data are known to be good."""
    config = validate(config)
    dataset_api = get_dataset_api(config["search_space"], config["dataset"], config.get("data_dir"))
    if config.get("join"):  # another benchmark's metrics (a device's latency) joined onto the dataset's
        dataset_api["benchmark"] = open_dataset(config["dataset"], config.get("data_dir"), join=config["join"])[0]
    optimizer = DiscreteOptimizer(config["optimizer"], config["dataset"], config["search"], config["seed"])
    optimizer.adapt_search_space(NasBench101SearchSpace(), dataset_api=dataset_api)
    directory = save_dir(config)
    trainer = Trainer(optimizer, config, directory)
    resume_from = resume_point(directory) if resume else None
    with tqdm(total=trainer.epochs, desc=f"{config['optimizer']} on {config['dataset']}", disable=not progress) as bar:
        if resume_from:
            bar.update(checkpoint_epoch(resume_from) + 1)
        trainer.search(resume_from=resume_from or "", after_epoch=lambda _: bar.update(1))
    final = trainer.evaluate()
    evaluator = optimizer.evaluator
    result = optimizer.run.result()
    result.to_json(directory / RESULT)
    picture = save_figure(result.plot(), directory / FRONT_PICTURE)
    honesty = result.honesty()
    trainer.record_uncertainty(honesty)
    summary = {
        "headline": result.headline(),
        "save_dir": str(directory),
        "evaluations": evaluator.n_evaluations,
        "measured_share": float(result.measured.mean()) if result.n_evaluations else 0.0,
        "best_hash": final["hash"],
        "best": {o.metric: float(v) for o, v in zip(evaluator.objectives, evaluator.evaluate(final["hash"]))},
        "front_size": len(result.front),
        "front_measured": honesty["front"]["measured"],
        "front_predicted": honesty["front"]["predicted"],
        "resumed": bool(resume_from),
        "files": [str(directory / name) for name in ("errors.json", "trajectory.json", RESULT)] + [str(picture)],
    }
    if result.constraints:
        summary["feasibility"] = result.feasibility()
    if len(evaluator.objectives) > 1:
        constraints = tuple(c.text for c in result.constraints)
        scorer = scorer_for(
            config["dataset"], config.get("data_dir"), tuple(o.label for o in evaluator.objectives), evaluator.epoch, constraints, config.get("join")
        )
        rows = space_rows(result, dataset_api["space"])
        summary["hypervolume"] = scorer.score(rows, result.values, result.feasible)["hypervolume"]  # feasible cells only
    summary["uncertainty"] = honesty
    return summary


def checkpoint_epoch(path: Path) -> int:
    """The last epoch a journal (or an old checkpoint) records; `DataFileError` if it is damaged."""
    if path.name != Path(LEGACY_CHECKPOINT).name:
        return read_journal(path, TRAJECTORY_KEYS).epochs - 1
    data = read_json(path)
    epoch = data.get("epoch") if isinstance(data, dict) else None
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < -1:
        raise DataFileError(f"checkpoint {path} is damaged (no whole-number 'epoch'); restore it, or delete it and run without --resume")
    return epoch


def space_rows(result: SearchResult, space: CellTable) -> np.ndarray:
    return space.indices(result.hashes)


def run_from_args(args: argparse.Namespace) -> int:
    config = apply_overrides(load_config(args.config_file), args.opts)
    summary = run(config, resume=args.resume, progress=not args.no_progress)
    print(summary["headline"])  # first line: is the front measured or predicted?
    print(json.dumps(summary, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command: warnings (a capped budget, a run ended by it) are one line each on stderr."""
    parser = argparse.ArgumentParser(prog="runner.py", description=__doc__)
    add_arguments(parser)
    warnings = logging.StreamHandler()
    warnings.setLevel(logging.WARNING)
    root = logging.getLogger("eo_naslib")
    root.addHandler(warnings)
    try:
        return report_errors(lambda: run_from_args(parser.parse_args(argv)))
    finally:
        root.removeHandler(warnings)
