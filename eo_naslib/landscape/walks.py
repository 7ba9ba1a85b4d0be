"""Random walks over the neighbour table, lag-1 autocorrelation and ruggedness tau = 1 / mean rho(1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from .core import Landscape


def random_walks(landscape: Landscape, n_walks: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    """`n_walks` walks of `steps` moves, each from its own stream of `SeedSequence(seed).spawn`.

    A walk starts at a uniformly random known cell and steps to a uniformly random known
    neighbour (all of them when the landscape is complete). On a tabular-only landscape a walk
    that reaches a cell with no known neighbour stops there, so it may be shorter than
    `steps + 1` cells. Returns the rows visited by each walk.
    """
    if n_walks < 1 or steps < 1:
        raise ConfigError(f"need n_walks >= 1 and steps >= 1, got {n_walks} and {steps}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_walks)]
    known_rows = np.flatnonzero(landscape.known)
    starts = np.array([known_rows[rng.integers(len(known_rows))] for rng in streams])
    draws = np.stack([rng.random(steps) for rng in streams])  # (n_walks, steps) uniforms
    graph = landscape.known_graph
    paths = np.full((n_walks, steps + 1), -1, dtype=np.int64)
    paths[:, 0] = current = starts
    for t in range(steps):
        alive = current >= 0
        row = current.clip(0)
        degree = graph.indptr[row + 1] - graph.indptr[row]
        pick = graph.indptr[row] + (draws[:, t] * degree).astype(np.int64)
        current = np.where(alive & (degree > 0), graph.indices[pick.clip(max=len(graph.indices) - 1)], -1)
        paths[:, t + 1] = current
    return [p[p >= 0] for p in paths]


def autocorrelation(series: np.ndarray, lag: int = 1) -> float:
    """rho(k) = E[(f_i - mean)(f_{i+k} - mean)] / Var(f) (the seeds' Eq. 4).

    The expectation is over the len - k pairs, the mean and (population) variance over the whole
    series. NaN for a constant series or one shorter than lag + 2.
    """
    f = np.asarray(series, dtype=np.float64)
    if len(f) < lag + 2:
        return float("nan")
    dev = f - f.mean()
    var = np.mean(dev**2)
    if var == 0:
        return float("nan")
    return float(np.mean(dev[:-lag] * dev[lag:]) / var)


def tau_meaning(mean_rho: float) -> str | None:
    """What a tau that is not a correlation length means (None when it is one: rho(1) > 0)."""
    if mean_rho < 0:
        return (
            "negative: neighbours' fitness is anti-correlated (mean rho(1) < 0), so tau is no correlation "
            "length; read the landscape as maximally rugged (each step tends to reverse the last)"
        )
    if mean_rho == 0:
        return "infinite: neighbours' fitness is uncorrelated (mean rho(1) = 0), a landscape as rugged as noise"
    return None


def ruggedness(series: Sequence[np.ndarray]) -> dict[str, Any]:
    """Per-walk rho(1) and tau_i = 1 / rho_i(1), and tau = 1 / mean rho(1) over the walks (seeds)."""
    rho = np.array([autocorrelation(s) for s in series])
    valid = np.isfinite(rho)
    if not valid.any():
        raise ConfigError("no walk has a defined rho(1) (all too short or constant); use longer walks")
    mean_rho = float(rho[valid].mean())
    with np.errstate(divide="ignore"):
        tau_i = 1.0 / rho
    return {
        "walks": len(rho),
        "walks_used": int(valid.sum()),
        "lengths": [len(s) for s in series],
        "rho1": rho.tolist(),
        "mean_rho1": mean_rho,
        "tau": 1.0 / mean_rho if mean_rho != 0 else float("inf"),
        "tau_flag": tau_meaning(mean_rho),
        "tau_per_walk": tau_i.tolist(),
        "tau_per_walk_median": float(np.median(tau_i[valid])),
        "rho1_quantiles": {
            q: float(v) for q, v in zip(("0.25", "0.5", "0.75"), np.quantile(rho[valid], [0.25, 0.5, 0.75]))
        },
    }


def walk_fitness(landscape: Landscape, walks: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Fitness along each walk (rows); unknown cells are dropped."""
    out = []
    for rows in walks:
        f = landscape.fitness[np.asarray(rows, dtype=np.int64)]
        out.append(f[np.isfinite(f)])
    return out


def recorded_walks(space: Any, walks: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Rows of recorded walks given as lists of NB101 hashes (e.g. `benchmark.walks()`)."""
    return [space.indices(list(w)) for w in walks]
