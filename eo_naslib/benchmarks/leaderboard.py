"""The surrogate leaderboard: model families x feature sets x training sizes, by nested cross-validation.

Every entrant sees the same outer folds (seeded `KFold`, the completion surrogate's 3 by default):
for each fold and training size it is fitted on that many cells drawn (seeded) from the other
folds, with its own hyperparameter choice inside that training part (nested: the XGBoost rows run
`tune_regressor`'s inner CV), and predicts the held-out fold. The pooled held-out predictions are
scored (Spearman, Kendall, RMSE, precision of the predicted top 10%) with percentile bootstrap
confidence intervals over cells, and each entrant is compared with the current surrogate
(XGBoost on the one-hot features) by a paired bootstrap of the Spearman difference: a "win" is a
difference whose interval lies above 0, i.e. larger than the cross-validation noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb
from scipy import stats
from sklearn.ensemble import BaggingRegressor, HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..errors import ConfigError
from ..space import CellTable
from .features import FEATURE_SETS
from .metrics import METRICS
from .store import BenchmarkStore
from .surrogate import DEFAULT_PARAMS, tune_regressor

#: the entrant every other one is compared with: the store's surrogate
BASELINE = ("xgboost", "one-hot")
TOP_SHARE = 0.1


class NestedXGBoost:
    """The completion surrogate as the store fits it: `tune_regressor`'s grid chosen by inner CV."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.model: xgb.XGBRegressor | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> NestedXGBoost:
        self.model = tune_regressor(X, y, seed=self.seed)[0]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(X)


def _bagged_xgboost(seed: int) -> BaggingRegressor:
    member = xgb.XGBRegressor(**{**DEFAULT_PARAMS, "max_depth": 4, "learning_rate": 0.05}, random_state=seed, n_jobs=1)
    return BaggingRegressor(member, n_estimators=5, random_state=seed)


def _gaussian_process(seed: int) -> Any:
    kernel = ConstantKernel() * RBF(length_scale=1.0) + WhiteKernel()
    return make_pipeline(StandardScaler(), GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed))


#: model family -> factory(seed)
MODELS: dict[str, Callable[[int], Any]] = {
    "xgboost": NestedXGBoost,
    "xgboost-ensemble": _bagged_xgboost,
    "random-forest": lambda seed: RandomForestRegressor(200, min_samples_leaf=2, max_features=0.5, random_state=seed, n_jobs=1),
    "hist-gradient-boosting": lambda seed: HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=seed),
    "gaussian-process": _gaussian_process,
}


@dataclass(frozen=True)
class Entrant:
    """One row family of the leaderboard; sizes above `max_train` are skipped (slow models)."""

    model: str
    features: str
    max_train: int | None = None

    @property
    def name(self) -> str:
        return f"{self.model} / {self.features}"


ENTRANTS = (
    Entrant("xgboost", "one-hot"),
    Entrant("xgboost", "path", 2_000),
    Entrant("xgboost", "graph-stats", 2_000),
    Entrant("xgboost", "one-hot+graph-stats", 2_000),
    Entrant("xgboost-ensemble", "one-hot"),
    Entrant("random-forest", "one-hot", 2_000),
    Entrant("random-forest", "graph-stats", 2_000),
    Entrant("hist-gradient-boosting", "one-hot"),
    Entrant("gaussian-process", "graph-stats", 2_000),
)


def top_precision(predicted: np.ndarray, truth: np.ndarray, maximise: bool, share: float = TOP_SHARE) -> float:
    """Share of the predicted best `share` of cells that are among the truly best `share`."""
    k = max(1, int(round(share * len(truth))))
    sign = -1.0 if maximise else 1.0
    best_predicted = np.argsort(sign * predicted, kind="stable")[:k]
    best_true = np.argsort(sign * truth, kind="stable")[:k]
    return len(np.intersect1d(best_predicted, best_true)) / k


def scores(predicted: np.ndarray, truth: np.ndarray, maximise: bool) -> dict[str, float]:
    return {
        "spearman": float(stats.spearmanr(predicted, truth).statistic),
        "kendall": float(stats.kendalltau(predicted, truth).statistic),
        "rmse": float(np.sqrt(np.mean((predicted - truth) ** 2))),
        "top10_precision": top_precision(predicted, truth, maximise),
    }


def bootstrap(
    predicted: np.ndarray, truth: np.ndarray, maximise: bool, baseline: np.ndarray, n_boot: int, seed: int
) -> dict[str, Any]:
    """Point scores, 95% percentile CIs over resampled cells, and the paired Spearman difference to `baseline`."""
    rng = np.random.default_rng(seed)
    samples, differences = [], []
    for _ in range(n_boot):
        pick = rng.integers(0, len(truth), len(truth))
        samples.append(scores(predicted[pick], truth[pick], maximise))
        differences.append(samples[-1]["spearman"] - float(stats.spearmanr(baseline[pick], truth[pick]).statistic))
    point = scores(predicted, truth, maximise)
    result: dict[str, Any] = {}
    for key, value in point.items():
        low, high = np.percentile([s[key] for s in samples], [2.5, 97.5])
        result[key] = {"value": value, "ci95": [float(low), float(high)]}
    low, high = np.percentile(differences, [2.5, 97.5])
    difference = point["spearman"] - float(stats.spearmanr(baseline, truth).statistic)
    result["spearman_minus_baseline"] = {"value": difference, "ci95": [float(low), float(high)], "win": bool(low > 0)}
    return result


