"""Two budget semantics: `distinct` cells (seed 000, NASLib; the default) and `evaluations`, repeats
included (seed 003, DEAP's max evaluations), through the Evaluator, `minimize`, `SearchResult`,
the experiment config and the NASLib-style runner config."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib.errors import ConfigError, DataFileError
from eo_naslib.experiments.config import parse_experiment
from eo_naslib.naslib_compat.config import validate
from eo_naslib.search import Evaluator, Search, SearchResult, minimize
from eo_naslib.space import CellTable
from eo_naslib.testing import SyntheticBenchmark


class Converging(SyntheticBenchmark):
    """Accuracy = 0.8 * conv3x3 ops / 5 + 0.2 * edges / 9: populations converge, so offspring repeat."""

    name = "converging"

    def __init__(self, space: CellTable) -> None:
        super().__init__(space)
        edges = space.matrices.reshape(len(space), -1).sum(axis=1)
        self._values["val_accuracy"] = 0.8 * (space.labels.astype(int) == 0).sum(axis=1) / 5 + 0.2 * edges / 9


@pytest.fixture(scope="module")
def converging(space):
    return Converging(space)


def test_ga_at_1995_evaluations_runs_104_generations_after_the_initial_19(converging, space):
    search = Search(converging, "ga", ["val_accuracy"], 1995, seed=0, space=space, budget_counts="evaluations")
    result = search.run()
    trace = search.optimizer.trace
    assert [t[0] for t in trace] == [19 * (g + 1) for g in range(105)]  # initial 19, then 104 x 19
    assert search.evaluator.spent == result.spent == 1995 and result.budget_counts == "evaluations"
    assert result.n_evaluations < 1995  # repeats were counted, not re-queried
    distinct = Search(converging, "ga", ["val_accuracy"], 1995, seed=0, space=space)
    distinct.run()
    assert len(distinct.optimizer.trace) > 105 and distinct.evaluator.spent == 1995


@pytest.mark.parametrize(("optimizer", "steps"), [("ea", 105), ("ae", 1995 - 19 + 1), ("rs", None)])
def test_every_evaluation_counts_for_ea_ae_and_rs(converging, space, optimizer, steps):
    search = Search(converging, optimizer, ["val_accuracy"], 1995, seed=1, space=space, budget_counts="evaluations")
    result = search.run()
    assert search.evaluator.spent == len(search.evaluator.charged_rows) == 1995
    if steps is not None:
        assert len(search.optimizer.trace) == steps
    assert result.to_dict()["budget_counts"] == "evaluations" and result.to_dict()["spent"] == 1995


def test_evaluator_charges_repeats_only_when_counting_evaluations(synthetic_space_benchmark, space):
    for counts, spent in (("distinct", 2), ("evaluations", 4)):
        evaluator = Evaluator(synthetic_space_benchmark, ["val_accuracy"], budget=10, space=space, budget_counts=counts)
        for row in (5, 5, 7, 5):
            evaluator.evaluate(row)
        assert evaluator.spent == spent and evaluator.history_rows == [5, 7]
        assert evaluator.charged_rows == ([5, 7] if counts == "distinct" else [5, 5, 7, 5])
        np.testing.assert_array_equal(evaluator.value(7), evaluator.evaluate(7))
        other = Evaluator(
            synthetic_space_benchmark, ["val_accuracy"], budget=10, space=space,
            budget_counts="evaluations" if counts == "distinct" else "distinct",
        )
        with pytest.raises(ConfigError, match=f"resume it with budget_counts: {counts}"):
            other.load_state_dict(evaluator.state_dict())
    with pytest.raises(ConfigError, match="budget_counts 'cells' is unknown"):
        Evaluator(synthetic_space_benchmark, ["val_accuracy"], space=space, budget_counts="cells")


def test_cell_budget_is_not_capped_at_the_domain_when_counting_evaluations(synthetic_space_benchmark, space):
    evaluator = Evaluator(
        synthetic_space_benchmark, ["val_accuracy"], budget=50, space=space, domain=[1, 2, 3], budget_counts="evaluations"
    )
    assert evaluator.budget == 50


@pytest.mark.parametrize("optimizer", ["pls", "re", "ls"])
def test_optimizers_that_look_up_values_refuse_evaluation_budgets(synthetic_space_benchmark, space, optimizer):
    with pytest.raises(ConfigError, match="set budget_counts: distinct"):
        minimize(synthetic_space_benchmark, optimizer, ["val_accuracy", "params:min"], 50, seed=0, space=space, budget_counts="evaluations")


def test_search_result_json_says_which_budget(converging, space, tmp_path):
    result = minimize(converging, "ea", ["val_accuracy"], 57, seed=2, space=space, budget_counts="evaluations")
    result.to_json(tmp_path / "r.json")
    back = SearchResult.from_json(tmp_path / "r.json")
    assert (back.budget_counts, back.spent) == ("evaluations", 57)
    data = json.loads((tmp_path / "r.json").read_text())
    data["budget_counts"] = "cells"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="budget_counts"):
        SearchResult.from_json(tmp_path / "bad.json")
    del data["budget_counts"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert SearchResult.from_json(tmp_path / "old.json").budget_counts == "distinct"  # results before the key


def test_experiment_and_runner_configs_name_the_budget():
    base = {"name": "x", "dataset": "cifar10", "objectives": ["val_accuracy", "params:min"], "configurations": {"ga": {"optimizer": "ga", "epochs": 1995}}}
    assert parse_experiment(base).budget_counts == "distinct"
    assert parse_experiment({**base, "budget_counts": "evaluations"}).budget_counts == "evaluations"
    with pytest.raises(ConfigError, match="budget_counts 'all' is unknown"):
        parse_experiment({**base, "budget_counts": "all"})
    with pytest.raises(ConfigError, match="'pls' counts its budget as distinct"):
        parse_experiment({**base, "budget_counts": "evaluations", "configurations": {"p": {"epochs": 10}}})
    runner = {"seed": 0, "search_space": "nasbench101", "dataset": "cifar10", "optimizer": "ga", "out_dir": "o", "search": {"epochs": 1995}}
    assert validate(runner)["search"]["budget_counts"] == "distinct"  # errors.json's config says it
    assert validate({**runner, "search": {"epochs": 1995, "budget_counts": "evaluations"}})["search"]["budget_counts"] == "evaluations"
    with pytest.raises(ConfigError, match="search.budget_counts"):
        validate({**runner, "optimizer": "re", "search": {"epochs": 10, "budget_counts": "evaluations"}})


@pytest.fixture(scope="module")
def synthetic_space_benchmark(space):
    return SyntheticBenchmark(space)
