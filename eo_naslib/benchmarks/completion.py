"""Surrogate completion of a store: one XGBoost model per metric column predicts every cell.

Hyperparameters come from `benchmarks_data/surrogates.json` (tuned once by cross-validation and
shipped with the data) when the column's measured values are the ones they were tuned on, else
from `tune_regressor`'s cross-validation (always with `tune=True`). Predictions are clipped to the
measured range in their stored dtype (float32), so no predicted value leaves that range.
A shipped column's record may name another feature set of `features.FEATURE_SETS` (chosen by the
surrogate leaderboard, docs/surrogates.md; else the one-hot features); other columns use
`features.default_features` (the one-hot features, plus network costs for device metrics). Each prediction also
gets a calibrated standard deviation (`uncertainty.calibrate`, on the same
seeded CV folds), stored beside it as `predicted_std`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from ..errors import DataFileError
from ..io import read_json
from ..space import CellTable, all_cells
from .features import DEFAULT_FEATURES, FEATURE_SETS, default_features
from .sources import SURROGATES_FILE, bundled_dir
from .store import BenchmarkStore
from .surrogate import FEATURE_ENCODING, CVScores, cell_features, fit_regressor, out_of_fold, tune_regressor
from .uncertainty import calibrate

log = logging.getLogger(__name__)

#: dtype of the stored predictions
PREDICTION_DTYPE = np.float32


def target_sha256(target: np.ndarray) -> str:
    """Fingerprint of a column's training targets (float64 bytes)."""
    return hashlib.sha256(np.ascontiguousarray(target, dtype=np.float64).tobytes()).hexdigest()


def shipped_tuning(name: str) -> dict[str, Any]:
    """column key -> {params, cv, target_sha256} shipped for benchmark `name` ({} when none)."""
    path = bundled_dir() / SURROGATES_FILE
    if not path.is_file():
        return {}
    return read_json(path).get("benchmarks", {}).get(name, {})


def clip_in_dtype(values: np.ndarray, low: float, high: float, dtype: type = PREDICTION_DTYPE) -> np.ndarray:
    """`values` cast to `dtype` and clipped to the largest `dtype` interval inside [low, high]."""
    lo, hi = dtype(low), dtype(high)
    if float(lo) < low:  # compared in float64: a float32 scalar would compare at its own precision
        lo = np.nextafter(lo, dtype(np.inf))
    if float(hi) > high:
        hi = np.nextafter(hi, dtype(-np.inf))
    return np.asarray(values, dtype=dtype).clip(lo, min(hi, max(lo, hi)))


def feature_set(space: CellTable, name: str, computed: dict[str, np.ndarray]) -> np.ndarray:
    """Feature set `name` of every cell of `space`, computed once per build (`computed` caches it)."""
    if name not in FEATURE_SETS:
        raise DataFileError(f"{SURROGATES_FILE} names feature set {name!r}; known: {list(FEATURE_SETS)} (restore the file)")
    if name not in computed:
        computed[name] = cell_features(space) if name == DEFAULT_FEATURES else FEATURE_SETS[name](space, np.arange(len(space)))
    return computed[name]


def complete_with_surrogates(
    store: BenchmarkStore,
    space: CellTable | None = None,
    seed: int = 0,
    n_folds: int = 3,
    progress: bool | None = False,
    tune: bool = False,
    n_jobs: int | None = None,
    keys: Sequence[str] | None = None,
) -> BenchmarkStore:
    """Fill `store.predicted` and `store.predicted_std` (all 423,624 cells) and `store.surrogate`
    (parameters, CV scores, origin, calibration).

    Each column's target is the mean over its measured repeats. `tune=True` re-runs the
    cross-validation even where shipped hyperparameters apply. `progress=None` shows the bar
    when stderr is a terminal. `keys` limits the completion to those columns (default: all).
    """
    space = space if space is not None else all_cells()
    n_jobs = n_jobs or os.cpu_count() or 1
    computed: dict[str, np.ndarray] = {}
    rows = space.indices(store.hashes)
    shipped = shipped_tuning(store.name)
    keys = store.column_keys() if keys is None else list(keys)
    bar = tqdm(keys, desc=f"building {store.name}: surrogates", unit="column", disable=None if progress is None else not progress)
    for key in bar:
        values = store.columns[key]
        known = ~np.isnan(values).all(axis=1)
        target = np.nanmean(values[known], axis=1)
        fingerprint = target_sha256(target)
        record = shipped.get(key)
        matches = record is not None and record.get("target_sha256") == fingerprint and record.get("seed") == seed
        feature_name = record.get("features", DEFAULT_FEATURES) if matches else default_features(key)
        features = feature_set(space, feature_name, computed)
        measured = features[rows]
        if matches and not tune:
            params, scores, origin = record["params"], CVScores(**record["cv"]), "shipped (benchmarks_data/surrogates.json)"
            model = fit_regressor(measured[known], target, seed, **params)
        else:
            model, params, scores = tune_regressor(measured[known], target, seed=seed, n_folds=n_folds)
            origin = "tuned at import"
        uncertainty = calibrate(measured[known], target, *out_of_fold(measured[known], target, params, seed, n_folds), seed=seed)
        # fits stay single-threaded (fast for these sizes, no oversubscription); prediction of every cell uses all cores
        model.set_params(n_jobs=n_jobs)
        # a regressor may extrapolate past anything measured: keep predictions in the measured range
        store.predicted[key] = clip_in_dtype(model.predict(features), float(target.min()), float(target.max()))
        uncertainty.scale_model.set_params(n_jobs=n_jobs)
        store.predicted_std[key] = uncertainty.std(features).astype(PREDICTION_DTYPE)
        store.surrogate[key] = {
            "model": "xgboost.XGBRegressor",
            "encoding": FEATURE_ENCODING + " + op counts + edge count" if feature_name == DEFAULT_FEATURES else feature_name,
            "features": feature_name,
            "clipped_to": [float(target.min()), float(target.max())],
            "seed": seed,
            "params": params,
            "cv": scores.as_dict(),
            "hyperparameters": origin,
            "target_sha256": fingerprint,
            "uncertainty": uncertainty.record(),
        }
    return store


def tuning_record(stores: list[BenchmarkStore]) -> dict[str, Any]:
    """The `surrogates.json` content for `stores` (after `complete_with_surrogates`)."""
    return {
        "about": "XGBoost hyperparameters chosen by cross-validation (eo_naslib.benchmarks.surrogate.TUNING_GRID), "
        "their out-of-fold scores, the sha256 of the measured targets they were tuned on, and the feature set where the "
        "surrogate leaderboard (docs/surrogates.md) found one better than the one-hot features by more than the CV noise",
        "benchmarks": {
            store.name: {
                key: {k: entry[k] for k in ("params", "cv", "target_sha256", "seed", "features") if k in entry}
                for key, entry in store.surrogate.items()
            }
            for store in stores
        },
    }
