"""Neutrality degree Nd(x) = |{y in N(x) : |f(y) - f(x)| < eps}| and mean neighbour fitness."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Landscape


def neighbour_stats(landscape: Landscape, epsilon: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: neutrality degree, mean fitness of the known neighbours, number of known neighbours.

    Unknown neighbours are ignored; cells without a known neighbour get NaN mean fitness.
    """
    graph = landscape.known_graph
    count = graph.degree
    owner = np.repeat(np.arange(len(graph)), count)
    f = landscape.fitness
    nb = f[graph.indices]
    n = len(graph)
    with np.errstate(invalid="ignore"):
        degree = np.bincount(owner, np.abs(nb - f[owner]) < epsilon, n).astype(np.int64)
        mean = np.where(count > 0, np.bincount(owner, nb, n) / np.maximum(count, 1), np.nan)
    return degree, mean, count


def neutrality(landscape: Landscape, epsilon: float = 1e-3, bins: int = 20) -> dict[str, Any]:
    """Neutrality degree and mean neighbour fitness as functions of fitness (equal-width bins)."""
    degree, mean_nb, count = neighbour_stats(landscape, epsilon)
    use = landscape.known & (count > 0)
    f = landscape.fitness[use]
    edges = np.linspace(f.min(), f.max(), bins + 1)
    which = np.clip(np.digitize(f, edges) - 1, 0, bins - 1)
    per_bin = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_degree = np.bincount(which, degree[use], bins) / per_bin
        mean_neighbour = np.bincount(which, mean_nb[use], bins) / per_bin
    return {
        "epsilon": epsilon,
        "cells": int(use.sum()),
        "mean_degree": float(degree[use].mean()),
        "mean_relative_degree": float((degree[use] / count[use]).mean()),
        "correlation_fitness_neighbour_mean": float(np.corrcoef(f, mean_nb[use])[0, 1]),
        "by_fitness": {
            "bin_edges": edges.tolist(),
            "count": per_bin.tolist(),
            "mean_degree": [None if not np.isfinite(x) else float(x) for x in mean_degree],
            "mean_neighbour_fitness": [None if not np.isfinite(x) else float(x) for x in mean_neighbour],
        },
    }
