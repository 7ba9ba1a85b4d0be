"""`measured_only` / search domains for our optimizers: every evaluated cell is one the benchmark
measured (checked against `is_measured`, not against the domain itself), budgets are capped at
the domain, runs are deterministic and resume exactly, and the runner and its configs reach it."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eo_naslib.errors import ConfigError
from eo_naslib.naslib_compat import optimizer as optimizer_module
from eo_naslib.naslib_compat.runner import run as run_config
from eo_naslib.search import OPTIMIZERS, BudgetExhausted, Evaluator, Search, minimize
from eo_naslib.search.evaluator import measured_rows
from eo_naslib.search.init.lhs import nearest_distinct_rows
from eo_naslib.search.moea import MOEAS
from eo_naslib.search.problem import genotypes_of
from eo_naslib.testing import SyntheticBenchmark

REPO = Path(__file__).resolve().parents[1]
OBJECTIVES = ["val_accuracy", "train_time_s:min"]
METRICS = ("val_accuracy", "train_time_s")
#: every registered optimizer, pymoo's three algorithms separately
CASES = [(name, {}) for name in sorted(OPTIMIZERS) if name != "nsga2"] + [("nsga2", {"algorithm": a}) for a in MOEAS]
IDS = [f"{name}-{params.get('algorithm', '')}".rstrip("-") for name, params in CASES]
BENCHMARKS = ("so2sat", "cifar10")


def all_measured(benchmark, hashes) -> bool:
    return all(benchmark.is_measured(h, m) for h in hashes for m in METRICS)


# --------------------------------------------------------------------------- every optimizer
@pytest.mark.parametrize("bench", BENCHMARKS)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_every_evaluated_cell_is_measured_and_runs_repeat(request, bench, name, params):
    benchmark = request.getfixturevalue(bench)
    result = minimize(benchmark, name, OBJECTIVES, 40, seed=4, measured_only=True, **params)
    assert result.n_evaluations == 40 and len(set(result.hashes)) == 40
    assert all_measured(benchmark, result.hashes) and result.measured.all()
    assert minimize(benchmark, name, OBJECTIVES, 40, seed=4, measured_only=True, **params).hashes == result.hashes


def test_the_check_fails_without_measured_only(so2sat):
    for name in ("rs", "pls", "ga"):
        assert not all_measured(so2sat, minimize(so2sat, name, OBJECTIVES, 40, seed=4).hashes)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_budget_beyond_the_domain_is_capped_and_the_domain_exhausted(so2sat, caplog, name, params):
    with caplog.at_level(logging.WARNING, logger="eo_naslib.search.evaluator"):
        result = minimize(so2sat, name, OBJECTIVES, 1000, seed=1, measured_only=True, **params)
    assert "budget 1000 is more than the 450 cells of the search domain; capped" in caplog.text
    assert result.budget == result.n_evaluations == len(set(result.hashes)) == 450
    assert set(result.hashes) == set(so2sat.measured_hashes()) and all_measured(so2sat, result.hashes)


def test_measured_rows_are_the_cells_measured_for_every_objective(space, so2sat, cifar10):
    for benchmark in (so2sat, cifar10):
        expected = sorted(space.index(h) for h in benchmark.measured_hashes() if all(benchmark.is_measured(h, m) for m in METRICS))
        assert measured_rows(benchmark, OBJECTIVES, space).tolist() == expected
    assert len(measured_rows(so2sat, OBJECTIVES, space)) == 450
    partial = SyntheticBenchmark(space, seed=2, measured_share=0.001)
    assert measured_rows(partial, OBJECTIVES, space).tolist() == np.flatnonzero(partial._measured).tolist()


# --------------------------------------------------------------------------- initialisers
INITS = [
    ("random", {}),
    ("lhs", {}),
    ("clusters", {"cluster_sizes": [40, 30]}),  # the sample is paid from the budget
    ("clusters", {"cluster_sizes": [300, 100], "source": "cifar10", "cluster_seed": 3}),  # free, from a source
    ("surrogate_front", {"source": "cifar10", "n_train": 200}),
]


@pytest.mark.parametrize("name", ["pls", "ga", "ae", "nsga2"])
@pytest.mark.parametrize(("init", "keys"), INITS, ids=[f"{i}-{k.get('source', 'own')}" for i, k in INITS])
def test_initialisers_start_inside_the_domain(so2sat, data_dir, name, init, keys):
    keys = {**keys, "source_data_dir": str(data_dir)} if "source" in keys else keys
    search = Search(so2sat, name, OBJECTIVES, 80, seed=2, measured_only=True, init=init, **keys)
    result = search.run()
    initial = [result.hashes[i] for i in result.initial]
    assert len(search.optimizer.initial_rows) > 1 and len(initial) == len(search.optimizer.initial_rows)
    assert all_measured(so2sat, initial) and all_measured(so2sat, result.hashes) and result.n_evaluations == 80


def test_surrogate_front_is_the_predicted_front_of_the_domain(so2sat, cifar10):
    search = Search(so2sat, "pls", OBJECTIVES, 30, seed=0, measured_only=True, init="surrogate_front", source=cifar10, n_train=200, n_init=5)
    search.run()
    predicted = search.optimizer.initialiser.last.predicted[search.evaluator.domain]
    start = np.searchsorted(search.evaluator.domain, search.optimizer.initial_rows)
    dominated = [np.any(np.all(predicted <= predicted[i], axis=1) & np.any(predicted < predicted[i], axis=1)) for i in start]
    assert not any(dominated)  # each start cell is on the front of the measured cells' predictions


def test_lhs_points_keep_their_domain_cells_and_move_to_the_nearest_otherwise(space):
    rows = np.array([5, 17, 4000, 90000], dtype=np.int64)
    genotypes = genotypes_of(space, rows)
    distance = (genotypes != genotypes[2]).sum(axis=1)
    distance[2] = 99  # taken by the first point
    second = int(np.argmin(distance))
    third = next(i for i in range(4) if i not in (2, second))
    points = np.stack([genotypes[2], genotypes[2], genotypes[third]])
    chosen = nearest_distinct_rows(points, np.array([4000, 4000, 123456]), rows, genotypes)
    assert chosen.tolist() == [4000, rows[second], rows[third]]  # own, nearest untaken, nearest (own outside)
    many = nearest_distinct_rows(np.repeat(points, 2, axis=0), np.full(6, 4000), rows, genotypes)
    assert sorted(many.tolist()) == rows.tolist()  # as many distinct rows as the domain has


# --------------------------------------------------------------------------- resume, Search, minimize
def resumed_hashes(benchmark, name: str, params: dict, budget: int, kill_at: int) -> list[str]:
    """Run until `kill_at` evaluations, keep the JSON checkpoints only, rebuild with another seed
    (the state must override it) and finish."""
    search = Search(benchmark, name, OBJECTIVES, budget, seed=11, measured_only=True, **params)
    while search.evaluator.n_evaluations < kill_at:
        search.optimizer.step()
    saved = json.loads(json.dumps({"evaluator": search.evaluator.state_dict(), "optimizer": search.optimizer.state_dict()}))
    del search
    search = Search(benchmark, name, OBJECTIVES, budget, seed=999, measured_only=True, **params)
    search.evaluator.load_state_dict(saved["evaluator"])
    search.optimizer.load_state_dict(saved["optimizer"])
    return search.run().hashes


@pytest.mark.parametrize("bench", BENCHMARKS)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_resume_after_kill_gives_the_same_run(request, bench, name, params):
    benchmark = request.getfixturevalue(bench)
    reference = minimize(benchmark, name, OBJECTIVES, 60, seed=11, measured_only=True, **params).hashes
    assert resumed_hashes(benchmark, name, params, 60, 25) == reference


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_search_steps_like_minimize(so2sat, name, params):
    search = Search(so2sat, name, OBJECTIVES, 50, seed=6, measured_only=True, **params)
    while not search.evaluator.exhausted:
        try:
            search.optimizer.step()
        except BudgetExhausted:  # a step may run out of budget half-way (as `run` allows)
            break
    assert search.result().hashes == minimize(so2sat, name, OBJECTIVES, 50, seed=6, measured_only=True, **params).hashes


def test_default_is_the_unrestricted_search(so2sat):
    for name in ("rs", "pls", "ga", "nsga2"):
        plain = minimize(so2sat, name, OBJECTIVES, 40, seed=8)
        assert minimize(so2sat, name, OBJECTIVES, 40, seed=8, measured_only=False).hashes == plain.hashes
        assert Search(so2sat, name, OBJECTIVES, 40, seed=8).evaluator.domain is None


# --------------------------------------------------------------------------- general domains
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_a_given_domain_bounds_every_optimizer(space, name, params):
    synthetic = SyntheticBenchmark(space, seed=1, measured_share=0.5)
    domain = np.random.default_rng(0).choice(len(space), 2000, replace=False)
    rows = space.indices(minimize(synthetic, name, OBJECTIVES, 60, seed=3, domain=domain, **params).hashes)
    assert len(rows) == 60 and np.isin(rows, domain).all()
    both = space.indices(minimize(synthetic, name, OBJECTIVES, 60, seed=3, domain=space.hashes[domain], measured_only=True, **params).hashes)
    assert np.isin(both, domain).all() and synthetic._measured[both].all()


def test_outside_the_domain_is_an_error_and_costs_nothing(space, so2sat):
    measured = measured_rows(so2sat, OBJECTIVES, space)
    evaluator = Evaluator(so2sat, OBJECTIVES, budget=5, space=space, domain=measured)
    outside = int(np.setdiff1d(np.arange(10), measured)[0])
    with pytest.raises(ConfigError, match=rf"row {outside}\) is outside the search domain of 450 cells"):
        evaluator.evaluate(outside)
    assert evaluator.n_evaluations == 0 and evaluator.remaining == 5
    evaluator.evaluate(int(measured[0]))
    assert evaluator.allows([outside, int(measured[0])]).tolist() == [False, True]
    with pytest.raises(ConfigError, match="the checkpoint holds cell .* outside this search domain"):
        evaluator.load_state_dict({"rows": [outside], "values": [[0.5, 1.0]]})


def test_bad_domains_are_config_errors(space, so2sat):
    none_measured = SyntheticBenchmark(space, measured_share=0.0)
    with pytest.raises(ConfigError, match="measured_only: benchmark 'synthetic' measured no cell for all of"):
        minimize(none_measured, "rs", OBJECTIVES, 10, measured_only=True)
    with pytest.raises(ConfigError, match="measured_only must be true or false, got 'yes'"):
        minimize(so2sat, "rs", OBJECTIVES, 10, measured_only="yes")
    with pytest.raises(ConfigError, match="the search domain is empty"):
        minimize(so2sat, "rs", OBJECTIVES, 10, domain=[])
    few = measured_rows(so2sat, OBJECTIVES, space)[:10]
    with pytest.raises(ConfigError, match=r"search.pop_size 19 is more than the 10 cells of the search domain"):
        minimize(so2sat, "ga", OBJECTIVES, 10, domain=few)
    with pytest.raises(ConfigError, match=r"search.pop_size 20 is more than the 10 cells"):
        minimize(so2sat, "nsga2", OBJECTIVES, 10, domain=few)
    with pytest.raises(ConfigError, match=r"search.population_size 50 is more than the 10 cells"):
        minimize(so2sat, "re", OBJECTIVES, 10, domain=few)
    assert len(minimize(so2sat, "ga", OBJECTIVES, 10, domain=few, pop_size=5).hashes) == 10


# --------------------------------------------------------------------------- the runner
def runner_config(tmp_path: Path, data_dir: Path, optimizer: str, epochs: int, **search) -> dict:
    return {
        "seed": 1,
        "search_space": "nasbench101",
        "dataset": "so2sat_lcz42_micro",
        "optimizer": optimizer,
        "out_dir": str(tmp_path / "out"),
        "data_dir": str(data_dir),
        "search": {"epochs": epochs, "checkpoint_freq": 10, "measured_only": True, **search},
    }


def test_runner_config_with_measured_only_runs_through_scripts_runner(tmp_path, data_dir, so2sat):
    config = runner_config(tmp_path, data_dir, "re", 40, population_size=10, sample_size=3)
    path = tmp_path / "re_measured_only.yaml"
    path.write_text(json.dumps(config))  # YAML is a superset of JSON
    done = subprocess.run(
        [sys.executable, "scripts/runner.py", "--config-file", str(path), "--quiet"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    headline, printed = done.stdout.split("\n", 1)
    summary = json.loads(printed)
    assert summary["evaluations"] == 40 and summary["measured_share"] == 1.0
    assert headline.startswith("front measured:") and summary["front_predicted"] == 0
    trajectory = json.loads((Path(summary["save_dir"]) / "trajectory.json").read_text())
    hashes = [t["hash"] for t in trajectory]
    assert len(set(hashes)) == 40 and all(so2sat.is_measured(h, "val_accuracy") for h in hashes)
    _, errors = json.loads((Path(summary["save_dir"]) / "errors.json").read_text())
    assert errors["measured"] == [True] * 40


class _Killed(Exception):
    pass


@pytest.mark.parametrize("optimizer", ["pls", "nsga2"])
def test_runner_resume_with_measured_only(tmp_path, data_dir, monkeypatch, so2sat, optimizer):
    reference = run_config(runner_config(tmp_path / "ref", data_dir, optimizer, 45), progress=False)
    original = optimizer_module.DiscreteOptimizer.new_epoch

    def dying(self, epoch):
        if epoch == 33:
            raise _Killed
        original(self, epoch)

    monkeypatch.setattr(optimizer_module.DiscreteOptimizer, "new_epoch", dying)
    config = runner_config(tmp_path / "cut", data_dir, optimizer, 45)
    with pytest.raises(_Killed):
        run_config(config, progress=False)
    monkeypatch.setattr(optimizer_module.DiscreteOptimizer, "new_epoch", original)
    resumed = run_config(config, resume=True, progress=False)
    hashes = [[t["hash"] for t in json.loads((Path(s["save_dir"]) / "trajectory.json").read_text())] for s in (reference, resumed)]
    assert resumed["resumed"] and hashes[0] == hashes[1] and len(set(hashes[0])) == 45
    assert all_measured(so2sat, hashes[0])
