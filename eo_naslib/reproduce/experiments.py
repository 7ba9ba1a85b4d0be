"""The seeds' search experiments, run through `run_experiment` (local, Ray or SLURM; finished runs
reused) into `<out_dir>/experiments/<name>/`, and their tables: Mann-Whitney U, A12 and Holm.

`quick` (the synthetic test) scales every budget down 20-fold and shrinks the surrogate training
sets and clustering samples; the report says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu

from ..experiments.config import Configuration, Experiment, load_experiment
from ..experiments.runner import run_experiment
from ..experiments.runs import run_path
from ..experiments.stats import holm, vargha_delaney_a12
from ..io import read_json
from .items import Context

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "experiments"
QUICK_SCALE = 20
QUICK_SEARCH = {"n_train": 200, "cluster_sizes": [400, 200, 100]}


def config_path(name: str) -> Path:
    return CONFIGS / f"{name}.yaml"


def experiment_command(name: str, seeds: int) -> str:
    return f"eo-naslib experiment --config eo_naslib/configs/experiments/{name}.yaml --seeds {seeds} --out-dir DIR/experiments"


def _quick(configuration: Configuration) -> Configuration:
    search = dict(configuration.search)
    for key, value in QUICK_SEARCH.items():
        if key in search or (key == "cluster_sizes" and search.get("init") == "clusters"):
            search[key] = value
    return dataclasses.replace(configuration, epochs=max(40, configuration.epochs // QUICK_SCALE), search=search)


def load(context: Context, name: str) -> Experiment:
    """Experiment `name` with the run's seeds, workers, data dir and output folder."""
    experiment = load_experiment(
        config_path(name), seeds=context.seeds, workers=context.workers,
        out_dir=str(context.out_dir / "experiments"), data_dir=context.data_dir,
    )
    if context.quick:
        configurations = {k: _quick(c) for k, c in experiment.configurations.items()}
        budgets = tuple(sorted({max(20, b // QUICK_SCALE) for b in experiment.budgets}))
        experiment = dataclasses.replace(
            experiment, configurations=configurations, budgets=budgets, curve_step=max(5, experiment.curve_step // QUICK_SCALE)
        )
    return experiment


def run(context: Context, name: str) -> tuple[Experiment, dict[str, Any]]:
    """Run (or finish) experiment `name` on the context's backend (local: `workers` spawned
    processes, or this one); returns it and its report (see `run_experiment`)."""
    experiment = load(context, name)
    backend = None if context.backend is None else context.backend(experiment.directory / "slurm")
    try:
        report = run_experiment(experiment, progress=False, backend=backend)
    finally:
        if backend is not None:
            backend.close()
    return experiment, report


def records(experiment: Experiment) -> dict[str, list[dict[str, Any]]]:
    """The run files of every configuration, seeds in order."""
    return {
        name: [read_json(run_path(experiment, name, seed)) for seed in range(experiment.seeds)]
        for name in experiment.configurations
    }


def tests_table(report: dict[str, Any], metrics: Sequence[str], at: str = "final") -> str:
    """Markdown: each comparison and metric at `at`: medians, p, A12 (of a over b), Holm's p."""
    rows = [t for t in report["mann_whitney"] if t["at"] == at and t["metric"] in metrics]
    lines = [
        "| a vs b (evaluations) | metric | median a | median b | p | A12 | p (Holm) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in rows:
        lines.append(
            f"| {t['a']} ({t['evaluations_a']}) vs {t['b']} ({t['evaluations_b']}) | {t['metric']} | "
            f"{t['median_a']:.4g} | {t['median_b']:.4g} | {t['p']:.2g} | {t['A12']:.2f} | {t['p_holm']:.2g} |"
        )
    return "\n".join(lines)


def population_columns(record: dict[str, Any], budgets: Sequence[int], first: int = 7) -> dict[str, float]:
    """Per run: initial population mean, mean of its first `first` cells (the centroid cells of a
    clustering start), best fitness after each budget (the run's own budget units)."""
    trace = record.get("trace") or [[0, np.nan]]
    fitness = np.asarray(record["history"]["values"], dtype=float)[:, 0]
    best = {s["evaluations"]: s[f"best_{record['objectives'][0]}"] for s in record["scores"]}
    return {
        "init": float(trace[0][1]),
        f"first_{first}": float(fitness[:first].mean()),
        **{f"best@{k}": float(best[k]) for k in budgets if k in best},
    }


def population_tables(experiment: Experiment, runs: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """Markdown tables (means over seeds; comparisons with p, A12, Holm per column) and the numbers."""
    end = max(r["epochs"] for rs in runs.values() for r in rs)
    budgets = sorted({*(b for b in experiment.budgets if b <= end), end})
    table = {name: [population_columns(r, budgets) for r in rs] for name, rs in runs.items()}
    keys = [k for k in next(iter(table.values()))[0] if all(k in row for rows in table.values() for row in rows)]
    means = {name: {k: float(np.mean([r[k] for r in rows])) for k in keys} for name, rows in table.items()}
    lines = ["| configuration | " + " | ".join(keys) + " |", "| --- " * (len(keys) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(f"{means[name][k]:.4f}" for k in keys) + " |" for name in table]
    tests: dict[str, list[tuple[float, float]]] = {}
    for k in keys:
        ps, a12s = [], []
        for a, b in experiment.comparisons:
            x, y = [r[k] for r in table[a]], [r[k] for r in table[b]]
            same = np.allclose(x, x[0]) and np.allclose(y, x[0])
            ps.append(1.0 if same else float(mannwhitneyu(x, y, alternative="two-sided").pvalue))
            a12s.append(vargha_delaney_a12(x, y))
        tests[k] = list(zip(ps, a12s, holm(ps)))
    lines += ["", "| comparison | " + " | ".join(f"{k}: p / A12 / p (Holm)" for k in keys) + " |", "| --- " * (len(keys) + 1) + "|"]
    for i, (a, b) in enumerate(experiment.comparisons):
        cells = [f"{tests[k][i][0]:.2g} / {tests[k][i][1]:.2f} / {tests[k][i][2]:.2g}" for k in keys]
        lines.append(f"| {a} vs {b} | " + " | ".join(cells) + " |")
    values = {"means": means, "tests": {k: {f"{a} vs {b}": list(map(float, t)) for (a, b), t in zip(experiment.comparisons, v)} for k, v in tests.items()}}
    return "\n".join(lines), values
