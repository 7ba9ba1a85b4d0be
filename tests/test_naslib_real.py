"""The bridge inside real NASLib on the real benchmarks (skips where NASLib is not importable,
e.g. in CI: NASLib is not on the package index). No mocks: NASLib's own classes and Trainer."""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eo_naslib.errors import UnknownMetricError
from tests.naslib_setup import naslib_bridge, needs_naslib

pytestmark = needs_naslib
DATASETS = ("cifar10", "so2sat_lcz42_micro", "so2sat_lcz42_macro")


def _config(tmp_path, space, dataset, optimizer, epochs, *opts):
    utils = importlib.import_module("naslib.utils")
    path = Path(utils.get_project_root()) / "runners" / "bbo" / "discrete_config.yaml"
    args = utils.parse_args(args=["--config-file", str(path), "search_space", space, "dataset", dataset, "optimizer", optimizer,
                                  "out_dir", str(tmp_path), "search.epochs", str(epochs), *opts])
    config = utils.get_config_from_args(args, config_type="bbo-bs")
    config.search.use_zc_api = False  # NASLib's shipped yaml lacks it
    return config


def test_space_and_dataset_api_are_visible_everywhere_naslib_looks(naslib):
    search_spaces = importlib.import_module("naslib.search_spaces")
    assert search_spaces.supported_search_spaces["eo_nasbench101"] is naslib_bridge.EONasBench101SearchSpace
    assert isinstance(search_spaces.get_search_space("eo_nasbench101", "so2sat_lcz42_micro"), naslib_bridge.EONasBench101SearchSpace)
    # the two import sites NASLib's runners use: `from naslib.utils import ...` and
    # `from naslib.utils.get_dataset_api import ...`
    from_package = importlib.import_module("naslib.utils").get_dataset_api
    from_module = sys.modules["naslib.utils.get_dataset_api"].get_dataset_api
    assert from_package is from_module is naslib["get_dataset_api"]
    api = from_module("eo_nasbench101", "so2sat_lcz42_micro")
    assert {"api", "nb101_data", "benchmark"} <= set(api)


@pytest.mark.parametrize("dataset", DATASETS)
def test_naslib_stock_nasbench101_answers_equal_ours(naslib, dataset):
    metric = importlib.import_module("naslib.search_spaces.core.query_metrics").Metric
    stock_cls = importlib.import_module("naslib.search_spaces.nasbench101.graph").NasBench101SearchSpace
    api = naslib["get_dataset_api"]("nasbench101", dataset)
    np.random.seed(1)
    for _ in range(20):
        stock = stock_cls()
        stock.instantiate_model = False
        stock.sample_random_architecture(dataset_api=api)
        ours = naslib_bridge.EONasBench101SearchSpace()
        ours.set_spec(stock.get_spec())
        for m in (metric.TRAIN_ACCURACY, metric.VAL_ACCURACY, metric.TEST_ACCURACY, metric.TRAIN_TIME):
            theirs, mine = stock.query(m, dataset, dataset_api=api), ours.query(m, dataset, dataset_api=api)
            assert (math.isnan(theirs) and math.isnan(mine)) or theirs == pytest.approx(mine)
        assert stock.query(metric.PARAMETERS, dataset, dataset_api=api) == pytest.approx(100 * ours.query(metric.PARAMETERS, dataset, dataset_api=api))
        child = stock_cls()
        child.instantiate_model = False
        child.mutate(stock, dataset_api=api)
        assert api["nb101_data"].is_valid(api["api"].ModelSpec(**child.get_spec()))
    # on NASLib's padded spec of a cell, NASLib's neighbours are among ours (ours add the moves of
    # the cell's other vertex orders); docs/naslib_bridge.md
    for _ in range(10):
        ours.sample_random_architecture(dataset_api=api)
        stock = stock_cls()
        stock.instantiate_model = False
        stock.set_spec(ours.get_spec())
        theirs = {api["api"].ModelSpec(**n.arch.get_spec()).hash_spec() for n in stock.get_nbhd(dataset_api=api)}
        assert theirs - {ours.get_hash()} <= {n.arch.get_hash() for n in ours.get_nbhd(dataset_api=api)}


@pytest.mark.parametrize(("space", "optimizer"), [("eo_nasbench101", "ls"), ("nasbench101", "re"), ("eo_nasbench101", "eo_re")])
def test_naslib_trainer_runs_and_flags_measured_cells(naslib, tmp_path, space, optimizer):
    config = _config(tmp_path, space, "so2sat_lcz42_micro", optimizer, 25, "search.num_init", "5")
    naslib_bridge.run(config, quiet=True)
    saved, trajectory = json.loads(Path(config.save, "errors.json").read_text())
    assert saved["optimizer"] == optimizer and len(trajectory["valid_acc"]) == 25
    assert all(isinstance(m, bool) for m in trajectory["measured"]) and len(trajectory["measured"]) == 25
    assert len(trajectory["arch_hash"]) == 25 and isinstance(trajectory["params"], (int, float))
    assert "Epoch 24 done" in Path(config.save, "log.log").read_text()


