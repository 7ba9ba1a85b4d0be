"""Calibrated uncertainty of the surrogates: conformal quantiles, coverage on fresh data, the store's
std beside its predictions, the query API, and the honest search summaries built on them."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer

from eo_naslib.benchmarks import StoredBenchmark, load_benchmark
from eo_naslib.benchmarks.store import BenchmarkStore
from eo_naslib.benchmarks.surrogate import fit_regressor, out_of_fold
from eo_naslib.benchmarks.uncertainty import LEVELS, calibrate, conformal_quantile
from eo_naslib.errors import DataFileError, UnknownMetricError
from eo_naslib.search import SearchResult, minimize

matplotlib.use("Agg")


def test_conformal_quantile_is_the_ceil_n_plus_1_rank():
    scores = np.arange(1.0, 10.0)  # 9 scores
    assert conformal_quantile(scores, 0.8) == 8.0  # ceil(10 * 0.8) = 8th smallest
    assert conformal_quantile(scores, 0.95) == 9.0  # ceil(9.5) = 10 > 9: the largest
    assert conformal_quantile(scores[::-1], 0.5) == 5.0


def test_intervals_hold_their_level_on_fresh_data_and_follow_the_noise():
    """Heteroscedastic data: the calibrated intervals cover ~80% / ~95% of cells never used in
    fitting, and the std is larger where the noise is (an independent check of the calibration)."""
    rng = np.random.default_rng(1)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        X = rng.uniform(size=(n, 4)).astype(np.float32)
        return X, X[:, 0] + rng.normal(size=n) * (0.02 + 0.2 * X[:, 1])

    X, y = sample(1500)
    params = {"max_depth": 3, "n_estimators": 100}
    uncertainty = calibrate(X, y, *out_of_fold(X, y, params, seed=0, n_folds=3))
    model = fit_regressor(X, y, **params)
    fresh_X, fresh_y = sample(4000)
    std = uncertainty.std(fresh_X)
    for level, half in uncertainty.multipliers().items():
        inside = np.abs(fresh_y - model.predict(fresh_X)) <= half * std
        assert abs(inside.mean() - level) < 0.04, (level, inside.mean())
        assert abs(uncertainty.coverage[level] - level) < 0.04
    assert std[fresh_X[:, 1] > 0.8].mean() > 3 * std[fresh_X[:, 1] < 0.2].mean()


@pytest.mark.parametrize("name", ["so2sat", "cifar10"])
def test_every_column_is_calibrated_within_5_points(data_dir, name):
    store = load_benchmark(name, data_dir, build=False).store
    assert set(store.predicted_std) == set(store.predicted) == set(store.column_keys())
    for key, record in store.surrogate.items():
        coverage = record["uncertainty"]["held_out_coverage"]
        assert abs(coverage["0.8"] - 0.8) <= 0.05 and abs(coverage["0.95"] - 0.95) <= 0.05, (key, coverage)
        std = store.predicted_std[key]
        assert std.dtype == np.float32 and np.all(np.isfinite(std)) and np.all(std > 0)


def test_query_with_std_measured_and_predicted(so2sat):
    measured = so2sat.measured_hashes()[0]
    estimate = so2sat.query(measured, "val_accuracy", with_std=True)
    assert estimate.measured and estimate.std == 0.0
    assert estimate.value == so2sat.query(measured, "val_accuracy")
    assert estimate.intervals == {level: (estimate.value, estimate.value) for level in LEVELS}
    row = int(np.flatnonzero(~so2sat.measured_mask("val_accuracy"))[0])
    cell = so2sat.space.hashes[row]
    predicted = so2sat.query(cell, "val_accuracy", with_std=True)
    assert not predicted.measured and predicted.std == pytest.approx(float(so2sat.store.predicted_std["val_accuracy@108"][row]))
    k80 = so2sat.store.surrogate["val_accuracy@108"]["uncertainty"]["interval_std_multiplier"]["0.8"]
    low, high = predicted.intervals[0.8]
    assert high - low == pytest.approx(2 * k80 * predicted.std)
    assert predicted.intervals[0.95][0] < low < predicted.value < high < predicted.intervals[0.95][1]


def test_query_many_with_std_matches_single_queries(cifar10):
    rows = np.random.default_rng(0).choice(len(cifar10.space), 300, replace=False)
    rows = np.concatenate([rows, cifar10.space.indices(cifar10.measured_hashes()[:5])])
    metrics = ["val_accuracy", "train_time_s"]
    values, std = cifar10.query_many(rows, metrics, with_std=True)
    assert values.shape == std.shape == (len(rows), 2)
    assert np.array_equal(values, cifar10.query_many(rows, metrics))
    for i in (0, 150, len(rows) - 1):
        for j, metric in enumerate(metrics):
            estimate = cifar10.query(cifar10.space.hashes[rows[i]], metric, with_std=True)
            assert (estimate.value, estimate.std) == (values[i, j], std[i, j])
    assert np.all(std[-5:] == 0) and np.all(std[:300][~cifar10.measured_mask("val_accuracy")[rows[:300]], 0] > 0)
    bounds = cifar10.intervals(rows, "val_accuracy", level=0.95)
    assert np.all(bounds[:, 0] <= values[:, 0]) and np.all(values[:, 0] <= bounds[:, 1])
    with pytest.raises(UnknownMetricError, match="0.9"):
        cifar10.intervals(rows, "val_accuracy", level=0.9)


def test_query_all_carries_std_and_intervals(so2sat):
    row = int(np.flatnonzero(~so2sat.measured_mask("val_accuracy"))[3])
    record = so2sat.query_all(so2sat.space.hashes[row])
    assert set(record.std) == set(record.values) and all(s > 0 for s in record.std.values())
    low, high = record.intervals["val_accuracy"][0.8]
    assert low < record["val_accuracy"] < high
    assert json.loads(json.dumps(record.to_dict()))["intervals"]["val_accuracy"]["0.95"]


def test_a_store_without_std_says_to_rebuild(so2sat):
    store = BenchmarkStore(**{**vars(so2sat.store), "predicted_std": {}})
    benchmark = StoredBenchmark(store, space=so2sat.space)
    cell = so2sat.space.hashes[int(np.flatnonzero(~so2sat.measured_mask("val_accuracy"))[0])]
    assert benchmark.query(cell, "val_accuracy") == so2sat.query(cell, "val_accuracy")
    with pytest.raises(DataFileError, match="rebuild"):
        benchmark.query(cell, "val_accuracy", with_std=True)


def test_search_result_states_measured_share_and_intervals(so2sat, tmp_path):
    result = minimize(so2sat, "rs", ["val_accuracy", "train_time_s:min"], budget=40, seed=0)
    assert result.std is not None and result.std.shape == result.values.shape
    assert np.all(result.std[result.measured] == 0)
    honesty = result.honesty()
    front = result.front
    assert honesty["front"]["size"] == len(front)
    assert honesty["front"]["measured"] == int(result.measured[front].sum())
    assert honesty["measured_share"] == pytest.approx(result.measured.mean())
    predicted = [c for c in honesty["front"]["cells"] if not c["measured"]]
    assert len(predicted) == honesty["front"]["predicted"] > 0  # 40 random cells of 423,624: mostly predicted
    label = result.objectives[0].label
    lows, highs = zip(*(c["intervals"]["0.8"][label] for c in predicted))
    values = [c["values"][label] for c in predicted]
    assert all(lo < v < hi for lo, v, hi in zip(lows, values, highs))
    if honesty["front"]["measured"] == 0:
        assert result.headline().startswith("front PREDICTED: 0 of")
    path = tmp_path / "result.json"
    result.to_json(path)
    again = SearchResult.from_json(path)
    assert np.array_equal(again.std, result.std) and np.array_equal(again.interval_multipliers, result.interval_multipliers)
    assert again.honesty() == honesty
    axes = result.plot().axes[0]
    bars = [c for c in axes.containers if isinstance(c, ErrorbarContainer)]
    assert sum(len(b.lines[2][0].get_segments()) for b in bars) == int((~result.measured).sum())  # a bar per predicted point