def measured_targets(store: BenchmarkStore, space: CellTable, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(space rows, mean of the measured repeats) of the cells with a measured `column`."""
    if column not in store.columns:
        raise ConfigError(f"benchmark {store.name!r} has no column {column!r}; it has {store.column_keys()}")
    values = store.columns[column]
    known = ~np.isnan(values).all(axis=1)
    return space.indices(store.hashes)[known], np.nanmean(values[known], axis=1)


def run_column(
    store: BenchmarkStore,
    space: CellTable,
    column: str,
    sizes: Sequence[int | None],
    entrants: Sequence[Entrant] = ENTRANTS,
    n_folds: int = 3,
    n_boot: int = 200,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Leaderboard rows of one metric column: one per entrant and training size (None = all of the other folds).

    Every fit runs on one thread (OpenMP and BLAS limited too), so CPU seconds compare models fairly.
    """
    with threadpool_limits(1):
        return _run_column(store, space, column, sizes, entrants, n_folds, n_boot, seed)


def _run_column(
    store: BenchmarkStore,
    space: CellTable,
    column: str,
    sizes: Sequence[int | None],
    entrants: Sequence[Entrant],
    n_folds: int,
    n_boot: int,
    seed: int,
) -> list[dict[str, Any]]:
    rows, truth = measured_targets(store, space, column)
    maximise = METRICS[column.split("@")[0]].maximise if column.split("@")[0] in METRICS else True
    features = {name: FEATURE_SETS[name](space, rows) for name in {e.features for e in entrants}}
    folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(rows))
    out: list[dict[str, Any]] = []
    for size in sizes:
        predictions: dict[Entrant, np.ndarray] = {}
        cost: dict[Entrant, float] = {}
        for entrant in entrants:
            if entrant.max_train is not None and size is not None and size > entrant.max_train:
                continue
            predicted, began = np.empty(len(truth)), time.process_time()
            for train, test in folds:
                if size is not None and size < len(train):
                    train = np.random.default_rng(seed).permutation(train)[:size]
                model = MODELS[entrant.model](seed).fit(features[entrant.features][train], truth[train])
                predicted[test] = model.predict(features[entrant.features][test])
            predictions[entrant], cost[entrant] = predicted, time.process_time() - began
        baseline = predictions[next(e for e in predictions if (e.model, e.features) == BASELINE)]
        for entrant, predicted in predictions.items():
            per_fold = [float(stats.spearmanr(predicted[test], truth[test]).statistic) for _, test in folds]
            out.append(
                {
                    "column": column,
                    "model": entrant.model,
                    "features": entrant.features,
                    "n_train": size if size is not None else int(np.mean([len(t) for t, _ in folds])),
                    "n_test": len(truth),
                    "cpu_s": cost[entrant],
                    "fold_spearman_std": float(np.std(per_fold, ddof=1)),
                    **bootstrap(predicted, truth, maximise, baseline, n_boot, seed),
                }
            )
    return out


def noise_ceiling(store: BenchmarkStore, space: CellTable, a: str, b: str, n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """Spearman between two measured columns of the same trained networks (e.g. val vs test accuracy), with a CI."""
    rows_a, values_a = measured_targets(store, space, a)
    rows_b, values_b = measured_targets(store, space, b)
    common, ia, ib = np.intersect1d(rows_a, rows_b, return_indices=True)
    x, y = values_a[ia], values_b[ib]
    rng = np.random.default_rng(seed)
    picks = [rng.integers(0, len(x), len(x)) for _ in range(n_boot)]
    boot = [float(stats.spearmanr(x[p], y[p]).statistic) for p in picks]
    return {
        "columns": [a, b],
        "n_cells": len(common),
        "spearman": float(stats.spearmanr(x, y).statistic),
        "ci95": [float(v) for v in np.percentile(boot, [2.5, 97.5])],
    }


def winners(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per column, at its largest training size: the entrant with the largest Spearman among those
    that beat the baseline beyond the noise (a winning interval), else the baseline (the cheaper on ties)."""
    chosen: dict[str, dict[str, Any]] = {}
    for column in dict.fromkeys(r["column"] for r in rows):
        largest = max(r["n_train"] for r in rows if r["column"] == column)
        at_size = [r for r in rows if r["column"] == column and r["n_train"] == largest]
        wins = [r for r in at_size if r["spearman_minus_baseline"]["win"]]
        best = max(wins, key=lambda r: r["spearman"]["value"]) if wins else next(
            r for r in at_size if (r["model"], r["features"]) == BASELINE
        )
        chosen[column] = {"model": best["model"], "features": best["features"], "n_train": largest, "beats_baseline": bool(wins)}
    return chosen


def _cell(score: dict[str, Any], digits: int = 3) -> str:
    low, high = score["ci95"]
    return f"{score['value']:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The leaderboard as a Markdown table (values with their 95% bootstrap intervals)."""
    lines = [
        "| column | n_train | model | features | Spearman | Kendall | RMSE | top-10% precision | Δ Spearman vs XGBoost/one-hot | fold std | CPU s |",
        "|---|---:|---|---|---|---|---|---|---|---:|---:|",
    ]
    for r in rows:
        d = r["spearman_minus_baseline"]
        delta = f"{d['value']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" + (" win" if d["win"] else "")
        lines.append(
            f"| {r['column']} | {r['n_train']:,} | {r['model']} | {r['features']} | {_cell(r['spearman'])} | "
            f"{_cell(r['kendall'])} | {r['rmse']['value']:.4g} | {_cell(r['top10_precision'], 2)} | {delta} | "
            f"{r['fold_spearman_std']:.3f} | {r['cpu_s']:.1f} |"
        )
    return "\n".join(lines)
