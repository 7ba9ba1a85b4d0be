"""Local optima: exact vectorised count, best-improvement local search and the birthday estimate.

A cell is a local optimum when it is known and no known neighbour is strictly fitter (ties do
not break optimality, so a plateau of equal cells gives several optima). Unknown (NaN) cells
are never optima and never reached. `optimal_plateaus` counts the same optima plateau by
plateau: a landscape with many equal values (a tree surrogate's predictions) has many optima
cells that a sideways move along equal cells leads out of.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..errors import ConfigError
from .core import Landscape

LN2 = float(np.log(2.0))


def best_neighbour(landscape: Landscape, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fittest known neighbour of each row and its score (-1 and -inf where none is known).

    Among equally fit best neighbours the lowest row is taken (deterministic).
    """
    rows = np.asarray(rows, dtype=np.int64)
    graph = landscape.known_graph
    neighbours, starts = graph.gather(rows)
    has = (graph.indptr[rows + 1] - graph.indptr[rows]) > 0
    best_rows = np.full(len(rows), -1, dtype=np.int64)
    best_scores = np.full(len(rows), -np.inf)
    if len(neighbours) == 0:
        return best_rows, best_scores
    s = landscape.score[neighbours]
    starts_with = starts[has]
    seg_max = np.maximum.reduceat(s, starts_with)
    lengths = np.diff(np.append(starts_with, len(s)))
    position = np.where(s == np.repeat(seg_max, lengths), np.arange(len(s)), len(s))
    first = np.minimum.reduceat(position, starts_with)
    best_scores[has] = seg_max
    best_rows[has] = neighbours[first]
    return best_rows, best_scores


def local_optima_mask(landscape: Landscape) -> np.ndarray:
    """(N,) bool: known cells with no strictly fitter known neighbour (one vectorised pass)."""
    _, best = best_neighbour(landscape, np.arange(len(landscape)))
    return landscape.known & ~(best > landscape.score)


def steepest_successor(landscape: Landscape) -> np.ndarray:
    """(N,) the cell BILS moves to from each cell (itself at a local optimum; -1 if unknown)."""
    best_rows, best = best_neighbour(landscape, np.arange(len(landscape)))
    rows = np.arange(len(landscape))
    successor = np.where(best > landscape.score, best_rows, rows)
    return np.where(landscape.known, successor, -1)


def basins(successor: np.ndarray) -> np.ndarray:
    """(N,) the local optimum BILS reaches from each cell, by pointer jumping (-1 if unknown)."""
    target = successor.copy()
    known = target >= 0
    while True:
        jumped = np.where(known, target[target.clip(0)], -1)
        if np.array_equal(jumped, target):
            return target
        target = jumped


def optimal_plateaus(landscape: Landscape) -> dict[str, int]:
    """Local optima counted by plateau (neutral network) instead of by cell.

    A plateau is a set of known cells of equal fitness that reach each other by moves between
    equally fit neighbours (a strongly connected component of those moves; a connected one on a
    symmetric graph). It is optimal when none of its cells has a strictly fitter known neighbour
    and no move leaves it for an equally fit cell outside it. `count`: optimal plateaus; `cells`:
    the cells in them; `optima_with_equal_neighbour`: cells of `local_optima_mask` with an
    equally fit known neighbour; `optima_off_plateaus`: cells of `local_optima_mask` that are not
    in an optimal plateau (a sideways move leads on to a fitter cell).
    """
    optimum = local_optima_mask(landscape)
    graph = landscape.known_graph
    owner = np.repeat(np.arange(len(graph)), graph.degree)
    equal = landscape.known[owner] & (landscape.score[owner] == landscape.score[graph.indices])
    source, target = owner[equal], graph.indices[equal]
    n = len(graph)
    moves = sparse.csr_matrix((np.ones(len(source), dtype=np.int8), (source, target)), shape=(n, n))
    n_plateaus, plateau = connected_components(moves, directed=True, connection="strong")
    closed = np.ones(n_plateaus, dtype=bool)
    closed[plateau[~optimum]] = False  # a fitter neighbour, or unknown
    closed[plateau[source[plateau[source] != plateau[target]]]] = False  # an equal move out of the plateau
    in_optimal = closed[plateau]
    with_equal = np.zeros(n, dtype=bool)
    with_equal[source] = True
    return {
        "count": int(closed.sum()),
        "cells": int(in_optimal.sum()),
        "optima_with_equal_neighbour": int((optimum & with_equal).sum()),
        "optima_off_plateaus": int((optimum & ~in_optimal).sum()),
    }


