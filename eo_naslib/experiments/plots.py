"""PNG plots of an experiment: score distributions over seeds (seed 000's Figs. 4-5), score curves
over evaluations (median and interquartile band), and the final fronts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

LABELS = {"hypervolume": "hypervolume (normalised)", "mean_pareto_distance": "mean Pareto distance", "igd_plus": "IGD+"}


def _label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("best_", "best ").replace("_", " "))


def distributions(summary: pd.DataFrame, metrics: Sequence[str], title: str, path: Path) -> Path:
    """Box plots (with every seed as a dot) of each metric at each configuration's full budget."""
    final = summary[summary.final]
    names = sorted(final.configuration.unique())
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4), squeeze=False)
    rng = np.random.default_rng(0)  # jitter of the dots only
    for ax, metric in zip(axes[0], metrics):
        data = [final[final.configuration == n][metric].to_numpy() for n in names]
        ax.boxplot(data, showfliers=False)
        for i, values in enumerate(data, start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=9, alpha=0.6)
        ax.set_xticks(range(1, len(names) + 1), [f"{n}\n({int(final[final.configuration == n].evaluations.iloc[0])} ev.)" for n in names], fontsize=8)
        ax.set_title(_label(metric))
    fig.suptitle(f"{title}: {len(final) // max(len(names), 1)} seeds")
    fig.tight_layout()
    return _save(fig, path)


def curves(summary: pd.DataFrame, metrics: Sequence[str], title: str, path: Path) -> Path:
    """Median (line) and interquartile range (band) over seeds of each metric against evaluations."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for name, group in summary.groupby("configuration"):
            stats = group.groupby("evaluations")[metric].quantile([0.25, 0.5, 0.75]).unstack()
            ax.plot(stats.index, stats[0.5], label=name)
            ax.fill_between(stats.index, stats[0.25], stats[0.75], alpha=0.2)
        ax.set_xlabel("evaluations (distinct cells)")
        ax.set_title(_label(metric))
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def fronts(records: Sequence[dict[str, Any]], true_front: np.ndarray, objectives: Sequence[str], title: str, path: Path) -> Path:
    """Every seed's final front per configuration (natural units), with the space's true front."""
    names = sorted({r["configuration"] for r in records})
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 4), squeeze=False, sharex=True, sharey=True)
    order = np.argsort(true_front[:, 1])
    for ax, name in zip(axes[0], names):
        ax.step(true_front[order, 1], true_front[order, 0], where="post", color="black", lw=1, label="true front")
        for record in (r for r in records if r["configuration"] == name):
            values = np.asarray(record["front"]["values"])
            ax.scatter(values[:, 1], values[:, 0], s=8, alpha=0.35)
        ax.set_title(name)
        ax.set_xlabel(objectives[1])
        ax.set_ylabel(objectives[0])
        ax.legend(fontsize=8)
    fig.suptitle(f"{title}: final fronts of every seed")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
