"""The bridge inside real NASLib on the real benchmarks (skips where NASLib is not importable,
e.g. in CI: NASLib is not on the package index). No mocks: NASLib's own classes and Trainer."""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import naslib_bridge  # noqa: E402

NASLIB_MISSING = naslib_bridge.unavailable_reason()
pytestmark = pytest.mark.skipif(NASLIB_MISSING is not None, reason=f"NASLib not importable: {NASLIB_MISSING}")
DATASETS = ("cifar10", "so2sat_lcz42_micro", "so2sat_lcz42_macro")


@pytest.fixture(scope="module")
def naslib(data_dir):
    mp = pytest.MonkeyPatch()
    mp.setenv("EO_NASLIB_DATA", str(data_dir))
    registered = naslib_bridge.register(replace_nasbench101=True)
    yield registered
    mp.undo()


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
