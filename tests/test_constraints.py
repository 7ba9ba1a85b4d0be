"""Constrained search: constraint strings, feasibility-first optimizers (the front holds feasible
cells only, checked against a brute-force feasible front), pymoo's G, the infeasible case, saved
results, scoring over feasible cells, and configs. On synthetic benchmarks (no real measurement)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from eo_naslib.benchmarks import datasets as datasets_module
from eo_naslib.errors import ConfigError, DataFileError, UnknownArchitectureError
from eo_naslib.experiments import parse_experiment, run_experiment
from eo_naslib.experiments import runs as runs_module
from eo_naslib.experiments.scoring import Scorer
from eo_naslib.io import load_config
from eo_naslib.naslib_compat.config import apply_overrides, validate
from eo_naslib.naslib_compat.runner import run
from eo_naslib.search import Evaluator, Objective, Search, SearchResult, minimize, parse_constraints
from eo_naslib.search.constraints import Constraint, total_violation
from eo_naslib.search.pareto import feasible_first, normalised_hypervolume
from eo_naslib.search.problem import CellProblem, genotypes_of
from eo_naslib.testing import SyntheticBenchmark

import eo_naslib

CONFIGS = Path(eo_naslib.__file__).parent / "configs"

OBJECTIVES = ["val_accuracy", "latency_ms:min"]


class SyntheticDevice(SyntheticBenchmark):
    """SYNTHETIC: the synthetic benchmark plus a synthetic latency that grows with the conv3x3 ops
    and edges (as the accuracy does), so a latency cap cuts into the accuracy front."""

    name = "synthetic-device"

    def __init__(self, space, seed: int = 0) -> None:
        super().__init__(space, seed, measured_share=0.05)
        labels = space.labels.astype(int)
        edges = space.matrices.reshape(len(space), -1).sum(axis=1)
        noise = np.random.default_rng(seed + 1).uniform(0, 0.5, len(space))
        self._values["latency_ms"] = 2.0 + 0.8 * (labels == 0).sum(axis=1) + 0.3 * edges + noise
        self.metrics = tuple(self._values)


@pytest.fixture(scope="module")
def device(space):
    return SyntheticDevice(space)


@pytest.fixture(scope="module")
def cap(device):
    """A latency cap that about a quarter of the space meets."""
    return float(np.quantile(device.values("latency_ms"), 0.25))


def brute_force_front(values: np.ndarray, latency: np.ndarray, bound: float) -> set[int]:
    """Indices of the feasible (latency <= bound) rows no feasible row dominates (accuracy max,
    latency min), by plain pairwise comparison: independent of `eo_naslib.search.pareto`."""
    front = set()
    feasible = [i for i in range(len(values)) if latency[i] <= bound]
    for i in feasible:
        a = values[i]
        dominated = any(
            values[j][0] >= a[0] and values[j][1] <= a[1] and (values[j][0] > a[0] or values[j][1] < a[1]) for j in feasible
        )
        if not dominated:
            front.add(i)
    return front


# --------------------------------------------------------------------------- constraint strings
@pytest.mark.parametrize(
    "spec, said",
    [
        ("", "write it as"),
        ("   ", "write it as"),
        (None, "write it as"),
        ("latency_ms < 5", "use <= or >="),
        ("latency_ms == 5", "use <= or >="),
        ("latency_ms 5", "not 'metric <= bound'"),
        ("latency <= 5", "unknown metric 'latency'"),
        ("latency_ms <= nan", "not a finite number"),
        ("latency_ms <= inf", "not a finite number"),
        ("latency_ms <= 5ms", "not a finite number"),
        ("latency_ms <= ", "not 'metric <= bound'"),
    ],
)
def test_bad_constraint_strings_get_one_line_errors(spec, said):
    with pytest.raises(ConfigError) as error:
        Constraint.parse(spec)
    message = str(error.value)
    assert said in message and repr(spec) in message and "\n" not in message


def test_constraint_lists_texts_and_violations():
    with pytest.raises(ConfigError, match="must be a list"):
        parse_constraints("latency_ms <= 5")
    with pytest.raises(ConfigError, match="unknown metric 'params'.*'latency_ms'"):
        parse_constraints(["params <= 2e6"], metrics=["val_accuracy", "latency_ms"])
    cap, floor = parse_constraints(["latency_ms <= 5", "val_accuracy >= 0.6"])
    for c in (cap, floor, Constraint("params", "<=", 1234567.0), Constraint("latency_ms", "<=", 0.1)):
        assert Constraint.parse(c.text) == c
    values = np.array([[4.0, 0.7], [6.0, 0.7], [4.0, 0.3], [np.nan, 0.7]])
    np.testing.assert_allclose(total_violation((cap, floor), values), [0.0, 0.2, 0.5, np.inf])


def test_feasible_first_comparison():
    F = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [0.5, 2.0], [3.0, 3.0]])
    # feasible rows 1..4: the non-dominated ones among them; the dominating infeasible row 0 is out
    np.testing.assert_array_equal(feasible_first(F, [0.3, 0, 0, 0, 0]), [False, True, True, True, False])
    # none feasible: least violation first, then Pareto among equals
    np.testing.assert_array_equal(feasible_first(F, [0.3, 0.1, 0.1, 0.2, 0.1]), [False, True, True, False, False])


# --------------------------------------------------------------------------- optimizers
@pytest.mark.parametrize(
    "optimizer, objectives, options",
    [
        ("rs", ["val_accuracy"], {}),
        ("re", ["val_accuracy"], {"population_size": 20, "sample_size": 5}),
        ("ls", ["val_accuracy"], {"num_init": 5}),
        ("ga", ["val_accuracy"], {}),
        ("ea", ["val_accuracy"], {}),
        ("ae", ["val_accuracy"], {}),
        ("pls", OBJECTIVES, {"n_init": 10}),
        ("nsga2", OBJECTIVES, {}),
        ("nsga2", OBJECTIVES, {"algorithm": "smsemoa"}),
    ],
)
def test_every_optimizer_keeps_only_feasible_cells_on_its_front(device, cap, space, optimizer, objectives, options):
    result = minimize(device, optimizer, objectives, 120, seed=1, constraints=[f"latency_ms <= {cap}"], **options)
    latency = device.values("latency_ms")[space.indices(result.hashes)]
    np.testing.assert_array_equal(result.constraint_values[:, 0], latency)
    np.testing.assert_array_equal(result.feasible, latency <= cap)
    assert result.feasible.any() and len(result.front) and result.feasible[result.front].all()
    assert result.feasible[result.best] and result.infeasible_message is None
    F = result.F
    feasible_best = F[result.feasible, 0].min()
    assert F[result.best, 0] == feasible_best  # the best feasible cell, not the best overall
    if len(objectives) == 2:
        assert set(result.front.tolist()) == brute_force_front(result.values, latency, cap)


@pytest.mark.parametrize(
    "optimizer, objectives, options",
    [
        ("re", ["val_accuracy"], {"population_size": 20, "sample_size": 5}),
        ("ga", ["val_accuracy"], {}),
        ("ea", ["val_accuracy"], {}),
        ("ae", ["val_accuracy"], {}),
        ("nsga2", OBJECTIVES, {}),
        ("nsga2", OBJECTIVES, {"algorithm": "smsemoa"}),
    ],
)
def test_feasibility_first_steers_the_search(device, cap, space, optimizer, objectives, options):
    """Constrained, evolution turns to feasible cells: a larger share of its evaluations is
    feasible than in the same seed's unconstrained run (0.2-0.6 more on this landscape)."""
    plain = minimize(device, optimizer, objectives, 120, seed=1, **options)
    capped = minimize(device, optimizer, objectives, 120, seed=1, constraints=[f"latency_ms <= {cap}"], **options)
    plain_latency = device.values("latency_ms")[space.indices(plain.hashes)]
    assert capped.feasible.mean() > (plain_latency <= cap).mean() + 0.1
    if len(objectives) == 1:
        assert plain_latency[plain.best] > cap and capped.feasible[capped.best]  # unconstrained, the best is too slow


