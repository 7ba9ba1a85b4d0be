"""One run of an experiment (a configuration with a seed): search, score, write `runs/<config>/<seed>.json`.

Runs execute in worker processes; each process opens the benchmark and builds the scorer once.
A run's file is written atomically when it is complete, so a finished run is never redone.
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..naslib_compat.dataset_api import get_dataset_api
from ..naslib_compat.trainer import write_json
from ..search import OPTIMIZERS, Evaluator, Objective
from .config import Configuration, Experiment
from .scoring import Scorer


def run_path(experiment: Experiment, configuration: str, seed: int) -> Path:
    return experiment.directory / "runs" / configuration / f"{seed}.json"


@lru_cache(maxsize=4)
def _dataset_api(dataset: str, data_dir: str | None) -> dict[str, Any]:
    return get_dataset_api("nasbench101", dataset, data_dir)


@lru_cache(maxsize=4)
def _scorer(dataset: str, data_dir: str | None, objectives: tuple[str, ...], fidelity: int | None) -> Scorer:
    api = _dataset_api(dataset, data_dir)
    return Scorer.for_benchmark(api["benchmark"], [Objective.parse(o) for o in objectives], api["space"], fidelity)


def evaluation_counts(epochs: int, step: int, budgets: tuple[int, ...] = ()) -> list[int]:
    """The evaluation counts a run is scored at: every `step`, each budget within reach, and the end."""
    return sorted({*range(step, epochs + 1, step), *(b for b in budgets if b <= epochs), epochs})


def run_once(experiment: Experiment, configuration: Configuration, seed: int) -> dict[str, Any]:
    """Search with one configuration and seed; the record holds the history, the final front and
    the scores of the front after every `curve_step` evaluations (and at each budget)."""
    api = _dataset_api(experiment.dataset, experiment.data_dir)
    benchmark, space = api["benchmark"], api["space"]
    evaluator = Evaluator(benchmark, experiment.objectives, budget=configuration.epochs, epoch=experiment.fidelity, space=space)
    search = dict(configuration.search)
    if configuration.optimizer == "pls" and search.get("init") == "surrogate_front":
        search.setdefault("source_data_dir", experiment.data_dir)
    optimizer = OPTIMIZERS[configuration.optimizer](evaluator, seed=seed, **search)
    began = time.perf_counter()
    optimizer.run()
    runtime = time.perf_counter() - began
    scorer = _scorer(experiment.dataset, experiment.data_dir, experiment.objectives, experiment.fidelity)
    rows, values = np.asarray(evaluator.history_rows), evaluator.history_values
    hashes = space.hashes[rows]
    predicted = [any(not benchmark.is_measured(h, o.metric) for o in evaluator.objectives) for h in hashes]
    counts = evaluation_counts(len(rows), experiment.curve_step, experiment.budgets)
    front = scorer.front(rows, values)
    return {
        "experiment": experiment.name,
        "configuration": configuration.name,
        "seed": seed,
        "epochs": configuration.epochs,
        "objectives": [o.metric for o in evaluator.objectives],
        "runtime_s": runtime,
        "history": {"hash": hashes.tolist(), "values": values.tolist(), "predicted": predicted},
        "front": {"hash": hashes[front].tolist(), "values": values[front].tolist()},
        "scores": [{"evaluations": n, **scorer.score(rows[:n], values[:n])} for n in counts],
    }


def run_and_save(experiment: Experiment, configuration: str, seed: int) -> Path:
    """Run unless its file exists; returns the file."""
    path = run_path(experiment, configuration, seed)
    if not path.exists():
        write_json(path, run_once(experiment, experiment.configurations[configuration], seed))
    return path
