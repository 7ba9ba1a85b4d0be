"""The population report's tables from an experiment's run files (docs/population_report.md).

    python scripts/population_tables.py --config eo_naslib/configs/experiments/population_cifar10_36ep.yaml \
        --out-dir OUT [--seeds 30] [--first 7]

Per configuration (means over seeds): generations after the initial population, distinct cells
evaluated, the initial population's mean fitness (`init`), the mean of its first `--first` cells
(the centroid cells for `clusters`), and the best fitness after each of the experiment's budgets
and at the end (`best@k`: k units of the run's budget, distinct cells or evaluations). Then, for
each comparison, two-sided Mann-Whitney U p, A12 of the first configuration over the second, and
Holm's correction over the comparisons of each column. Markdown on stdout.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import mannwhitneyu

from eo_naslib.experiments.config import load_experiment
from eo_naslib.experiments.runs import run_path
from eo_naslib.experiments.stats import holm, vargha_delaney_a12
from eo_naslib.io import read_json


def columns(record: dict, first: int, budgets: list[int]) -> dict[str, float]:
    """The table's numbers for one run."""
    trace = record.get("trace") or [[0, np.nan]]
    fitness = np.asarray(record["history"]["values"], dtype=float)[:, 0]
    best = {s["evaluations"]: s[f"best_{record['objectives'][0]}"] for s in record["scores"]}
    return {
        "generations": len(trace) - 1,
        "distinct": len(fitness),
        "init": float(trace[0][1]),
        f"first_{first}": float(fitness[:first].mean()),
        **{f"best@{k}": float(best[k]) for k in budgets},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--first", type=int, default=7)
    args = parser.parse_args()
    experiment = load_experiment(args.config, seeds=args.seeds, out_dir=args.out_dir)
    some = read_json(run_path(experiment, next(iter(experiment.configurations)), 0))
    budgets = sorted({*(b for b in experiment.budgets if b <= some["epochs"]), some["epochs"]})
    table = {
        name: [columns(read_json(run_path(experiment, name, seed)), args.first, budgets) for seed in range(experiment.seeds)]
        for name in experiment.configurations
    }
    keys = list(next(iter(table.values()))[0])
    print(f"{experiment.name}: {experiment.seeds} seeds, budget counts {experiment.budget_counts}\n")
    print("| config | " + " | ".join(keys) + " |")
    print("| --- " * (len(keys) + 1) + "|")
    for name, runs in table.items():
        means = [np.mean([r[k] for r in runs]) for k in keys]
        print(f"| {name} | " + " | ".join(f"{m:.0f}" if k in ("generations", "distinct") else f"{m:.4f}" for k, m in zip(keys, means)) + " |")
    tested = [k for k in keys if k not in ("generations", "distinct")]
    results = {}
    for k in tested:
        ps, a12s = [], []
        for a, b in experiment.comparisons:
            x, y = [r[k] for r in table[a]], [r[k] for r in table[b]]
            ps.append(1.0 if np.allclose(x, x[0]) and np.allclose(y, x[0]) else float(mannwhitneyu(x, y, alternative="two-sided").pvalue))
            a12s.append(vargha_delaney_a12(x, y))
        results[k] = (ps, a12s, holm(ps))
    print("\n| comparison | " + " | ".join(f"{k} p / A12 / p_holm" for k in tested) + " |")
    print("| --- " * (len(tested) + 1) + "|")
    for i, (a, b) in enumerate(experiment.comparisons):
        cells = [f"{results[k][0][i]:.2g} / {results[k][1][i]:.2f} / {results[k][2][i]:.2g}" for k in tested]
        print(f"| {a} vs {b} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
