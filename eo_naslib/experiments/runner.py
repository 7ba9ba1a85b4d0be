"""`run_experiment`: every configuration x seed in parallel worker processes (finished runs are
skipped), then the summary table, Mann-Whitney tests, plots and a report under
`<out_dir>/<name>/`.

Every file is written atomically (see `eo_naslib.io`), so a killed coordinator leaves each file
old or new; the next run removes the temporary files it left, under the experiment's lock."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ..creation.backends import Backend, get_backend
from ..io import (
    atomic_write_json,
    atomic_write_text,
    check_writable,
    lock,
    read_json,
    remove_temp_files,
    save_figure,
)
from ..search import Objective
from . import plots
from .config import Experiment
from .runs import check_reusable, run_and_save, run_path, scorer_for
from .scoring import score_names
from .stats import mann_whitney, summary_table, with_effect_sizes


def run_experiment(
    experiment: Experiment,
    progress: bool = True,
    fresh: bool = False,
    backend: Backend | None = None,
    oversubscribe: bool = False,
) -> dict[str, Any]:
    """Run what is missing, then summarise; returns the report (also written as report.json).

    Runs go to `backend` (local processes, Ray or SLURM; default: `experiment.workers` spawned
    local worker processes, at most the CPUs available unless `oversubscribe`; or this process with
    one worker). Finished runs of the same settings are reused; runs of other settings stop the
    experiment with the changed keys named, unless `fresh` discards them first.
    """
    directory = check_writable(experiment.directory)
    with lock(directory, timeout=0):
        if fresh and (directory / "runs").exists():
            shutil.rmtree(directory / "runs")
        remove_leftovers(directory)
        todo = [
            (name, seed)
            for name, spec in experiment.configurations.items()
            for seed in range(experiment.seeds)
            if not check_reusable(run_path(experiment, name, seed), experiment, spec)
        ]
        if backend is None and (experiment.workers == 1 or len(todo) <= 1):
            for name, seed in tqdm(todo, desc=experiment.name, disable=not progress):
                run_and_save(experiment, name, seed)
        elif todo:
            engine = backend or get_backend("local", workers=experiment.workers, oversubscribe=oversubscribe)
            try:
                engine.map(run_and_save, [(experiment, name, seed) for name, seed in todo], progress=progress, desc=experiment.name)
            finally:
                if backend is None:
                    engine.close()
        return summarise(experiment)


def remove_leftovers(directory: Path) -> list[Path]:
    """Delete the temporary files killed writers left in an experiment's folders (hold its lock)."""
    folders = [directory, directory / "plots", *sorted((directory / "runs").glob("*"))]
    return [path for folder in folders for path in remove_temp_files(folder)]


def feasible_per_run(records: list[dict[str, Any]]) -> dict[str, str]:
    """Per run (`configuration/seed`): how many evaluations met the constraints, or why none did."""
    return {
        f"{r['configuration']}/{r['seed']}": r["feasibility"]["message"]
        or f"{r['feasibility']['feasible']} of {r['feasibility']['evaluated']} evaluations feasible"
        for r in records
        if r.get("feasibility")
    }


def summarise(experiment: Experiment) -> dict[str, Any]:
    """Tables, tests, plots and report.json from the run files of `experiment`."""
    records = [
        read_json(run_path(experiment, name, seed))
        for name in experiment.configurations
        for seed in range(experiment.seeds)
    ]
    directory = experiment.directory
    objectives = [Objective.parse(o) for o in experiment.objectives]
    tested = score_names(objectives)[:2] + ["mean_pareto_distance", "hypervolume", "igd_plus"]
    summary = summary_table(records)
    atomic_write_text(directory / "summary.csv", summary.to_csv(index=False))
    atomic_write_text(directory / "final.csv", summary[summary.final].to_csv(index=False))
    tests = with_effect_sizes(summary, mann_whitney(summary, experiment.comparisons, tested, experiment.budgets))
    atomic_write_text(directory / "mann_whitney.csv", tests.to_csv(index=False))
    title = f"{experiment.name} ({experiment.dataset})"
    scorer = scorer_for(
        experiment.dataset, experiment.data_dir, experiment.objectives, experiment.fidelity, experiment.constraints, experiment.join
    )
    figures = [
        save_figure(plots.distributions(summary, tested[:4], title), directory / "plots" / "distributions.png"),
        save_figure(plots.curves(summary, tested[:4], title), directory / "plots" / "curves.png"),
        save_figure(
            plots.fronts(records, scorer.true_front(), [o.metric for o in objectives], title),
            directory / "plots" / "fronts.png",
        ),
    ]
    final = summary[summary.final]
    report = {
        "experiment": experiment.name,
        "dataset": experiment.dataset,
        "objectives": list(experiment.objectives),
        **({"constraints": list(experiment.constraints)} if experiment.constraints else {}),
        **({"join": experiment.join} if experiment.join else {}),
        "seeds": experiment.seeds,
        "medians": {
            name: {"evaluations": int(group.evaluations.iloc[0]), **{m: float(group[m].median()) for m in tested}}
            for name, group in final.groupby("configuration")
        },
        "predicted_share": {name: float(group.predicted_share.mean()) for name, group in final.groupby("configuration")},
        "measured_share_per_run": {
            name: {int(seed): 1.0 - float(share) for seed, share in zip(group.seed, group.predicted_share)}
            for name, group in final.groupby("configuration")
        },
        "front_measured_per_run": {
            record["configuration"] + f"/{record['seed']}": f"{front['measured']} of {front['size']}"
            for record in records
            if (front := record.get("honesty", {}).get("front"))
        },
        **({"feasible_per_run": feasible_per_run(records)} if experiment.constraints else {}),
        "mann_whitney": tests.to_dict(orient="records"),
        "files": [str(p) for p in (directory / "summary.csv", directory / "mann_whitney.csv", *figures)],
    }
    atomic_write_json(directory / "report.json", report)
    return report
