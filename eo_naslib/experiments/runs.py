"""One run of an experiment (a configuration with a seed): search, score, write `runs/<config>/<seed>.json`.

Runs execute in worker processes; each process opens the benchmark and builds the scorer once.
A run's file is written atomically when it is complete and carries the fingerprint of the
settings that produced it, so a finished run is never redone, and never reused after its
settings changed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..benchmarks.datasets import open_dataset
from ..errors import ConfigError
from ..io import atomic_write_json, changed_keys, fingerprint, read_json, safe_child
from ..search import Objective, Search, optimizer_class, parse_constraints
from .config import Configuration, Experiment
from .scoring import Scorer


def run_path(experiment: Experiment, configuration: str, seed: int) -> Path:
    return safe_child(experiment.directory / "runs", configuration) / f"{seed}.json"


def run_settings(experiment: Experiment, configuration: Configuration) -> dict[str, Any]:
    """Everything that decides a run's outcome besides its seed (`budget_counts` only when not
    the default, so runs of the distinct-cell budget made before the key existed stay reusable)."""
    counts = {} if experiment.budget_counts == "distinct" else {"budget_counts": experiment.budget_counts}
    constraints = {"constraints": list(experiment.constraints)} if experiment.constraints else {}
    constraints |= {"join": experiment.join} if experiment.join else {}
    return {
        **counts,
        **constraints,
        "dataset": experiment.dataset,
        "objectives": list(experiment.objectives),
        "fidelity": experiment.fidelity,
        "curve_step": experiment.curve_step,
        "budgets": list(experiment.budgets),
        "optimizer": configuration.optimizer,
        "epochs": configuration.epochs,
        "search": configuration.search,
    }


@lru_cache(maxsize=4)
def scorer_for(
    dataset: str,
    data_dir: str | None,
    objectives: tuple[str, ...],
    fidelity: int | None,
    constraints: tuple[str, ...] = (),
    join: str | None = None,
) -> Scorer:
    benchmark, space = open_dataset(dataset, data_dir, join=join)
    return Scorer.for_benchmark(
        benchmark, [Objective.parse(o) for o in objectives], space, fidelity, parse_constraints(list(constraints))
    )


def evaluation_counts(epochs: int, step: int, budgets: tuple[int, ...] = ()) -> list[int]:
    """The evaluation counts a run is scored at: every `step`, each budget within reach, and the end."""
    return sorted({*range(step, epochs + 1, step), *(b for b in budgets if b <= epochs), epochs})


def distinct_counts(charged_rows: list[int]) -> np.ndarray:
    """Distinct cells evaluated after each unit of budget spent (1, 2, 3, ... when units are cells)."""
    charged = np.asarray(charged_rows, dtype=np.int64)
    first = np.zeros(len(charged), dtype=np.int64)
    first[np.unique(charged, return_index=True)[1]] = 1
    return np.cumsum(first)


def run_once(experiment: Experiment, configuration: Configuration, seed: int) -> dict[str, Any]:
    """Search with one configuration and seed; the record holds the history, the final front and
    the scores of the front after every `curve_step` evaluations (and at each budget)."""
    benchmark, space = open_dataset(experiment.dataset, experiment.data_dir, join=experiment.join)
    search = dict(configuration.search)
    if "source_data_dir" in optimizer_class(configuration.optimizer).defaults:  # sources share the data dir
        search.setdefault("source_data_dir", experiment.data_dir)
    run = Search(
        benchmark, configuration.optimizer, experiment.objectives, configuration.epochs,
        seed=seed, space=space, epoch=experiment.fidelity, budget_counts=experiment.budget_counts,
        constraints=list(experiment.constraints) or None, **search,
    )
    result = run.run()
    scorer = scorer_for(
        experiment.dataset, experiment.data_dir, experiment.objectives, experiment.fidelity, experiment.constraints, experiment.join
    )
    feasible = result.feasible
    rows, values = space.indices(result.hashes), result.values
    distinct_after = distinct_counts(run.evaluator.charged_rows)
    counts = evaluation_counts(len(distinct_after), experiment.curve_step, experiment.budgets)
    front = result.front
    hashes = np.asarray(result.hashes)
    settings = run_settings(experiment, configuration)
    return {
        "experiment": experiment.name,
        "configuration": configuration.name,
        "seed": seed,
        "epochs": configuration.epochs,
        "budget_counts": result.budget_counts,
        "spent": result.spent,
        "settings": settings,
        "fingerprint": fingerprint(settings),
        "objectives": [o.metric for o in result.objectives],
        "runtime_s": result.runtime_s,
        "history": {"hash": hashes.tolist(), "values": values.tolist(), "predicted": (~result.measured).tolist()}
        | ({"feasible": feasible.tolist()} if result.constraints else {}),
        **({"feasibility": result.feasibility()} if result.constraints else {}),
        "front": {"hash": hashes[front].tolist(), "values": values[front].tolist()},
        "honesty": result.honesty(),  # measured share; best cell and front: measured or predicted, intervals
        "scores": [
            {"evaluations": n, **scorer.score(rows[: distinct_after[n - 1]], values[: distinct_after[n - 1]], feasible[: distinct_after[n - 1]])}
            for n in counts
        ],
        # population methods: per-generation fitness and the clustering initialiser's report
        **{key: getattr(run.optimizer, key) for key in ("trace", "init_report") if getattr(run.optimizer, key, None)},
    }


def check_reusable(path: Path, experiment: Experiment, configuration: Configuration) -> bool:
    """True when `path` holds a finished run of these settings; `ConfigError` naming the changed
    keys when it holds a run of other settings (rerun with --fresh to start afresh)."""
    if not path.exists():
        return False
    record = read_json(path)
    settings = run_settings(experiment, configuration)
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint(settings):
        changed = changed_keys(record.get("settings", {}) if isinstance(record, dict) else {}, settings)
        raise ConfigError(
            f"{path} was produced with other settings (changed: {', '.join(changed) or 'unknown'}); "
            "rerun with --fresh to discard old runs, or use another --out-dir"
        )
    return True


def run_and_save(experiment: Experiment, configuration: str, seed: int) -> Path:
    """Run unless a finished run of the same settings exists; returns the file."""
    path = run_path(experiment, configuration, seed)
    spec = experiment.configurations[configuration]
    if not check_reusable(path, experiment, spec):
        atomic_write_json(path, run_once(experiment, spec, seed))
    return path