def test_exhaustive_search_front_equals_brute_force(device, cap, space):
    """Over a 300-cell domain searched exhaustively, the front is the brute-force feasible front."""
    rows = np.random.default_rng(3).choice(len(space), 300, replace=False)
    values = np.column_stack([device.values("val_accuracy")[rows], device.values("latency_ms")[rows]])
    expected = {str(space.hashes[rows[i]]) for i in brute_force_front(values, values[:, 1], cap)}
    for optimizer, options in (("rs", {}), ("pls", {"n_init": 10})):
        result = minimize(device, optimizer, OBJECTIVES, 300, seed=0, domain=rows, constraints=[f"latency_ms <= {cap}"], **options)
        assert result.n_evaluations == 300
        assert {result.hashes[i] for i in result.front} == expected


def test_pymoo_receives_the_constraints_as_G(device, cap, space):
    evaluator = Evaluator(device, OBJECTIVES, budget=40, constraints=[f"latency_ms <= {cap}", "val_accuracy >= 0.7"])
    problem = CellProblem(evaluator, seed=0)
    assert problem.n_ieq_constr == 2
    rows = np.random.default_rng(0).choice(len(space), 10, replace=False)
    out = problem.evaluate(genotypes_of(space, rows), return_as_dictionary=True)
    latency, accuracy = device.values("latency_ms")[rows], device.values("val_accuracy")[rows]
    np.testing.assert_allclose(out["G"][:, 0], (latency - cap) / cap)
    np.testing.assert_allclose(out["G"][:, 1], (0.7 - accuracy) / 0.7)
    with pytest.raises(ConfigError, match="moead takes no constraints"):
        minimize(device, "nsga2", OBJECTIVES, 40, seed=0, algorithm="moead", constraints=["latency_ms <= 5"])


