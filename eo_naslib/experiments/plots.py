"""Plots of an experiment: score distributions over seeds (seed 000's Figs. 4-5), score curves over
evaluations (median and interquartile band), and the final fronts.

Each function draws on the given axes (one per panel) or on a new figure, returns the figure and
never chooses a matplotlib backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

LABELS = {"hypervolume": "hypervolume (normalised)", "mean_pareto_distance": "mean Pareto distance", "igd_plus": "IGD+"}


def _label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("best_", "best ").replace("_", " "))


def _panels(count: int, axes: Sequence[Axes] | None, width: float = 4.2, **kwargs: Any) -> tuple[Figure, list[Axes]]:
    if axes is not None:
        if len(axes) != count:
            raise ValueError(f"give {count} axes, one per panel, got {len(axes)}")
        return axes[0].figure, list(axes)
    figure = Figure(figsize=(width * count, 4))
    return figure, list(figure.subplots(1, count, squeeze=False, **kwargs)[0])


def distributions(summary: pd.DataFrame, metrics: Sequence[str], title: str, axes: Sequence[Axes] | None = None) -> Figure:
    """Box plots (with every seed as a dot) of each metric at each configuration's full budget."""
    final = summary[summary.final]
    names = sorted(final.configuration.unique())
    figure, panels = _panels(len(metrics), axes)
    rng = np.random.default_rng(0)  # jitter of the dots only
    for ax, metric in zip(panels, metrics):
        data = [final[final.configuration == n][metric].to_numpy() for n in names]
        ax.boxplot(data, showfliers=False)
        for i, values in enumerate(data, start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=9, alpha=0.6)
        ax.set_xticks(range(1, len(names) + 1), [f"{n}\n({int(final[final.configuration == n].evaluations.iloc[0])} ev.)" for n in names], fontsize=8)
        ax.set_title(_label(metric))
    figure.suptitle(f"{title}: {len(final) // max(len(names), 1)} seeds")
    figure.tight_layout()
    return figure


def curves(summary: pd.DataFrame, metrics: Sequence[str], title: str, axes: Sequence[Axes] | None = None) -> Figure:
    """Median (line) and interquartile range (band) over seeds of each metric against evaluations."""
    figure, panels = _panels(len(metrics), axes)
    for ax, metric in zip(panels, metrics):
        for name, group in summary.groupby("configuration"):
            stats = group.groupby("evaluations")[metric].quantile([0.25, 0.5, 0.75]).unstack()
            ax.plot(stats.index, stats[0.5], label=name)
            ax.fill_between(stats.index, stats[0.25], stats[0.75], alpha=0.2)
        ax.set_xlabel("evaluations (distinct cells)")
        ax.set_title(_label(metric))
    panels[0].legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def fronts(
    records: Sequence[dict[str, Any]],
    true_front: np.ndarray,
    objectives: Sequence[str],
    title: str,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Every seed's final front per configuration (natural units), with the space's true front
    (under constraints: their feasible fronts; a run with no feasible cell adds no point)."""
    names = sorted({r["configuration"] for r in records})
    figure, panels = _panels(len(names), axes, width=4.5, sharex=True, sharey=True)
    order = np.argsort(true_front[:, 1])
    for ax, name in zip(panels, names):
        ax.step(true_front[order, 1], true_front[order, 0], where="post", color="black", lw=1, label="true front")
        for record in (r for r in records if r["configuration"] == name):
            values = np.asarray(record["front"]["values"], dtype=float).reshape(-1, len(objectives))
            ax.scatter(values[:, 1], values[:, 0], s=8, alpha=0.35)
        ax.set_title(name)
        ax.set_xlabel(objectives[1])
        ax.set_ylabel(objectives[0])
        ax.legend(fontsize=8)
    figure.suptitle(f"{title}: final fronts of every seed")
    figure.tight_layout()
    return figure
