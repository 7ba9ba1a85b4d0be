"""Pareto Local Search and its initialisers on a small, fully known landscape (cells with at most
5 vertices: a neighbourhood-closed part of the space) and through the NASLib-style runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eo_naslib import ConfigError
from eo_naslib.naslib_compat import dataset_api as dataset_api_module
from eo_naslib.naslib_compat import run
from eo_naslib.search import OPTIMIZERS, Evaluator, ParetoLocalSearch
from eo_naslib.search.init import SurrogateFront, predicted_front
from eo_naslib.search.pareto import non_dominated
from eo_naslib.space import CellTable

from eo_naslib.testing import SyntheticBenchmark


def sub_table(space: CellTable, rows: np.ndarray) -> CellTable:
    """The cells of `rows` as a space of their own (neighbours outside it are dropped)."""
    rows = np.sort(rows)
    new_row = np.full(len(space), -1)
    new_row[rows] = np.arange(len(rows))
    keep = new_row[space.rep_rows] >= 0
    return CellTable(space.matrices[rows], space.labels[rows], space.hashes[rows], space.rep_keys[keep], new_row[space.rep_rows[keep]])


class SmallLandscape:
    """Synthetic values on a small space, coarse enough that the true front has tied vectors."""

    name = "small"
    fidelities = (108,)
    default_epoch = 108

    def __init__(self, space: CellTable, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        conv3 = (space.labels == 0).sum(axis=1)
        self.space = space
        self._values = {
            "val_accuracy": np.round(0.5 + 0.1 * conv3 + rng.uniform(0, 0.2, len(space)), 1),
            "train_time_s": np.round(10 + 5 * conv3 + rng.uniform(0, 10, len(space))),
        }
        self.metrics = tuple(self._values)

    def query_rows(self, rows: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        return self._values[metric][np.asarray(rows)]

    def measured_hashes(self) -> np.ndarray:
        return self.space.hashes


@pytest.fixture(scope="module")
def small_space(space) -> CellTable:
    return sub_table(space, np.flatnonzero(space.n_vertices <= 5))


def _pls(space, budget, seed=0, landscape_seed=0, **params):
    evaluator = Evaluator(SmallLandscape(space, landscape_seed), ["val_accuracy", "train_time_s:min"], budget=budget, space=space)
    return ParetoLocalSearch(evaluator, seed=seed, n_init=5, **params)


def _true_front(pls) -> set[int]:
    benchmark, evaluator = pls.evaluator.benchmark, pls.evaluator
    values = np.stack([benchmark.query_rows(np.arange(len(evaluator.space)), o.metric) for o in evaluator.objectives], axis=1)
    return set(np.flatnonzero(non_dominated(evaluator.to_minimisation(values))).tolist())


@pytest.mark.parametrize("neighbourhood", ["edit", "hamming"])
def test_pls_finds_exactly_the_true_front_with_enough_budget(small_space, neighbourhood):
    pls = _pls(small_space, budget=len(small_space), neighbourhood=neighbourhood)
    pls.run()
    rows, values = pls.front()
    truth = _true_front(pls)
    assert set(rows) == truth
    assert len({tuple(v) for v in values}) < len(rows)  # tied vectors all stay on the front


def test_archive_is_the_front_of_all_evaluations_after_every_iteration(small_space):
    pls = _pls(small_space, budget=400, seed=1)
    pls.run()
    history = np.array(pls.evaluator.history_rows)
    F = pls.evaluator.to_minimisation(pls.evaluator.history_values)
    assert len(pls.archive_log) > 5
    for n, rows in pls.archive_log:
        assert set(rows) == set(history[:n][non_dominated(F[:n])].tolist())


def test_budget_counts_distinct_cells(small_space, monkeypatch):
    pls = _pls(small_space, budget=300, seed=2)
    asked: list[int] = []
    original = SmallLandscape.query_rows
    monkeypatch.setattr(SmallLandscape, "query_rows", lambda self, rows, metric, epoch=None: (asked.extend(np.atleast_1d(rows).tolist()), original(self, rows, metric))[1])
    pls.run()
    assert pls.evaluator.n_evaluations == 300 == len(set(pls.evaluator.history_rows))
    assert len(asked) == 2 * 300 and len(set(asked)) == 300  # neighbours seen twice were not re-queried


def test_resumed_search_continues_exactly(small_space):
    reference = _pls(small_space, budget=300, seed=3)
    reference.run()
    first = _pls(small_space, budget=300, seed=3)
    while first.evaluator.n_evaluations < 120:  # checkpoints are taken between steps
        first.step()
    state = json.loads(json.dumps({"evaluator": first.evaluator.state_dict(), "optimizer": first.state_dict()}))
    resumed = _pls(small_space, budget=300, seed=3)
    resumed.evaluator.load_state_dict(state["evaluator"])
    resumed.load_state_dict(state["optimizer"])
    resumed.run()
    assert resumed.evaluator.history_rows == reference.evaluator.history_rows
    assert resumed.front()[0] == reference.front()[0]


@pytest.mark.parametrize(
    ("params", "objectives", "message"),
    [
        ({"init": "bogus"}, None, "search.init must be one of"),
        ({"neighbourhood": "swap"}, None, "search.neighbourhood 'swap' is unknown"),
        ({"n_init": 0}, None, "search.n_init must be a positive integer"),
        ({}, ["val_accuracy"], "pls needs at least two objectives"),
    ],
)
def test_bad_parameters_are_config_errors(small_space, params, objectives, message):
    evaluator = Evaluator(SmallLandscape(small_space), objectives or ["val_accuracy", "train_time_s"], budget=10, space=small_space)
    with pytest.raises(ConfigError, match=message):
        ParetoLocalSearch(evaluator, seed=0, **params)


def test_surrogate_front_is_non_dominated_under_the_predictions(small_space):
    source = SmallLandscape(small_space, seed=7)
    result = predicted_front(source, ["val_accuracy", "train_time_s"], small_space, 500, np.random.default_rng(0))
    assert len(result.train_rows) == len(set(result.train_rows.tolist())) == 500
    assert result.predicted.shape == (len(small_space), 2)
    assert result.front_rows.tolist() == np.flatnonzero(non_dominated(result.predicted)).tolist()
    assert non_dominated(result.predicted[result.front_rows]).all()
    with pytest.raises(ConfigError, match="search.n_train 9999 must be between 1 and the 2532 measured cells"):
        predicted_front(source, ["val_accuracy", "train_time_s"], small_space, 9999, np.random.default_rng(0))


def test_pls_starts_from_the_predicted_front(small_space):
    pls = _pls(small_space, budget=200, seed=4, init="surrogate_front", n_train=300)
    pls.initialiser = SurrogateFront(SmallLandscape(small_space, seed=7), n_train=300)
    pls.step()
    last = pls.initialiser.last
    start = pls.evaluator.history_rows[:5]
    assert len(set(start)) == 5
    if len(last.front_rows) >= 5:
        assert set(start) <= set(last.front_rows.tolist())
    else:  # the whole front, then the next fronts
        assert set(last.front_rows.tolist()) <= set(start)


# ---------------------------------------------------------------------- the NASLib-style runner
@pytest.fixture()
def synthetic_api(space, monkeypatch):
    api = {"benchmark": SyntheticBenchmark(space), "space": space, "dataset": "cifar10", "macro": False}
    monkeypatch.setitem(dataset_api_module._REGISTRY, ("nasbench101", "cifar10"), lambda dataset, data_dir, measured_only: api)
    return api


def _config(tmp_path: Path, **search):
    return {
        "seed": 1,
        "search_space": "nasbench101",
        "dataset": "cifar10",
        "optimizer": "pls",
        "out_dir": str(tmp_path / "out"),
        "search": {"epochs": 150, "checkpoint_freq": 50, **search},
    }


def test_runner_runs_pls_with_default_objectives(tmp_path, synthetic_api):
    assert "pls" in OPTIMIZERS
    summary = run(_config(tmp_path), progress=False)
    directory = Path(summary["save_dir"])
    trajectory = json.loads((directory / "trajectory.json").read_text())
    assert len({t["hash"] for t in trajectory}) == len(trajectory) == 150
    assert set(trajectory[0]) >= {"val_accuracy", "train_time_s"}
    front = json.loads((directory / "pareto_front.json").read_text())
    F = np.array([[-f["val_accuracy"], f["train_time_s"]] for f in front])
    assert len(front) > 0 and non_dominated(F).all()
    history = np.array([[-t["val_accuracy"], t["train_time_s"]] for t in trajectory])
    assert {f["hash"] for f in front} == {trajectory[i]["hash"] for i in np.flatnonzero(non_dominated(history))}
    _, errors = json.loads((directory / "errors.json").read_text())
    assert errors["valid_acc"][-1] == pytest.approx(100 * max(t["val_accuracy"] for t in trajectory))


def test_runner_pls_with_surrogate_front_and_hamming_moves(tmp_path, synthetic_api, monkeypatch):
    monkeypatch.setattr(SurrogateFront, "source_benchmark", lambda self, evaluator: evaluator.benchmark)
    config = _config(tmp_path, init="surrogate_front", n_train=300, n_init=10, objectives=["val_accuracy", "train_time_s:min"], neighbourhood="hamming")
    summary = run(config, progress=False)
    assert summary["evaluations"] == 150
    assert (Path(summary["save_dir"]) / "pareto_front.json").exists()
