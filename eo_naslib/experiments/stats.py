"""Summary tables and Mann-Whitney U tests between configurations (scipy)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu


def summary_table(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (configuration, seed, evaluation count) with every score; `final` marks the
    row at the run's full budget."""
    rows = []
    for record in records:
        last = record["scores"][-1]["evaluations"]
        for scores in record["scores"]:
            rows.append(
                {
                    "configuration": record["configuration"],
                    "seed": record["seed"],
                    "final": scores["evaluations"] == last,
                    "predicted_share": float(np.mean(record["history"]["predicted"][: scores["evaluations"]])),
                    **scores,
                }
            )
    return pd.DataFrame(rows).sort_values(["configuration", "seed", "evaluations"], ignore_index=True)


def _sample(summary: pd.DataFrame, configuration: str, evaluations: int | None) -> pd.DataFrame:
    mine = summary[summary.configuration == configuration]
    return mine[mine.final] if evaluations is None else mine[mine.evaluations == evaluations]


def mann_whitney(
    summary: pd.DataFrame, comparisons: Sequence[tuple[str, str]], metrics: Sequence[str], budgets: Sequence[int] = ()
) -> pd.DataFrame:
    """Two-sided Mann-Whitney U tests of each metric between the configurations of each pair:
    at each run's full budget (`at` = "final": the equal-cost comparison when budgets follow seed
    000's rule) and at each common evaluation count in `budgets`."""
    out = []
    for a, b in comparisons:
        for at in [None, *budgets]:
            left, right = _sample(summary, a, at), _sample(summary, b, at)
            if len(left) == 0 or len(right) == 0:
                continue
            for metric in metrics:
                x, y = left[metric].to_numpy(), right[metric].to_numpy()
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