def test_pymoo_survival_is_feasibility_first(device, cap):
    """pymoo's own survival keeps feasible cells: its final population is all feasible once the
    run found at least pop_size feasible cells (it never needs an infeasible survivor)."""
    search = Search(device, "nsga2", OBJECTIVES, 200, seed=0, pop_size=10, constraints=[f"latency_ms <= {cap}"])
    result = search.run()
    assert result.feasible.sum() >= 10
    population = search.optimizer.algorithm.pop
    assert population.get("G").shape == (10, 1)
    assert (population.get("CV") == 0).all()


# --------------------------------------------------------------------------- the infeasible case
def test_no_feasible_cell_is_said_not_an_empty_front(device, caplog):
    with caplog.at_level(logging.WARNING, logger="eo_naslib"):
        result = minimize(device, "pls", OBJECTIVES, 60, seed=0, n_init=10, constraints=["latency_ms <= 0.5"])
    assert "no cell benchmark 'synthetic-device' measured meets ['latency_ms <= 0.5']" in caplog.text
    assert len(result.front) == 0 and not result.feasible.any() and result.measured_feasible == 0
    assert result.infeasible_message.startswith("no feasible cell: none of the 60 evaluated cells meets ['latency_ms <= 0.5']")
    assert "no cell the benchmark measured meets them either" in result.infeasible_message
    assert result.headline().startswith("NO FEASIBLE CELL")
    assert result.feasibility()["message"] == result.infeasible_message
    assert result.honesty()["front"]["size"] == 0
    closest = np.argmin(result.constraint_values[:, 0])
    assert result.best == closest  # the least violating cell is the one reported


# --------------------------------------------------------------------------- saved results
def test_saved_results_keep_feasibility(device, cap, tmp_path):
    result = minimize(device, "pls", OBJECTIVES, 60, seed=0, n_init=10, constraints=[f"latency_ms <= {cap}"])
    path = tmp_path / "result.json"
    result.to_json(path)
    back = SearchResult.from_json(path)
    assert back.constraints == result.constraints and back.measured_feasible == result.measured_feasible
    np.testing.assert_array_equal(back.constraint_values, result.constraint_values)
    np.testing.assert_array_equal(back.feasible, result.feasible)
    np.testing.assert_array_equal(back.front, result.front)
    data = json.loads(path.read_text())
    assert data["feasibility"]["feasible"] == int(result.feasible.sum())
    flipped = next(i for i, h in enumerate(data["history"]) if h["feasible"])
    data["history"][flipped]["feasible"] = False
    path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match=f"history entry {flipped} .* says feasible=False"):
        SearchResult.from_json(path)
    data["history"][flipped]["feasible"] = True
    data["constraints"] = ["latency_ms < 5"]
    path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="field 'constraints'.*use <= or >="):
        SearchResult.from_json(path)
    data["constraints"] = [result.constraints[0].text]
    data["history"][0]["constraint_values"] = ["fast"]
    path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="constraint_values"):
        SearchResult.from_json(path)


