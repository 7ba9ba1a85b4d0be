"""NASLib's zero-cost predictors on EO cells through the bridge, and our native proxies equal to
NASLib's computation (skips where NASLib is not importable, e.g. in CI). Synthetic So2Sat-layout
data: the correlations NASLib's runner prints mean nothing."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.naslib_setup import naslib_bridge, needs_naslib

pytestmark = needs_naslib
torch = pytest.importorskip("torch")
pytest.importorskip("h5py")

from eo_naslib.space import all_cells  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402
from eo_naslib.training.zc_job import zc_batch  # noqa: E402
from eo_naslib.training.zero_cost import PROXIES, naslib_form, zero_cost_scores  # noqa: E402

#: relative tolerance of native vs NASLib scores (float32 sums in another order); grasp sums
#: signed terms that nearly cancel, so it gets more
TOLERANCE = {"grasp": 1e-3}
DEFAULT_TOLERANCE = 1e-5
#: NASLib's flops is tensorwatch's count (BN, ReLU and pooling included, adds counted apart); ours
#: counts 2 FLOPs per multiply-accumulate of convolutions and dense layers: not compared
NOT_COMPARED = {"flops"}


@pytest.fixture(scope="module")
def so2sat_dir(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("so2sat_layout"), n_train=32, n_val=4, n_test=4)


@pytest.fixture(scope="module")
def naslib_env(so2sat_dir):
    """The bridge's zero-cost data (conftest's `naslib` registers it): the synthetic So2Sat layout."""
    return {"EO_NASLIB_SO2SAT": str(so2sat_dir)}


def test_native_proxies_equal_naslibs_on_five_cells(naslib, so2sat_dir):
    """NASLib's `ZeroCost.query` on the bridge's space (our network as a NASLib graph) against
    `zero_cost_scores` on the same network and batch; returns the worst relative differences."""
    zero_cost = importlib.import_module("naslib.predictors").ZeroCost
    x, y, _ = zc_batch(so2sat_dir, "s2", 8, 0)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    table = all_cells()
    worst = {}
    for index in np.random.default_rng(0).choice(len(table), 5, replace=False):
        cell = table.cell(int(index)).nb101()
        space = naslib_bridge.EONasBench101SearchSpace(dataset="so2sat_lcz42_micro")
        space.set_spec(cell)
        torch.manual_seed(0)
        space.model = naslib_bridge.NASLibNB101Network(cell, in_channels=10, num_classes=17, stem_channels=16,
                                                       num_stacks=2, cells_per_stack=1)
        for name in sorted(set(PROXIES) - NOT_COMPARED):
            torch.manual_seed(1)
            theirs = zero_cost(method_type=name).query(space, dataloader=loader)
            torch.manual_seed(1)
            next(iter(loader))  # NASLib's loader iteration draws once from the global generator (zen draws after it)
            mine = naslib_form(name, zero_cost_scores(space.model, x, y, [name])[name])
            assert mine == pytest.approx(theirs, rel=TOLERANCE.get(name, DEFAULT_TOLERANCE)), (cell.hash, name)
            worst[name] = max(worst.get(name, 0.0), abs(mine - theirs) / max(abs(theirs), 1e-300))
    print("max relative differences:", json.dumps(worst))


def _runner(tmp_path, data_dir, so2sat_dir, runner, config, *opts):
    """NASLib's own runner script, unchanged, in a fresh interpreter with the bridge registered."""
    root = Path(importlib.import_module("naslib.utils").get_project_root())
    code = ("import runpy, naslib_bridge; naslib_bridge.register(replace_nasbench101=True); "
            f"runpy.run_path({str(root / 'runners' / runner / 'runner.py')!r}, run_name='__main__')")
    env = {**os.environ, "EO_NASLIB_DATA": str(data_dir), "EO_NASLIB_SO2SAT": str(so2sat_dir), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(Path(naslib_bridge.__file__).parent), *sys.path])}
    done = subprocess.run([sys.executable, "-c", code, "--config-file", str(root / "runners" / runner / config),
                           "out_dir", str(tmp_path), *opts], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.parametrize("predictor", ["synflow", "jacov", "snip"])
def test_naslib_predictor_runner_with_zero_cost_on_so2sat_layout_data(naslib, tmp_path, data_dir, so2sat_dir, predictor):
    output = _runner(tmp_path, data_dir, so2sat_dir, "predictors", "predictor_config.yaml", "search_space", "nasbench101",
                     "dataset", "so2sat_lcz42_micro", "predictor", predictor, "test_size", "4", "train_size_single", "2",
                     "hparams_from_file", "none", "search.batch_size", "4")
    results = json.loads(next(tmp_path.rglob("errors.json")).read_text())
    assert len(results[-1]["full_testpred"]) == 4 and all(np.isfinite(results[-1]["full_testpred"]))
    assert f"predictor: {predictor}" in output and "synthetic So2Sat-layout data" in output


@pytest.mark.parametrize("dataset", ["cifar10", "so2sat_lcz42_micro"])
def test_naslib_predictor_runner_with_xgb(naslib, tmp_path, data_dir, so2sat_dir, dataset):
    _runner(tmp_path, data_dir, so2sat_dir, "predictors", "predictor_config.yaml", "search_space", "nasbench101",
            "dataset", dataset, "predictor", "xgb", "test_size", "10", "train_size_single", "10", "hparams_from_file", "none")
    results = json.loads(next(tmp_path.rglob("errors.json")).read_text())
    assert -1 <= results[-1]["kendalltau"] <= 1 and len(results[-1]["full_testpred"]) == 10


@pytest.mark.parametrize("dataset", ["cifar10", "so2sat_lcz42_micro"])
def test_naslib_nas_predictors_runner_with_npenas_and_xgb(naslib, tmp_path, data_dir, so2sat_dir, dataset):
    """NASLib's runners/nas_predictors (NPENAS with its XGBoost predictor; the stock space builds a
    network per sampled cell: ours on So2Sat, nasbench_pytorch's on cifar10)."""
    _runner(tmp_path, data_dir, so2sat_dir, "nas_predictors", "discrete_config.yaml", "search_space", "nasbench101",
            "dataset", dataset, "optimizer", "npenas", "search.predictor_type", "xgb", "search.epochs", "8",
            "search.num_init", "4", "search.k", "4", "search.num_candidates", "5", "search.num_ensemble", "1")
    _, trajectory = json.loads(next(tmp_path.rglob("errors.json")).read_text())
    assert len(trajectory["valid_acc"]) == 8 and all(v > 0 for v in trajectory["valid_acc"])
