"""Summary tables and Mann-Whitney U tests between configurations (scipy)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu


def summary_table(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (configuration, seed, evaluation count) with every score (NaN where a run has
    none: no feasible cell under constraints); `final` marks the row at the run's full budget."""
    rows, scored = [], set()
    for record in records:
        last = record["scores"][-1]["evaluations"]
        for scores in record["scores"]:
            scored.update(scores)
            rows.append(
                {
                    "configuration": record["configuration"],
                    "seed": record["seed"],
                    "final": scores["evaluations"] == last,
                    "predicted_share": float(np.mean(record["history"]["predicted"][: scores["evaluations"]])),
                    **scores,
                }
            )
    frame = pd.DataFrame(rows)
    for column in scored:  # JSON null (a NaN score) -> NaN
        frame[column] = frame[column].astype(float)
    return frame.sort_values(["configuration", "seed", "evaluations"], ignore_index=True)


def _sample(summary: pd.DataFrame, configuration: str, evaluations: int | None) -> pd.DataFrame:
    mine = summary[summary.configuration == configuration]
    return mine[mine.final] if evaluations is None else mine[mine.evaluations == evaluations]


def mann_whitney(
    summary: pd.DataFrame, comparisons: Sequence[tuple[str, str]], metrics: Sequence[str], budgets: Sequence[int] = ()
) -> pd.DataFrame:
    """Two-sided Mann-Whitney U tests of each metric between the configurations of each pair:
    at each run's full budget (`at` = "final": the equal-cost comparison when budgets follow seed
    000's rule) and at each common evaluation count in `budgets`. NaN scores (runs without a
    feasible cell) are left out; a metric with no score on one side is not tested."""
    out = []
    for a, b in comparisons:
        for at in [None, *budgets]:
            left, right = _sample(summary, a, at), _sample(summary, b, at)
            if len(left) == 0 or len(right) == 0:
                continue
            for metric in metrics:
                x, y = left[metric].to_numpy(dtype=float), right[metric].to_numpy(dtype=float)
                x, y = x[~np.isnan(x)], y[~np.isnan(y)]
                if len(x) == 0 or len(y) == 0:
                    continue
                test = mannwhitneyu(x, y, alternative="two-sided")
                out.append(
                    {
                        "a": a,
                        "b": b,
                        "at": "final" if at is None else str(at),
                        "evaluations_a": int(left.evaluations.iloc[0]),
                        "evaluations_b": int(right.evaluations.iloc[0]),
                        "metric": metric,
                        "median_a": float(np.median(x)),
                        "median_b": float(np.median(y)),
                        "n_a": len(x),
                        "n_b": len(y),
                        "U": float(test.statistic),
                        "p": float(test.pvalue),
                    }
                )
    return pd.DataFrame(out)


def vargha_delaney_a12(x: Sequence[float], y: Sequence[float]) -> float:
    """Vargha-Delaney A12: the probability that a value of `x` exceeds one of `y` (ties count
    half). 0.5 is no effect; 0.56 / 0.64 / 0.71 are the usual small / medium / large thresholds."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) == 0 or len(y) == 0:
        raise ValueError("A12 needs two non-empty samples")
    greater = (x[:, None] > y[None, :]).sum()
    ties = (x[:, None] == y[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(x) * len(y)))


def a12_magnitude(a12: float) -> str:
    """Vargha and Delaney's label of |A12 - 0.5|: negligible, small, medium or large."""
    distance = abs(a12 - 0.5)
    return "negligible" if distance < 0.06 else "small" if distance < 0.14 else "medium" if distance < 0.21 else "large"


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1), in input order."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order]).clip(max=1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def with_effect_sizes(summary: pd.DataFrame, tests: pd.DataFrame, budgets: Sequence[int] = ()) -> pd.DataFrame:
    """`tests` (from `mann_whitney`) with columns `A12` (of a over b), its magnitude, and
    `p_holm`: Holm's correction over all the tests of the same metric."""
    if tests.empty:
        return tests.assign(A12=[], magnitude=[], p_holm=[])
    out = tests.copy()
    a12 = []
    for record in out.itertuples(index=False):
        at = None if record.at == "final" else int(record.at)
        x = _sample(summary, record.a, at)[record.metric].to_numpy()
        y = _sample(summary, record.b, at)[record.metric].to_numpy()
        a12.append(vargha_delaney_a12(x, y))
    out["A12"] = a12
    out["magnitude"] = [a12_magnitude(a) for a in a12]
    out["p_holm"] = np.nan
    for _, group in out.groupby("metric"):
        out.loc[group.index, "p_holm"] = holm(group.p.to_numpy())
    return out