def test_plot_marks_infeasible_cells(device, cap):
    result = minimize(device, "pls", OBJECTIVES, 40, seed=0, n_init=10, constraints=[f"latency_ms <= {cap}"])
    labels = result.plot().axes[0].get_legend_handles_labels()[1]
    assert "infeasible (breaks a constraint)" in labels and f"constraint {result.constraints[0].text}" in labels


# --------------------------------------------------------------------------- scoring and configs
def test_hypervolume_counts_feasible_cells_only(device, cap, space):
    objectives = [Objective.parse(o) for o in OBJECTIVES]
    constraints = parse_constraints([f"latency_ms <= {cap}"])
    scorer = Scorer.for_benchmark(device, objectives, space, constraints=constraints)
    rows = np.random.default_rng(5).choice(len(space), 200, replace=False)
    values = np.column_stack([device.values(o.metric)[rows] for o in objectives])
    feasible = values[:, 1] <= cap
    F = np.column_stack([-values[:, 0], values[:, 1]])
    scores = scorer.score(rows, values, feasible)
    assert scores["hypervolume"] == pytest.approx(normalised_hypervolume(F[feasible], scorer.bounds))
    assert scores["front_size"] == len(brute_force_front(values[feasible], values[feasible, 1], cap))
    assert np.all(scorer.true_front()[:, 1] <= cap)
    empty = scorer.score(rows, values, np.zeros(len(rows), dtype=bool))
    assert empty["hypervolume"] == 0.0 and empty["front_size"] == 0.0
    unconstrained = Scorer.for_benchmark(device, objectives, space)
    np.testing.assert_array_equal(unconstrained.bounds.lower, scorer.bounds.lower)  # fixed normalisation


def test_runner_and_experiment_configs_take_constraints():
    shipped = load_config(CONFIGS / "pls_so2sat_latency_cap.yaml")
    assert validate(shipped)["search"]["constraints"] == ["latency_ms <= 10"]
    with pytest.raises(ConfigError, match="'latency_ms <== 10'"):
        validate({**shipped, "search": {**shipped["search"], "constraints": ["latency_ms <== 10"]}})
    experiment = {"name": "capped", "dataset": "so2sat_lcz42_micro", "objectives": OBJECTIVES, "configurations": {"a": {"epochs": 10}}}
    assert parse_experiment({**experiment, "constraints": ["latency_ms <= 10"]}).constraints == ("latency_ms <= 10",)
    with pytest.raises(ConfigError, match="unknown metric 'latncy_ms'"):
        parse_experiment({**experiment, "constraints": ["latncy_ms <= 10"]})


def test_runner_with_the_shipped_latency_cap(tmp_path, data_dir, so2sat, space):
    """The shipped config (a 10 ms cap on So2Sat's measured A100 latency), cut to 60 measured cells:
    every front cell of the files and the summary meets the cap; an impossible cap says so."""
    shipped = load_config(CONFIGS / "pls_so2sat_latency_cap.yaml")
    quick = ["out_dir", str(tmp_path), "data_dir", str(data_dir), "search.epochs", "60", "search.init", "random",
             "search.n_init", "10", "search.measured_only", "true"]
    summary = run(apply_overrides(shipped, quick), progress=False)
    directory = Path(summary["save_dir"])
    front = json.loads((directory / "pareto_front.json").read_text())
    latency = {h: so2sat.query(h, "latency_ms") for h in [f["hash"] for f in front]}
    assert front and all(v <= 10 for v in latency.values())
    result = SearchResult.from_json(directory / "search_result.json")
    assert {result.hashes[i] for i in result.front} == set(latency)
    assert summary["feasibility"]["feasible"] == int(result.feasible.sum()) > 0 and summary["feasibility"]["message"] is None
    trajectory = json.loads((directory / "trajectory.json").read_text())
    feasible_accuracy = [t["val_accuracy"] for t in trajectory if so2sat.query(t["hash"], "latency_ms") <= 10]
    _, errors = json.loads((directory / "errors.json").read_text())
    assert errors["valid_acc"][-1] == pytest.approx(100 * max(feasible_accuracy))  # the incumbent is feasible
    assert so2sat.query(summary["best_hash"], "latency_ms") <= 10
    assert summary["feasibility"]["measured_feasible"] == int((so2sat.values("latency_ms")[so2sat.measured_mask("latency_ms")] <= 10).sum())
    scorer = Scorer.for_benchmark(so2sat, result.objectives, space, constraints=result.constraints)
    assert summary["hypervolume"] == pytest.approx(scorer.score(space.indices(result.hashes), result.values, result.feasible)["hypervolume"])
    impossible = run(apply_overrides(shipped, [*quick, "search.constraints", "['latency_ms <= 1']", "out_dir", str(tmp_path / "none")]), progress=False)
    assert impossible["headline"].startswith("NO FEASIBLE CELL") and impossible["front_size"] == 0
    assert "no cell the benchmark measured meets them either" in impossible["feasibility"]["message"]
    assert json.loads((Path(impossible["save_dir"]) / "pareto_front.json").read_text()) == []


