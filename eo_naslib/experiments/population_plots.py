"""Plots of the population methods (seed 003's Figs. 8-13): mean population fitness with a
min/max band per evaluation count, box plots of the best found, heat maps of the expanded
adjacency of the solutions found, and a score against the budget. Each function draws on `ax`
(a new figure when None) and returns the figure; saving is the caller's business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..space import CellTable
from ..space.encodings import LONG_NODES, LONG_OP_ORDER, MAX_INTERIOR


def _axes(ax: Any, figsize: tuple[float, float] = (5.0, 3.6)) -> tuple[Any, Any]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def trace_on_grid(trace: Sequence[Sequence[float]], grid: np.ndarray) -> np.ndarray:
    """(len(grid), 3) mean / min / max population fitness of one run at each evaluation count of
    `grid` (the population as it was after the last generation that ended at or before it; NaN
    before the initial population is complete)."""
    trace = np.asarray(trace, dtype=float)
    at = np.searchsorted(trace[:, 0], grid, side="right") - 1
    out = trace[at.clip(min=0), 1:4]
    out[at < 0] = np.nan
    return out


def population_fitness(
    traces: Mapping[str, Sequence[Sequence[Sequence[float]]]],
    ax: Any = None,
    title: str | None = None,
    step: int = 19,
    ylabel: str = "population fitness",
) -> Any:
    """One line per configuration: the population's mean fitness averaged over runs (bold), and
    a band from the runs' average minimum to their average maximum (seed 003, Figs. 8, 10, 12)."""
    fig, ax = _axes(ax)
    for name, runs in traces.items():
        end = max(int(np.asarray(t)[-1, 0]) for t in runs)
        grid = np.arange(step, end + 1, step)
        stacked = np.stack([trace_on_grid(t, grid) for t in runs])
        mean, low, high = (np.nanmean(stacked[:, :, i], axis=0) for i in range(3))
        (line,) = ax.plot(grid, mean, lw=2, label=f"{name} ({len(runs)} runs)")
        ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("distinct evaluations")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)
    return fig


def final_boxplots(
    values: Mapping[str, Sequence[float]],
    ax: Any = None,
    title: str | None = None,
    ylabel: str = "best found",
) -> Any:
    """Box plots, with every run as a dot, of a final score per configuration (seed 003, Fig. 9)."""
    fig, ax = _axes(ax, (max(4.0, 0.8 * len(values) + 1.5), 3.6))
    names = list(values)
    data = [np.asarray(values[n], dtype=float) for n in names]
    ax.boxplot(data, showfliers=False)
    rng = np.random.default_rng(0)  # jitter of the dots only
    for i, v in enumerate(data, start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(v)), v, s=7, alpha=0.5)
    ax.set_xticks(range(1, len(names) + 1), names, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def adjacency_frequency(space: CellTable, rows: Sequence[int]) -> np.ndarray:
    """(17, 17) share of the cells of `rows` that have each edge of the expanded adjacency."""
    return (
        space.encode("long", np.asarray(rows, dtype=np.int64))
        .reshape(-1, LONG_NODES, LONG_NODES)
        .mean(axis=0)
    )


def _long_node_names() -> list[str]:
    short = {"conv1x1-bn-relu": "c1", "conv3x3-bn-relu": "c3", "maxpool3x3": "mp"}
    return [
        "in",
        *(f"{short.get(op, op)}@{p}" for op in LONG_OP_ORDER for p in range(1, MAX_INTERIOR + 1)),
        "out",
    ]


def adjacency_heatmap(space: CellTable, rows: Sequence[int], ax: Any = None, title: str | None = None) -> Any:
    """Frequency of each connection of the expanded adjacency matrix among the solutions found
    (seed 003, Fig. 13): darker is more frequent."""
    fig, ax = _axes(ax, (4.6, 4.2))
    image = ax.imshow(adjacency_frequency(space, rows), cmap="Greys", vmin=0, vmax=1)
    names = _long_node_names()
    ax.set_xticks(range(LONG_NODES), names, rotation=90, fontsize=5)
    ax.set_yticks(range(LONG_NODES), names, fontsize=5)
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(title or f"{len(rows)} solutions", fontsize=8)
    return fig


def score_vs_budget(
    summary: pd.DataFrame,
    metric: str,
    ax: Any = None,
    title: str | None = None,
    configurations: Sequence[str] | None = None,
) -> Any:
    """Median (line) and interquartile band over seeds of a score at each evaluation count."""
    fig, ax = _axes(ax)
    for name in configurations or sorted(summary.configuration.unique()):
        mine = summary[summary.configuration == name].groupby("evaluations")[metric]
        q = mine.quantile([0.25, 0.5, 0.75]).unstack()
        (line,) = ax.plot(q.index, q[0.5], lw=2, label=name)
        ax.fill_between(q.index, q[0.25], q[0.75], color=line.get_color(), alpha=0.2)
    ax.set_xlabel("distinct evaluations")
    ax.set_ylabel(metric.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)
    return fig