@pytest.mark.parametrize("dataset", DATASETS)
def test_naslib_base_predictor_runs_through_its_trainer(naslib, tmp_path, dataset):
    """NASLib's bp returns 3 statistics where its Trainer unpacks 4; the bridge adds the train time.
    (Keep NASLib's default ensemble: with num_ensemble 1 bp averages its one prediction vector to a
    number and has one cell to choose, a NASLib defect.)"""
    config = _config(tmp_path, "eo_nasbench101", dataset, "bp", 30, "search.predictor_type", "xgb")
    naslib_bridge.run(config, quiet=True)
    _, trajectory = json.loads(Path(config.save, "errors.json").read_text())
    assert len(trajectory["valid_acc"]) == 30 and all(t > 0 for t in trajectory["train_time"])
    assert len(set(trajectory["arch_hash"])) > 1


def test_metrics_cifar10_lacks_are_nan_not_a_crash(naslib, tmp_path):
    config = _config(tmp_path, "eo_nasbench101", "cifar10", "rs", 10)
    naslib_bridge.run(config, quiet=True)
    _, trajectory = json.loads(Path(config.save, "errors.json").read_text())
    assert all(math.isnan(v) for v in trajectory["train_acc"]) and all(v > 80 for v in trajectory["valid_acc"])


def test_measured_only_keeps_naslib_optimizers_on_measured_cells(naslib, tmp_path):
    config = _config(tmp_path, "eo_nasbench101", "so2sat_lcz42_micro", "re", 30, "search.sample_size", "5", "search.population_size", "10")
    config.search.measured_only = True
    naslib_bridge.run(config, quiet=True)
    _, trajectory = json.loads(Path(config.save, "errors.json").read_text())
    assert trajectory["measured"] == [True] * 30


@pytest.mark.parametrize("optimizer", ["eo_rs", "eo_re", "eo_ls", "eo_pls"])
def test_measured_only_keeps_our_optimizers_on_measured_cells(naslib, tmp_path, so2sat, optimizer):
    """Under NASLib's Trainer (report_incumbent=False) epoch e reports our e-th evaluated cell."""
    config = _config(tmp_path, "eo_nasbench101", "so2sat_lcz42_micro", optimizer, 50)
    config.search.measured_only = True
    naslib_bridge.run(config, quiet=True)
    _, trajectory = json.loads(Path(config.save, "errors.json").read_text())
    hashes = trajectory["arch_hash"]
    assert len(set(hashes)) == 50 and trajectory["measured"] == [True] * 50
    assert all(so2sat.is_measured(h, m) for h in hashes for m in ("val_accuracy", "train_time_s"))


@pytest.mark.parametrize("predictor", ["gcn", "bonas", "nao", "bananas", "xgb"])
def test_predictors_on_naslib_encodings_run(naslib, tmp_path, predictor):
    """NPENAS fits the predictor once here (k > epochs); gcn/bonas/nao/bananas need NASLib's
    gcn/bonas/seminas/path encodings."""
    config = _config(tmp_path, "eo_nasbench101", "so2sat_lcz42_micro", "npenas", 18, "search.predictor_type", predictor,
                     "search.num_init", "10", "search.k", "30", "search.num_ensemble", "1")
    naslib_bridge.run(config, quiet=True)
    _, trajectory = json.loads(Path(config.save, "errors.json").read_text())
    assert len(trajectory["valid_acc"]) == 18


def _stock(api, spec=None):
    stock = importlib.import_module("naslib.search_spaces.nasbench101.graph").NasBench101SearchSpace()
    stock.instantiate_model = False
    if spec is not None:
        stock.set_spec(spec, dataset_api=api)
    return stock


