"""Fitness-distance correlation: distance of every known cell to the global optimum."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from scipy.sparse.csgraph import shortest_path

from .core import Landscape
from .graph import NeighbourGraph

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def global_optimum(landscape: Landscape) -> int:
    """Row of the fittest known cell (ties: the lowest row)."""
    return int(np.argmax(landscape.score))


def hamming_distances(bits: np.ndarray, target: int) -> np.ndarray:
    """Hamming distance of each row of a 0/1 matrix (e.g. the 289-bit encoding) to row `target`."""
    packed = np.packbits(bits.astype(bool), axis=1)
    return _POPCOUNT[packed ^ packed[target]].sum(axis=1).astype(np.int64)


def graph_distances(graph: NeighbourGraph, target: int) -> np.ndarray:
    """Fewest moves from each cell to `target` along the graph (-1: unreachable).

    With a directed graph this is the shortest path on the reversed graph, i.e. the number of
    local-search steps from a cell to the optimum; with the symmetric graph it is the edit distance.
    """
    dist = shortest_path(graph.to_sparse().T.tocsr(), method="D", unweighted=True, indices=target)
    return np.where(np.isfinite(dist), dist, -1).astype(np.int64)


def fdc(landscape: Landscape, distances: np.ndarray, sample: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Correlation and slope of fitness vs distance over known, reachable cells.

    `slope` is the least-squares change of fitness per unit of distance; `gain_per_unit` is the
    fitness gained per unit of distance travelled towards the optimum (-slope when maximising).
    The scatter is given per distance (count, mean, std, min, max) and as a seeded sample.
    """
    mask = landscape.known & (distances >= 0)
    d, f = distances[mask].astype(np.float64), landscape.fitness[mask]
    fit = stats.linregress(d, f)
    levels, inverse, counts = np.unique(d, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, f)
    means = sums / counts
    sq = np.bincount(inverse, (f - means[inverse]) ** 2)
    mins = np.full(len(levels), np.inf)
    maxs = np.full(len(levels), -np.inf)
    np.minimum.at(mins, inverse, f)
    np.maximum.at(maxs, inverse, f)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(d), min(sample, len(d)), replace=False)
    return {
        "cells": len(d),
        "unreachable": int((landscape.known & (distances < 0)).sum()),
        "correlation": float(fit.rvalue),
        "slope": float(fit.slope),
        "intercept": float(fit.intercept),
        "gain_per_unit": float(-fit.slope if landscape.maximise else fit.slope),
        "by_distance": {
            "distance": levels.astype(int).tolist(),
            "count": counts.tolist(),
            "mean": means.tolist(),
            "std": np.sqrt(sq / counts).tolist(),
            "min": mins.tolist(),
            "max": maxs.tolist(),
        },
        "sample": {"distance": d[picked].astype(int).tolist(), "fitness": f[picked].tolist()},
    }