def exact_local_optima(landscape: Landscape) -> dict[str, Any]:
    """Exact count over a complete landscape (every cell known: tabular or surrogate), with basins.

    The basin of an optimum is the set of cells BILS leads to it. `effective_number` = 1 / sum p_i^2
    (p_i: basin share) is the number of equally likely optima with the same chance of a repeat,
    which is what the birthday estimate measures. `plateaus` is `optimal_plateaus`.
    """
    if not landscape.complete:
        raise ConfigError(
            f"the exact count needs a value for every cell, {int((~landscape.known).sum())} are unknown; "
            "open the benchmark with surrogate=True or use the birthday estimate"
        )
    successor = steepest_successor(landscape)
    rows = np.flatnonzero(successor == np.arange(len(landscape)))
    _, sizes = np.unique(basins(successor), return_counts=True)
    share = sizes / sizes.sum()
    return {
        "count": len(rows),
        "share": float(len(rows) / len(landscape)),
        "rows": rows,
        "basins": {
            "effective_number": float(1.0 / np.sum(share**2)),
            "largest_share": float(share.max()),
            "median_size": float(np.median(sizes)),
        },
        "plateaus": optimal_plateaus(landscape),
    }


def bils(landscape: Landscape, starts: np.ndarray, max_steps: int = 10_000) -> dict[str, np.ndarray]:
    """Best-improvement (steepest-ascent) local search from many starts at once.

    Each step moves every unfinished run to its fittest neighbour if that is strictly fitter.
    Returns the optimum reached, the steps taken and the fitness improvement of each run.
    """
    current = np.asarray(starts, dtype=np.int64).copy()
    steps = np.zeros(len(current), dtype=np.int64)
    active = np.arange(len(current))
    score = landscape.score
    for _ in range(max_steps):
        if len(active) == 0:
            break
        nxt, best = best_neighbour(landscape, current[active])
        moving = best > score[current[active]]
        current[active[moving]] = nxt[moving]
        steps[active[moving]] += 1
        active = active[moving]
    else:
        raise ConfigError(f"BILS did not converge within max_steps={max_steps}; raise max_steps")
    return {
        "optima": current,
        "steps": steps,
        "improvement": landscape.fitness[current] - landscape.fitness[np.asarray(starts)],
    }


def first_duplicate(optima: np.ndarray) -> int | None:
    """Number of runs up to and including the first that repeats an optimum (None: no repeat)."""
    _, first = np.unique(optima, return_index=True)
    if len(first) == len(optima):
        return None
    seen_before = np.ones(len(optima), dtype=bool)
    seen_before[first] = False
    return int(np.argmax(seen_before)) + 1


def birthday_estimate(k_mean: float, p_duplicate: float = 0.5) -> float:
    """N ~ k^2 / (-2 ln(1 - P_D)); k^2 / (2 ln 2) at P_D = 0.5."""
    return float(k_mean**2 / (-2.0 * np.log1p(-p_duplicate)))


