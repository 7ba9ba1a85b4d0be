"""Surrogate completion of a store: one tuned XGBoost model per metric column predicts every cell."""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from ..space import CellTable, all_cells
from .store import BenchmarkStore
from .surrogate import FEATURE_ENCODING, cell_features, tune_regressor


def complete_with_surrogates(
    store: BenchmarkStore, space: CellTable | None = None, seed: int = 0, n_folds: int = 3, progress: bool = False
) -> BenchmarkStore:
    """Fill `store.predicted` (all 423,624 cells) and `store.surrogate` (parameters, CV scores).

    Each column's target is the mean over its measured repeats; hyperparameters come from
    `tune_regressor`'s cross-validation with the fixed `seed`; predictions are clipped to the
    measured range, so no predicted cell outranks the best measured one.
    """
    space = space if space is not None else all_cells()
    features = cell_features(space)
    measured = features[space.indices(store.hashes)]
    keys = store.column_keys()
    for key in tqdm(keys, desc=f"surrogates for {store.name}", disable=not progress):
        values = store.columns[key]
        known = ~np.isnan(values).all(axis=1)
        target = np.nanmean(values[known], axis=1)
        model, params, scores = tune_regressor(measured[known], target, seed=seed, n_folds=n_folds)
        # a regressor may extrapolate past anything measured: keep predictions in the measured range
        store.predicted[key] = model.predict(features).clip(target.min(), target.max()).astype(np.float32)
        store.surrogate[key] = {
            "model": "xgboost.XGBRegressor",
            "encoding": FEATURE_ENCODING + " + op counts + edge count",
            "clipped_to": [float(target.min()), float(target.max())],
            "seed": seed,
            "params": params,
            "cv": scores.as_dict(),
        }
    return store
