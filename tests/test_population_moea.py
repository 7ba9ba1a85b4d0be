"""The benchmarks as a pymoo Problem, `pymoo.optimize.minimize` on it, and the `nsga2` optimizer
(NSGA-II, SMS-EMOA, MOEA/D): budget, determinism, resume after a kill."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.operators.crossover.pntx import SinglePointCrossover
from pymoo.operators.sampling.rnd import IntegerRandomSampling
from pymoo.optimize import minimize

from eo_naslib.errors import ConfigError
from eo_naslib.search import OPTIMIZERS, Evaluator
from eo_naslib.search.moea import PymooSearch
from eo_naslib.search.pareto import non_dominated
from eo_naslib.search.problem import CellProblem, GenotypeMutation, GenotypeRepair
from eo_naslib.testing import SyntheticBenchmark

OBJECTIVES = ["val_accuracy", "train_time_s:min"]


@pytest.fixture(scope="module")
def synthetic(space):
    return SyntheticBenchmark(space)


def test_pymoo_minimize_runs_nsga2_on_the_problem(space, synthetic):
    evaluator = Evaluator(synthetic, OBJECTIVES, budget=300, space=space)
    problem = CellProblem(evaluator, seed=0)
    algorithm = NSGA2(
        pop_size=20,
        sampling=IntegerRandomSampling(),
        crossover=SinglePointCrossover(),
        mutation=GenotypeMutation(),
        repair=GenotypeRepair(),
        eliminate_duplicates=True,
    )
    result = minimize(problem, algorithm, ("n_gen", 8), seed=1)
    assert 20 < evaluator.n_evaluations <= 300
    assert np.isfinite(result.F).all()
    # F is the minimisation form scaled by each objective's range over the space
    values = evaluator.to_minimisation(evaluator.history_values)
    scale = np.array([np.ptp(synthetic.values(m)) for m in ("val_accuracy", "train_time_s")])
    assert np.isin(np.round(result.F * scale, 9), np.round(values, 9)).all()


def test_problem_marks_unpaid_rows_infinite(space, synthetic):
    evaluator = Evaluator(synthetic, OBJECTIVES, budget=5, space=space)
    problem = CellProblem(evaluator, seed=0)
    X = np.random.default_rng(0).integers(0, 2, (12, problem.n_var))
    F = problem.evaluate(X)
    assert evaluator.n_evaluations == 5
    assert np.isinf(F[problem.last_rows < 0]).all() and np.isfinite(F[problem.last_rows >= 0]).all()


@pytest.mark.parametrize("algorithm", ["nsga2", "smsemoa", "moead"])
def test_nsga2_optimizer_spends_the_budget_and_improves(space, synthetic, algorithm):
    evaluator = Evaluator(synthetic, OBJECTIVES, budget=400, space=space)
    optimizer = OPTIMIZERS["nsga2"](evaluator, seed=0, algorithm=algorithm)
    optimizer.run()
    assert evaluator.n_evaluations == 400 == len(set(evaluator.history_rows))
    rows, values = optimizer.front()
    assert len(rows) >= 2
    minimised = evaluator.to_minimisation(evaluator.history_values)
    assert non_dominated(minimised).sum() == len(rows)
    # the front dominates the random start's front somewhere: the best accuracy grows
    assert values[:, 0].max() > evaluator.history_values[:20, 0].max()


def history(space, benchmark, seed, budget=300, **search):
    evaluator = Evaluator(benchmark, OBJECTIVES, budget=budget, space=space)
    OPTIMIZERS["nsga2"](evaluator, seed=seed, **search).run()
    return evaluator.history_rows


@pytest.mark.parametrize("init", ["random", "lhs"])
def test_same_seed_same_run(space, synthetic, init):
    assert history(space, synthetic, 3, init=init) == history(space, synthetic, 3, init=init)
    assert history(space, synthetic, 3, init=init) != history(space, synthetic, 4, init=init)


@pytest.mark.parametrize("algorithm", ["nsga2", "smsemoa"])
def test_resume_after_kill_gives_the_same_run(space, synthetic, algorithm):
    evaluator = Evaluator(synthetic, OBJECTIVES, budget=300, space=space)
    optimizer = PymooSearch(evaluator, seed=3, algorithm=algorithm)
    while evaluator.n_evaluations < 120:
        optimizer.step()
    saved = json.loads(json.dumps({"evaluator": evaluator.state_dict(), "optimizer": optimizer.state_dict()}))
    evaluator = Evaluator(synthetic, OBJECTIVES, budget=300, space=space)
    evaluator.load_state_dict(saved["evaluator"])
    optimizer = PymooSearch(evaluator, seed=77, algorithm=algorithm)
    optimizer.load_state_dict(saved["optimizer"])
    optimizer.run()
    assert evaluator.history_rows == history(space, synthetic, 3, algorithm=algorithm)


def test_bad_keys(space, synthetic):
    with pytest.raises(ConfigError, match="two objectives"):
        PymooSearch(Evaluator(synthetic, ["val_accuracy"], budget=10, space=space))
    with pytest.raises(ConfigError, match="search.algorithm"):
        PymooSearch(Evaluator(synthetic, OBJECTIVES, budget=10, space=space), algorithm="spea2")