def test_constrained_experiment_scores_feasible_cells_only(tmp_path, device, cap, monkeypatch):
    """An experiment under a cap: run files carry feasibility, every scored front is feasible,
    tables and plots are written; under an impossible cap hypervolume is 0 and the report says why."""
    monkeypatch.setattr(datasets_module, "_open", lambda name, data_dir, surrogate=True: device)
    runs_module.scorer_for.cache_clear()
    base = {
        "name": "capped", "dataset": "cifar10", "objectives": OBJECTIVES, "seeds": 1, "curve_step": 20, "workers": 1,
        "out_dir": str(tmp_path), "constraints": [f"latency_ms <= {cap}"],
        "configurations": {"rs_40": {"optimizer": "rs", "epochs": 40}, "nsga2_40": {"optimizer": "nsga2", "epochs": 40}},
        "comparisons": [["rs_40", "nsga2_40"]],
    }
    report = run_experiment(parse_experiment(base), progress=False)
    assert report["constraints"] == [f"latency_ms <= {cap}"]
    record = json.loads((tmp_path / "capped" / "runs" / "nsga2_40" / "0.json").read_text())
    latency = np.array(record["front"]["values"])[:, 1]
    assert len(latency) and (latency <= cap).all() and record["settings"]["constraints"] == [f"latency_ms <= {cap}"]
    assert record["history"]["feasible"] == (np.array(record["history"]["values"])[:, 1] <= cap).tolist()
    assert record["scores"][-1]["front_size"] == len(latency)
    none = run_experiment(parse_experiment({**base, "name": "impossible", "constraints": ["latency_ms <= 0.5"]}), progress=False)
    record = json.loads((tmp_path / "impossible" / "runs" / "rs_40" / "0.json").read_text())
    assert record["front"]["hash"] == [] and record["scores"][-1]["hypervolume"] == 0.0
    assert record["feasibility"]["message"].startswith("no feasible cell")
    assert none["medians"]["rs_40"]["hypervolume"] == 0.0
    assert none["feasible_per_run"]["rs_40/0"] == record["feasibility"]["message"]
    assert report["feasible_per_run"]["nsga2_40/0"].endswith("of 40 evaluations feasible")
    assert (tmp_path / "impossible" / "plots" / "fronts.png").read_bytes()[:4] == b"\x89PNG"
    runs_module.scorer_for.cache_clear()


class TabularDevice(SyntheticDevice):
    """SYNTHETIC tabular-only benchmark: latency of odd rows unknown (raises, as a table does)."""

    def query_rows(self, rows, metric, epoch=None):
        rows = np.asarray(rows)
        if metric == "latency_ms" and (rows % 2 == 1).any():
            raise UnknownArchitectureError(f"row {rows[rows % 2 == 1][0]} has no measured latency_ms")
        return super().query_rows(rows, metric, epoch)


def test_a_constraint_value_the_table_lacks_breaks_the_constraint(space):
    table = TabularDevice(space)
    evaluator = Evaluator(table, ["val_accuracy"], budget=10, constraints=["latency_ms <= 1000"])
    np.testing.assert_array_equal(evaluator.violation([0, 1, 2, 3]), [0.0, np.inf, 0.0, np.inf])
    evaluator.evaluate(1)
    assert np.isnan(evaluator.constraint_values([1])[0, 0]) and evaluator.history_violation[0] == np.inf