def birthday_local_optima(
    landscape: Landscape, trials: int = 9, runs: int = 200, seed: int = 0
) -> dict[str, Any]:
    """The seeds' Algorithm 2: T trials of M BILS runs from distinct random known starts.

    k_i counts the runs of trial i up to and including the first one that reaches an optimum
    already found in that trial (the birthday problem's "people in the room"); trials without a
    repeat are reported and left out of k_mean. `estimate` is k_mean^2 / (2 ln 2) as in the
    seeds; because k_mean is a mean, not the median first-repeat index, it is biased upwards
    by about (sqrt(pi/2) / sqrt(2 ln 2))^2 = 1.13 for uniform basins, so `estimate_mean_k`
    = 2 k_mean^2 / pi (the unbiased inversion of E[k] = sqrt(pi N / 2)) is reported too.
    Both assume every optimum is equally likely to be reached (unequal basins bias them down)
    and basins much larger than one cell (distinct starts in w-cell basins inflate them by
    w / (w - 1)).
    """
    known_rows = np.flatnonzero(landscape.known)
    if runs > len(known_rows):
        raise ConfigError(f"runs={runs} exceeds the {len(known_rows)} known cells; lower runs")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(trials)]
    starts = np.stack([rng.choice(known_rows, runs, replace=False) for rng in streams])
    result = bils(landscape, starts.ravel())
    optima = result["optima"].reshape(trials, runs)
    per_trial = []
    for t in range(trials):
        k = first_duplicate(optima[t])
        steps = result["steps"].reshape(trials, runs)[t]
        gain = result["improvement"].reshape(trials, runs)[t]
        per_trial.append(
            {
                "first_repeat_k": k,
                "estimate": birthday_estimate(k) if k else None,
                "mean_steps": float(steps.mean()),
                "mean_improvement": float(gain.mean()),
                "distinct_optima": len(np.unique(optima[t])),
            }
        )
    ks = np.array([p["first_repeat_k"] for p in per_trial if p["first_repeat_k"] is not None], dtype=float)
    k_mean = float(ks.mean()) if len(ks) else None
    return {
        "trials": trials,
        "runs": runs,
        "seed": seed,
        "per_trial": per_trial,
        "failed_trials": int(trials - len(ks)),
        "k_mean": k_mean,
        "estimate": birthday_estimate(k_mean) if k_mean else None,
        "estimate_mean_k": 2 * k_mean**2 / np.pi if k_mean else None,
        "mean_steps": float(result["steps"].mean()),
        "mean_improvement": float(result["improvement"].mean()),
        "distinct_optima": len(np.unique(optima)),
    }


def nearest_neighbour_proxy(
    fitness: np.ndarray, bits: np.ndarray, n_neighbours: int = 10, maximise: bool = True
) -> dict[str, Any]:
    """Sampled cells fitter than all their `n_neighbours` nearest sampled cells (Hamming).

    `fitness` (n,) and `bits` (n, 289) describe the sample; ties in distance are broken by
    sample order (stable sort), ties in fitness do not break optimality.
    """
    f = np.asarray(fitness, dtype=np.float64) * (1 if maximise else -1)
    if len(f) <= n_neighbours:
        raise ConfigError(f"the proxy needs more than n_neighbours={n_neighbours} samples, got {len(f)}")
    b = bits.astype(np.int32)
    dist = b.sum(1)[:, None] + b.sum(1)[None, :] - 2 * b @ b.T
    np.fill_diagonal(dist, np.iinfo(np.int32).max)
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :n_neighbours]
    optimum = np.all(f[:, None] >= f[nearest], axis=1)
    return {
        "samples": len(f),
        "n_neighbours": n_neighbours,
        "count": int(optimum.sum()),
        "share": float(optimum.mean()),
    }


def ratio_estimate(proxy_target: int, proxy_reference: int, reference_optima: float) -> dict[str, float]:
    """The seeds' So2Sat method: N_target = (proxy_target / proxy_reference) * N_reference."""
    if proxy_reference <= 0:
        raise ConfigError(
            "the reference landscape's proxy count is 0; the ratio is undefined, use more samples"
        )
    ratio = proxy_target / proxy_reference
    return {"ratio": ratio, "reference_optima": float(reference_optima), "estimate": ratio * reference_optima}
