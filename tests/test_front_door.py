"""The front door: `minimize` -> `SearchResult` (JSON round trip, plot) on the synthetic benchmark."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from eo_naslib import ConfigError, SearchResult, load_benchmark, minimize
from eo_naslib.search import Search
from eo_naslib.search.pareto import non_dominated
from eo_naslib.testing import SyntheticBenchmark


@pytest.fixture(scope="module")
def synthetic(space):
    return SyntheticBenchmark(space, measured_share=0.5)


def test_minimize_returns_the_whole_search(synthetic, space):
    result = minimize(synthetic, "pls", ["val_accuracy", "train_time_s:min"], budget=150, seed=3, n_init=5)
    assert result.n_evaluations == 150 and len(set(result.hashes)) == 150
    rows = space.indices(result.hashes)
    np.testing.assert_array_equal(result.values[:, 0], synthetic.values("val_accuracy")[rows])
    np.testing.assert_array_equal(result.measured, synthetic._measured[rows])
    assert result.front.tolist() == np.flatnonzero(non_dominated(result.values * [-1, 1])).tolist()
    assert len(result.initial) == 5 and result.optimizer == "pls" and result.seed == 3
    again = minimize(synthetic, "pls", ["val_accuracy", "train_time_s:min"], budget=150, seed=3, n_init=5)
    assert again.hashes == result.hashes


def test_search_result_json_round_trip(synthetic, tmp_path):
    result = minimize(synthetic, "re", ["val_accuracy"], budget=60, seed=1)
    result.to_json(tmp_path / "result.json")
    loaded = SearchResult.from_json(tmp_path / "result.json")
    assert loaded.hashes == result.hashes and loaded.objectives == result.objectives
    np.testing.assert_array_equal(loaded.values, result.values)
    np.testing.assert_array_equal(loaded.measured, result.measured)
    assert loaded.best == result.best and loaded.incumbent_curve()[-1] == result.values[:, 0].max()


def test_search_steps_like_minimize(synthetic):
    search = Search(synthetic, "rs", ["val_accuracy"], budget=30, seed=2)
    while not search.evaluator.exhausted:
        search.optimizer.step()
    assert search.result().hashes == minimize(synthetic, "rs", ["val_accuracy"], budget=30, seed=2).hashes


def test_plot_returns_a_figure_on_given_axes(synthetic):
    result = minimize(synthetic, "pls", ["val_accuracy", "train_time_s:min"], budget=80, seed=0, n_init=5)
    figure = result.plot()
    assert isinstance(figure, Figure) and figure.axes[0].get_xlabel() == "train_time_s:min"
    own = Figure()
    ax = own.add_subplot()
    assert result.plot(ax=ax) is own


def test_notebook_path_never_touches_the_backend(tmp_path):
    script = (
        "import sys, matplotlib\n"
        "before = matplotlib.get_backend()\n"
        "from eo_naslib import minimize, all_cells\n"
        "from eo_naslib.testing import SyntheticBenchmark\n"
        "figure = minimize(SyntheticBenchmark(all_cells()), 'pls', ['val_accuracy', 'train_time_s:min'], 40, seed=0).plot()\n"
        "assert type(figure).__name__ == 'Figure'\n"
        "assert matplotlib.get_backend() == before and 'matplotlib.pyplot' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "svg"})
    assert done.returncode == 0, done.stderr


def test_bad_front_door_arguments_are_config_errors(synthetic):
    with pytest.raises(ConfigError, match="optimizer 'bogus' is unknown"):
        minimize(synthetic, "bogus", ["val_accuracy"], budget=10)
    with pytest.raises(ConfigError, match="budget must be a positive integer"):
        minimize(synthetic, "rs", ["val_accuracy"], budget=2.5)
    with pytest.raises(ConfigError, match="objectives must be a non-empty list"):
        minimize(synthetic, "rs", "val_accuracy", budget=10)
    with pytest.raises(ConfigError, match="kind 'tabular' is unknown"):
        load_benchmark("so2sat", kind="tabular")
    with pytest.raises(ConfigError, match="needs data="):
        load_benchmark("so2sat", kind="live")