def test_naslib_stock_paths_on_cifar10_answer_at_every_epoch(naslib):
    """The paths that raised UnknownMetricError on CIFAR-10 (train time held at 108 only)."""
    metric = importlib.import_module("naslib.search_spaces.core.query_metrics").Metric
    api = naslib["get_dataset_api"]("nasbench101", "cifar10")
    data, benchmark = api["nb101_data"], api["benchmark"]
    cell_hash = str(benchmark.measured_hashes()[11])
    time_108 = benchmark.query(cell_hash, "train_time_s")
    stock = _stock(api, cell_hash)  # set_spec(<hash>) reads get_metrics_from_hash
    spec = api["api"].ModelSpec(**stock.get_spec())
    assert data.get_metrics_from_spec(spec)[1][4][0]["final_training_time"] == time_108
    for epochs in (4, 12, 36, 108):
        result = data.query(spec, epochs=epochs)
        assert result["training_time"] == time_108
        assert result["validation_accuracy"] == benchmark.query(cell_hash, "val_accuracy", epoch=epochs)
    # the learning curve the data holds (fractions, as NASLib's full_lc does not scale): the four
    # recorded fidelities, not NASLib's 88-long repetition of them
    curve = stock.query(metric.VAL_ACCURACY, "cifar10", full_lc=True, dataset_api=api)
    assert curve == [benchmark.query(cell_hash, "val_accuracy", epoch=e) for e in (4, 12, 36, 108)]
    with pytest.raises(UnknownMetricError, match=r"train_time_s at epoch \[108\] only"):
        stock.query(metric.TRAIN_TIME, "cifar10", full_lc=True, dataset_api=api)
    ours = naslib_bridge.EONasBench101SearchSpace()
    ours.set_spec(cell_hash, dataset_api=api)
    assert ours.query(metric.TRAIN_TIME, "cifar10", epoch=4, dataset_api=api) == time_108


def test_measured_only_api_keeps_naslibs_stock_class_on_measured_cells(naslib):
    api = naslib["get_dataset_api"]("nasbench101", "so2sat_lcz42_micro", measured_only=True)
    measured = set(api["benchmark"].measured_hashes())
    metric = importlib.import_module("naslib.search_spaces.core.query_metrics").Metric
    hash_of = lambda arch: api["api"].ModelSpec(**arch.get_spec()).hash_spec()  # noqa: E731
    np.random.seed(5)
    for _ in range(3):
        stock = _stock(api)
        stock.sample_random_architecture(dataset_api=api)
        child = _stock(api)
        child.mutate(stock, dataset_api=api)
        assert {hash_of(stock), hash_of(child)} <= measured
        assert all(hash_of(n.arch) in measured for n in stock.get_nbhd(dataset_api=api))
        assert stock.query(metric.VAL_ACCURACY, "so2sat_lcz42_micro", dataset_api=api) > 0
    assert set(stock.get_arch_iterator(api)) == measured and api["answers"].predicted == 0


def _naslib_runner(tmp_path, data_dir, runner, measured_only, *opts):
    """NASLib's own runner script, unchanged, in a fresh interpreter with the bridge registered."""
    root = Path(importlib.import_module("naslib.utils").get_project_root())
    config = root / "runners" / runner / ("statistics_config.yaml" if runner == "statistics" else "predictor_config.yaml")
    code = ("import runpy, naslib_bridge; naslib_bridge.register(replace_nasbench101=True); "
            f"runpy.run_path({str(root / 'runners' / runner / 'runner.py')!r}, run_name='__main__')")
    env = {**os.environ, "EO_NASLIB_DATA": str(data_dir), "EO_NASLIB_MEASURED_ONLY": "1" if measured_only else "0",
           "PYTHONPATH": os.pathsep.join([str(Path(naslib_bridge.__file__).parent), *sys.path])}
    done = subprocess.run([sys.executable, "-c", code, "--config-file", str(config), "out_dir", str(tmp_path), *opts],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.parametrize("dataset", ["cifar10", "so2sat_lcz42_micro"])
def test_naslib_statistics_runner_completes(naslib, tmp_path, data_dir, dataset):
    output = _naslib_runner(tmp_path, data_dir, "statistics", False, "search_space", "nasbench101", "dataset", dataset,
                            "max_set_size", "30", "max_nbhd_trials", "1", "max_autocorr_trials", "1", "autocorr_size", "3", "walks", "3")
    _, results = json.loads(next(tmp_path.rglob("statistics.json")).read_text())
    assert results["size"] == 30 and results["mean_time"] > 0 and results["nbhd_size_mean"] > 0
    assert "answers given to NASLib" in output  # the share of predictions, once


def test_naslib_predictor_evaluator_on_measured_cells_only(naslib, tmp_path, data_dir):
    output = _naslib_runner(tmp_path, data_dir, "predictors", True, "search_space", "nasbench101", "dataset",
                            "so2sat_lcz42_micro", "predictor", "xgb", "test_size", "20", "train_size_single", "20",
                            "hparams_from_file", "none")  # no such file: XGBoost defaults
    results = json.loads(next(tmp_path.rglob("errors.json")).read_text())
    assert -1 <= results[-1]["kendalltau"] <= 1
    assert "all 80 answers given to NASLib were measured values" in output  # 40 cells x (val acc, train time)
    assert "surrogate predictions" not in output
