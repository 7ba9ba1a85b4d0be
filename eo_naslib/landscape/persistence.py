"""Persistence Pi(N): the share of the top-N% (bottom-N%) cells at the first fidelity that stay
in the top-N% (bottom-N%) set at every later fidelity, and its area under the curve for N <= 25.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError

PERCENTS = np.arange(1, 101)


def set_size(n: int, percent: float) -> int:
    """Cells in a top/bottom-`percent`% set of n cells: ceil(percent/100 * n)."""
    return int(np.ceil(percent / 100.0 * n - 1e-9))


def ranks(values: np.ndarray, top: bool = True) -> np.ndarray:
    """0-based rank of each cell, best first (top) or worst first; ties broken by lower index."""
    order = np.argsort(-values if top else values, kind="stable")
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.arange(len(values))
    return out


def persistence_curve(
    table: np.ndarray, percents: Sequence[float] = PERCENTS, top: bool = True
) -> np.ndarray:
    """(len(fidelities) - 1, len(percents)): row j is Pi(N) through the first j + 2 fidelities.

    `table` is (n cells, fidelities) in the given (increasing budget) order; larger is better.
    The last row is the persistence over the whole list.
    """
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ConfigError(f"persistence needs an (n, >= 2 fidelities) table, got shape {table.shape}")
    r = np.stack([ranks(table[:, j], top) for j in range(table.shape[1])], axis=1)
    worst_so_far = np.maximum.accumulate(r, axis=1)  # in the set through t_j iff this < size
    out = np.empty((table.shape[1] - 1, len(percents)))
    for i, p in enumerate(percents):
        size = set_size(len(table), p)
        out[:, i] = (worst_so_far[:, 1:] < size).sum(axis=0) / size
    return out


def auc(curve: np.ndarray, percents: Sequence[float] = PERCENTS, n_max: float = 25) -> float:
    """Trapezoidal integral of Pi(N) for 1 <= N <= n_max (range 0 .. n_max - 1)."""
    p = np.asarray(percents, dtype=np.float64)
    keep = (p >= 1) & (p <= n_max)
    return float(np.trapezoid(np.asarray(curve)[keep], p[keep]))


def persistence(
    values: Sequence[np.ndarray], fidelities: Sequence[int], maximise: bool = True
) -> dict[str, Any]:
    """Positive and negative persistence over cells known at every fidelity, with Pi(25) and AuC(25)."""
    table = np.stack([np.asarray(v, dtype=np.float64) for v in values], axis=1)
    table = table[np.all(np.isfinite(table), axis=1)]
    if len(table) == 0:
        raise ConfigError(
            f"no cell is known at every fidelity {list(fidelities)}; pick fidelities the benchmark measured"
        )
    table = table if maximise else -table
    record: dict[str, Any] = {
        "fidelities": [int(f) for f in fidelities],
        "cells": len(table),
        "percents": PERCENTS.tolist(),
    }
    for name, top in (("positive", True), ("negative", False)):
        curves = persistence_curve(table, PERCENTS, top)
        record[name] = {
            "curves": {
                f"{fidelities[0]}-{fidelities[j + 1]}": curves[j].tolist() for j in range(len(curves))
            },
            "pi_25": float(curves[-1][PERCENTS == 25][0]),
            "auc_25": auc(curves[-1]),
            "auc_25_normalised": auc(curves[-1]) / 24.0,
        }
    return record
