"""`run_experiment`: every configuration x seed in parallel worker processes (finished runs are
skipped), then the summary table, Mann-Whitney tests, plots and a report under
`<out_dir>/<name>/`."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from tqdm.auto import tqdm

from ..naslib_compat.trainer import write_json
from ..search import Objective
from . import plots
from .config import Experiment
from .runs import _scorer, run_and_save, run_path
from .scoring import score_names
from .stats import mann_whitney, summary_table


def run_experiment(experiment: Experiment, progress: bool = True) -> dict[str, Any]:
    """Run what is missing, then summarise; returns the report (also written as report.json)."""
    todo = [
        (name, seed)
        for name in experiment.configurations
        for seed in range(experiment.seeds)
        if not run_path(experiment, name, seed).exists()
    ]
    with tqdm(total=len(todo), desc=experiment.name, disable=not progress) as bar:
        if experiment.workers == 1 or len(todo) <= 1:
            for name, seed in todo:
                run_and_save(experiment, name, seed)
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=experiment.workers) as pool:
                for future in as_completed([pool.submit(run_and_save, experiment, name, seed) for name, seed in todo]):
                    future.result()
                    bar.update(1)
    return summarise(experiment)


def summarise(experiment: Experiment) -> dict[str, Any]:
    """Tables, tests, plots and report.json from the run files of `experiment`."""
    records = [
        json.loads(run_path(experiment, name, seed).read_text())
        for name in experiment.configurations
        for seed in range(experiment.seeds)
    ]
    directory = experiment.directory
    objectives = [Objective.parse(o) for o in experiment.objectives]
    tested = score_names(objectives)[:2] + ["mean_pareto_distance", "hypervolume", "igd_plus"]
    summary = summary_table(records)
    summary.to_csv(directory / "summary.csv", index=False)
    summary[summary.final].to_csv(directory / "final.csv", index=False)
    tests = mann_whitney(summary, experiment.comparisons, tested, experiment.budgets)
    tests.to_csv(directory / "mann_whitney.csv", index=False)
    title = f"{experiment.name} ({experiment.dataset})"
    scorer = _scorer(experiment.dataset, experiment.data_dir, experiment.objectives, experiment.fidelity)
    figures = [
        plots.distributions(summary, tested[:4], title, directory / "plots" / "distributions.png"),
        plots.curves(summary, tested[:4], title, directory / "plots" / "curves.png"),
        plots.fronts(records, scorer.true_front(), [o.metric for o in objectives], title, directory / "plots" / "fronts.png"),
    ]
    final = summary[summary.final]
    report = {
        "experiment": experiment.name,
        "dataset": experiment.dataset,
        "objectives": list(experiment.objectives),
        "seeds": experiment.seeds,
        "medians": {
            name: {"evaluations": int(group.evaluations.iloc[0]), **{m: float(group[m].median()) for m in tested}}
            for name, group in final.groupby("configuration")
        },
        "predicted_share": {name: float(group.predicted_share.mean()) for name, group in final.groupby("configuration")},
        "mann_whitney": tests.to_dict(orient="records"),
        "files": [str(p) for p in (directory / "summary.csv", directory / "mann_whitney.csv", *figures)],
    }
    write_json(directory / "report.json", report)
    return report
