"""XGBoost surrogates on cell features: one recipe for benchmark completion and search initialisers.

`fit_regressor` fits with fixed, fast defaults (the data-centric initialiser); `tune_regressor`
chooses hyperparameters by k-fold cross-validation with a fixed seed and reports out-of-fold
RMSE, Spearman and Kendall tau (benchmark completion, shown by `eo-naslib data info`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import xgboost as xgb
from scipy import stats
from sklearn.model_selection import KFold

from ..space import CellTable

#: the encoding surrogates read, plus op counts and edge count as extra columns
FEATURE_ENCODING = "adjacency_one_hot"

DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "max_depth": 6,
    "learning_rate": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "tree_method": "hist",
}

#: the cross-validated grid of `tune_regressor` (on top of DEFAULT_PARAMS)
TUNING_GRID: dict[str, list[Any]] = {"max_depth": [4, 8], "learning_rate": [0.05, 0.1]}


_ALL_FEATURES: WeakKeyDictionary[CellTable, np.ndarray] = WeakKeyDictionary()


def cell_features(space: CellTable, rows: np.ndarray | None = None) -> np.ndarray:
    """(n, 40) float32 features of `space` rows: NASLib's adjacency one-hot, op counts, edges.

    The features of the whole space are computed once per process and shared (read-only).
    """
    if rows is not None:
        return _features(space.encode(FEATURE_ENCODING, rows))
    if space not in _ALL_FEATURES:
        features = _features(space.encode(FEATURE_ENCODING))
        features.flags.writeable = False
        _ALL_FEATURES[space] = features
    return _ALL_FEATURES[space]


def _features(one_hot: np.ndarray) -> np.ndarray:
    one_hot = one_hot.astype(np.float32)
    n_edges = one_hot[:, :21].sum(axis=1, keepdims=True)
    op_counts = one_hot[:, 21:].reshape(len(one_hot), 5, 3).sum(axis=1)
    return np.concatenate([one_hot, op_counts, n_edges], axis=1)


def fit_regressor(X: np.ndarray, y: np.ndarray, seed: int = 0, n_jobs: int = 1, **params: Any) -> xgb.XGBRegressor:
    """An XGBoost regressor fitted on (X, y) with DEFAULT_PARAMS overridden by `params`.

    One thread by default: small fits are faster so, and parallel workers do not oversubscribe.
    """
    model = xgb.XGBRegressor(**{**DEFAULT_PARAMS, **params}, random_state=seed, n_jobs=n_jobs)
    return model.fit(X, y)


@dataclass(frozen=True)
class CVScores:
    """Out-of-fold quality of a surrogate."""

    rmse: float
    spearman: float
    kendall: float
    n_train: int
    n_folds: int

    def as_dict(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in ("rmse", "spearman", "kendall", "n_train", "n_folds")}


def out_of_fold(X: np.ndarray, y: np.ndarray, params: dict[str, Any], seed: int = 0, n_folds: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(out-of-fold prediction of every sample, its fold number) over seeded shuffled K folds."""
    predicted = np.empty(len(y), dtype=float)
    fold = np.empty(len(y), dtype=np.int64)
    for k, (train, test) in enumerate(KFold(n_folds, shuffle=True, random_state=seed).split(X)):
        predicted[test] = fit_regressor(X[train], y[train], seed, **params).predict(X[test])
        fold[test] = k
    return predicted, fold


def scores_of(predicted: np.ndarray, y: np.ndarray, n_folds: int) -> CVScores:
    """RMSE, Spearman rho and Kendall tau of out-of-fold predictions."""
    return CVScores(
        rmse=float(np.sqrt(np.mean((predicted - y) ** 2))),
        spearman=float(stats.spearmanr(predicted, y).statistic),
        kendall=float(stats.kendalltau(predicted, y).statistic),
        n_train=len(y),
        n_folds=n_folds,
    )


def cross_validate(X: np.ndarray, y: np.ndarray, params: dict[str, Any], seed: int = 0, n_folds: int = 3) -> CVScores:
    """Out-of-fold predictions of every sample, scored as RMSE, Spearman rho and Kendall tau."""
    return scores_of(out_of_fold(X, y, params, seed, n_folds)[0], y, n_folds)


def tune_regressor(
    X: np.ndarray, y: np.ndarray, seed: int = 0, n_folds: int = 3
) -> tuple[xgb.XGBRegressor, dict[str, Any], CVScores]:
    """Pick TUNING_GRID's best (lowest CV RMSE) parameters; return the model refitted on all data."""
    grid = [dict(zip(TUNING_GRID, values)) for values in product(*TUNING_GRID.values())]
    scored = [(cross_validate(X, y, params, seed, n_folds), params) for params in grid]
    scores, best = min(scored, key=lambda pair: pair[0].rmse)
    return fit_regressor(X, y, seed, **best), best, scores
