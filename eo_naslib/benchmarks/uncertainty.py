"""Calibrated uncertainty of a completion surrogate: a model of its error size, scaled by conformal quantiles.

Locally weighted split-conformal prediction (Lei et al. 2018, "Distribution-free predictive
inference for regression", section 5.2), cross-fitted on the surrogate's own CV folds and written
with numpy (MAPIE is not a dependency):

1. the surrogate's out-of-fold predictions give a residual r_i for every measured cell;
2. a small XGBoost *scale model* learns |r| from the cell features, so s(x) says how far off the
   surrogate tends to be near x (a quantile-style model of the error, not of the value);
3. the normalised scores |r_i| / s_-k(x_i), with s_-k fitted without cell i's fold, have the
   conformal quantiles q_a (the ceil((n+1)a)-th smallest score) at a = 0.6827, 0.80, 0.95;
4. std(x) = q_0.6827 * s(x) (one "sigma"), and the a-interval is value +- (q_a / q_0.6827) * std(x).

Held-out coverage (reported by `eo-naslib data info`): each fold's cells checked against the
quantiles of the other folds' scores. The guarantee is for cells exchangeable with the measured
ones; cells far from every measured cell may be covered less often.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb

from .results import LEVELS

#: the level whose half-width is called the standard deviation (a normal's one-sigma share)
STD_LEVEL = 0.6827
#: the scale model: small and fast (it predicts every cell of the space once per column)
SCALE_PARAMS: dict[str, Any] = {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1, "subsample": 0.8, "tree_method": "hist"}
#: scale predictions are kept above this share of the median absolute residual (no zero-width intervals)
SCALE_FLOOR = 0.1
METHOD = "locally weighted split-conformal on the surrogate's CV folds (scale model: XGBoost on |out-of-fold residual|)"


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n + 1) * level)-th smallest score (the largest one when that exceeds n)."""
    ordered = np.sort(np.asarray(scores, dtype=float))
    rank = min(len(ordered), int(np.ceil((len(ordered) + 1) * level)))
    return float(ordered[rank - 1])


def fit_scale(X: np.ndarray, residuals: np.ndarray, seed: int, n_jobs: int = 1) -> xgb.XGBRegressor:
    """The scale model: XGBoost of |residual| on the features."""
    model = xgb.XGBRegressor(**SCALE_PARAMS, random_state=seed, n_jobs=n_jobs)
    return model.fit(X, np.abs(residuals))


@dataclass
class Uncertainty:
    """A column's fitted scale model and its conformal quantiles."""

    scale_model: xgb.XGBRegressor
    floor: float
    quantiles: dict[float, float]  # level -> q_level (STD_LEVEL and LEVELS)
    coverage: dict[float, float]  # level -> share of held-out cells inside the level's interval

    def std(self, X: np.ndarray) -> np.ndarray:
        """Calibrated standard deviation of the surrogate's prediction at each row of X."""
        return self.quantiles[STD_LEVEL] * np.maximum(self.scale_model.predict(X), self.floor)

    def multipliers(self) -> dict[float, float]:
        """Half-width of each level's interval in standard deviations."""
        return {level: self.quantiles[level] / self.quantiles[STD_LEVEL] for level in LEVELS}

    def record(self) -> dict[str, Any]:
        """The JSON-able description kept in the store's manifest."""
        return {
            "method": METHOD,
            "scale_params": SCALE_PARAMS,
            "std_level": STD_LEVEL,
            "interval_std_multiplier": {str(k): v for k, v in self.multipliers().items()},
            "held_out_coverage": {str(k): v for k, v in self.coverage.items()},
        }


def calibrate(X: np.ndarray, y: np.ndarray, predicted: np.ndarray, fold: np.ndarray, seed: int = 0, n_jobs: int = 1) -> Uncertainty:
    """Fit the scale model and its conformal quantiles from out-of-fold `predicted` values of `y`.

    `fold[i]` is the fold whose model did not see sample i (see `surrogate.out_of_fold`).
    """
    residuals = np.asarray(y, dtype=float) - predicted
    floor = max(SCALE_FLOOR * float(np.median(np.abs(residuals))), float(np.finfo(np.float32).tiny))
    scores = np.empty(len(y))
    folds = np.unique(fold)
    for k in folds:
        held, rest = fold == k, fold != k
        scale = fit_scale(X[rest], residuals[rest], seed, n_jobs).predict(X[held])
        scores[held] = np.abs(residuals[held]) / np.maximum(scale, floor)
    coverage = {
        level: float(
            sum(np.sum(scores[fold == k] <= conformal_quantile(scores[fold != k], level)) for k in folds) / len(scores)
        )
        for level in LEVELS
    }
    quantiles = {level: conformal_quantile(scores, level) for level in (STD_LEVEL, *LEVELS)}
    return Uncertainty(fit_scale(X, residuals, seed, n_jobs), floor, quantiles, coverage)
