"""NASLib's learning-curve predictors through the bridge, in real NASLib (skips where NASLib is not
importable, e.g. in CI): its unchanged predictor runner completes with LC predictors on a store built
by the creation pipeline (SYNTHETIC stand-in curves: the correlations mean nothing) and on CIFAR-10's
four fidelities; data without curves, and a fidelity that would show the predictor its target,
are refused in one line."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from eo_naslib.creation import get_backend, load_plan, make_plan, run_plan
from eo_naslib.creation.store import build_store
from eo_naslib.errors import ConfigError, UnknownMetricError
from tests.naslib_setup import naslib_bridge, needs_naslib
from tests.test_naslib_real import _naslib_runner

pytestmark = needs_naslib


@pytest.fixture(scope="module")
def built_data(tmp_path_factory):
    """A data dir holding `synthetic_curves`: 60 cells, stand-in curves at epochs 1..6 (SYNTHETIC)."""
    root = tmp_path_factory.mktemp("curves")
    plan = make_plan(
        {
            "name": "synthetic_curves",
            "description": "SYNTHETIC stand-in curves for NASLib's LC predictors",
            "sampler": {"kind": "lhs", "n": 60, "seed": 3},
            "job": "sleep",
            "settings": {"epochs": 6},
        }
    )
    plan.save(root / "plan")
    plan = load_plan(root / "plan")
    with get_backend("local", workers=2) as backend:
        assert not run_plan(plan, backend, progress=False).failed
    build_store(plan.results, "synthetic_curves", root / "data", plan=plan, surrogate=False)
    return root / "data"


def _result(tmp_path):
    return json.loads(next(tmp_path.rglob("errors.json")).read_text())[-1]


@pytest.mark.parametrize("predictor", ["valacc", "sotle", "lcsvr"])
def test_naslib_predictor_runner_runs_lc_predictors_on_a_built_store(naslib, tmp_path, built_data, predictor):
    output = _naslib_runner(tmp_path, built_data, "predictors", True, "search_space", "nasbench101", "dataset", "synthetic_curves",
                            "predictor", predictor, "test_size", "10", "train_size_single", "10", "fidelity_single", "3",
                            "hparams_from_file", "none")
    result = _result(tmp_path)
    assert result["fidelity"] == 3 and -1 <= result["kendalltau"] <= 1
    assert "fidelity 3 on synthetic_curves: the learning curves at the recorded epochs [1, 2, 3]" in output


def test_naslib_predictor_runner_runs_valacc_on_cifar10s_four_fidelities(naslib, tmp_path, data_dir):
    output = _naslib_runner(tmp_path, data_dir, "predictors", True, "search_space", "nasbench101", "dataset", "cifar10",
                            "predictor", "valacc", "test_size", "10", "train_size_single", "10", "fidelity_single", "2",
                            "hparams_from_file", "none")
    assert _result(tmp_path)["fidelity"] == 2
    assert "fidelity 2 on cifar10: the learning curves at the recorded epochs [4, 12]" in output


def _evaluator(tmp_path, predictor, dataset):
    utils = importlib.import_module("naslib.utils")
    config_file = Path(utils.get_project_root()) / "runners" / "predictors" / "predictor_config.yaml"
    args = utils.parse_args(args=["--config-file", str(config_file), "search_space", "nasbench101", "dataset", dataset,
                                  "out_dir", str(tmp_path)])
    config = utils.get_config_from_args(args, config_type="predictor")
    evaluator = importlib.import_module("naslib.defaults.predictor_evaluator").PredictorEvaluator
    return evaluator(predictor, config=config)


def test_lc_predictors_are_refused_on_data_without_curves_in_one_line(naslib, tmp_path):
    predictors = importlib.import_module("naslib.predictors")
    metric = importlib.import_module("naslib.search_spaces.core.query_metrics").Metric
    api = naslib["get_dataset_api"]("nasbench101", "so2sat_lcz42_micro")
    evaluator = _evaluator(tmp_path, predictors.EarlyStopping(metric=metric.VAL_ACCURACY), "so2sat_lcz42_micro")
    with pytest.raises(UnknownMetricError, match=r"holds val_accuracy at epoch \[108\] only, so it has no learning curve; .*eo-naslib build"):
        evaluator.adapt_search_space(naslib_bridge.EONasBench101SearchSpace(), load_labeled=False, dataset_api=api)
    cifar10 = naslib["get_dataset_api"]("nasbench101", "cifar10")
    evaluator = _evaluator(tmp_path, predictors.SoLosspredictor(metric=metric.TRAIN_LOSS, sum_option="SoTLE"), "cifar10")
    with pytest.raises(UnknownMetricError, match="'cifar10' has no train_loss, so no learning curve"):
        evaluator.adapt_search_space(naslib_bridge.EONasBench101SearchSpace(), load_labeled=False, dataset_api=cifar10)
    # a model-based predictor needs no curve: nothing refused, and the data's curves are declared
    evaluator = _evaluator(tmp_path, predictors.XGBoost(hpo_wrapper=False), "cifar10")
    evaluator.adapt_search_space(naslib_bridge.EONasBench101SearchSpace(), load_labeled=False, dataset_api=cifar10)
    assert evaluator.full_lc is True


def test_a_fidelity_reaching_the_scored_value_is_refused(naslib, tmp_path):
    predictors = importlib.import_module("naslib.predictors")
    metric = importlib.import_module("naslib.search_spaces.core.query_metrics").Metric
    cifar10 = naslib["get_dataset_api"]("nasbench101", "cifar10")
    evaluator = _evaluator(tmp_path, predictors.EarlyStopping(metric=metric.VAL_ACCURACY), "cifar10")
    evaluator.adapt_search_space(naslib_bridge.EONasBench101SearchSpace(), load_labeled=False, dataset_api=cifar10)
    assert evaluator.full_lc is True
    with pytest.raises(ConfigError, match=r"fidelity 4 is outside 1..3: 'cifar10' records val_accuracy at epochs \[4, 12, 36, 108\]"):
        evaluator.single_evaluate([[], [], [], []], [[], [], [], []], fidelity=4)
