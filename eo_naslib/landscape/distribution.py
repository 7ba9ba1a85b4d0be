"""Fitness distribution: moments, quantiles and Beta / Weibull / Log-normal fits (scipy.stats)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..errors import ConfigError

QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
#: name -> (scipy distribution, fixed parameters); Weibull and Log-normal are anchored at 0.
FAMILIES = {
    "beta": (stats.beta, {"floc": 0.0, "fscale": 1.0}),
    "weibull": (stats.weibull_min, {"floc": 0.0}),
    "lognormal": (stats.lognorm, {"floc": 0.0}),
}


def summary(values: np.ndarray) -> dict[str, Any]:
    """Count, mean, (sample) variance, std and quantiles of the known values."""
    x = _known(values)
    return {
        "count": len(x),
        "mean": float(x.mean()),
        "variance": float(x.var(ddof=1)) if len(x) > 1 else 0.0,
        "std": float(x.std(ddof=1)) if len(x) > 1 else 0.0,
        "quantiles": {f"{q:g}": float(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))},
    }


def fit_distributions(values: np.ndarray, max_points: int = 50_000, seed: int = 0) -> dict[str, Any]:
    """Maximum-likelihood fits with log-likelihood, AIC = 2k - 2LL and BIC = k ln n - 2LL.

    Beta is fitted on [0, 1] (accuracies; skipped for values outside (0, 1)), Weibull and
    Log-normal with location 0 (skipped unless all values are > 0); k counts the free
    parameters (2 each). Above `max_points` values a seeded uniform subsample is fitted.
    """
    x = _known(values)
    if len(x) > max_points:
        x = np.random.default_rng(seed).choice(x, max_points, replace=False)
    fits: dict[str, Any] = {"n": len(x)}
    for name, (dist, fixed) in FAMILIES.items():
        lo, hi = (0.0, 1.0) if name == "beta" else (0.0, np.inf)
        if x.min() <= lo or x.max() >= hi:
            fits[name] = {"skipped": f"values outside the support ({lo}, {hi})"}
            continue
        params = dist.fit(x, **fixed)
        ll = float(dist.logpdf(x, *params).sum())
        k = len(params) - len(fixed)
        fits[name] = {
            "params": [float(p) for p in params],
            "log_likelihood": ll,
            "aic": 2 * k - 2 * ll,
            "bic": k * np.log(len(x)) - 2 * ll,
        }
    ranked = [n for n in FAMILIES if "aic" in fits[n]]
    fits["best_by_aic"] = min(ranked, key=lambda n: fits[n]["aic"]) if ranked else None
    return fits


def frozen(fit: dict[str, Any], name: str) -> Any:
    """The fitted scipy distribution of one family from a `fit_distributions` record."""
    return FAMILIES[name][0](*fit[name]["params"])


def _known(values: np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        raise ConfigError("no known fitness values; use a benchmark with measured cells or surrogate=True")
    return x
