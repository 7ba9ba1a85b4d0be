"""Native zero-cost proxies, `eo-naslib zc`'s job, and `build plan --job zc` to NAS-Bench-Suite-Zero's
table (tiny networks and synthetic So2Sat-layout data: the scores rank nothing real). Their equality
with NASLib's own computation is tests/test_naslib_zero_cost.py (NASLib test set)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import eo_naslib
from eo_naslib.cli import main
from eo_naslib.creation.plan import load_config

torch = pytest.importorskip("torch")
pytest.importorskip("h5py")

from eo_naslib.benchmarks import load_benchmark  # noqa: E402
from eo_naslib.benchmarks.metrics import METRICS, ZERO_COST_PROXIES  # noqa: E402
from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan  # noqa: E402
from eo_naslib.creation.store import build_store  # noqa: E402
from eo_naslib.errors import ConfigError, DataFileError  # noqa: E402
from eo_naslib.naslib_compat.search_space import NASLIB_TUPLE_OPS  # noqa: E402
from eo_naslib.naslib_compat.zc_api import naslib_tuple_key, zc_table  # noqa: E402
from eo_naslib.space import Cell, all_cells  # noqa: E402
from eo_naslib.training.network import build_network  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402
from eo_naslib.training.zc_job import zc_batch, zc_fingerprint, zc_job  # noqa: E402
from eo_naslib.training.zero_cost import PROXIES, naslib_form, zero_cost_scores  # noqa: E402

TINY = {"stem_channels": 4, "num_stacks": 1, "cells_per_stack": 1, "batch_size": 4}


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("so2sat_zc"), n_train=24, n_val=4, n_test=4)


@pytest.fixture(scope="module")
def batch(synthetic_dir):
    return zc_batch(synthetic_dir, "s2", 4, 0)


def tiny_network(cell, seed=0):
    torch.manual_seed(seed)
    return build_network(cell, in_channels=10, num_classes=17, stem_channels=4, num_stacks=1, cells_per_stack=1)


def test_every_naslib_proxy_is_offered_and_stored_as_a_metric():
    assert sorted(PROXIES) == sorted(ZERO_COST_PROXIES)
    assert all(f"zc_{name}" in METRICS for name in PROXIES)


def test_proxies_leave_the_network_unchanged_and_repeat(one_torch_thread, batch):
    x, y, synthetic = batch
    assert synthetic and x.shape == (4, 10, 32, 32)
    net = tiny_network(all_cells().cell(77))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    names = sorted(PROXIES)
    torch.manual_seed(3)
    first = zero_cost_scores(net, x, y, names)
    torch.manual_seed(3)
    assert zero_cost_scores(net, x, y, names) == first
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_synflow_sees_only_magnitudes_and_the_input_shape(one_torch_thread, batch):
    x, y, _ = batch
    net = tiny_network(all_cells().cell(5))
    flipped = tiny_network(all_cells().cell(5))
    with torch.no_grad():
        for p in flipped.parameters():
            p.neg_()
    value = PROXIES["synflow"](net, x, y)
    assert value > 0 and PROXIES["synflow"](flipped, x, y) == pytest.approx(value, rel=1e-12)
    assert PROXIES["synflow"](net, torch.randn_like(x), y) == pytest.approx(value, rel=1e-12)
    assert naslib_form("synflow", value) == pytest.approx(torch.log(torch.tensor(value, dtype=torch.float64)).item())
    assert naslib_form("jacov", float("nan")) == -1e8


def test_l2_norm_and_params_against_their_definitions(batch):
    x, y, _ = batch
    net = tiny_network(all_cells().cell(9))
    weights = [m.weight for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert PROXIES["l2_norm"](net, x, y) == pytest.approx(sum(float(w.detach().pow(2).sum().sqrt()) for w in weights))
    assert PROXIES["params"](net, x, y) == sum(p.numel() for p in net.parameters()) / 1e6


def test_zc_settings_are_checked(synthetic_dir):
    with pytest.raises(ConfigError, match="unknown zero-cost proxies"):
        zc_fingerprint({"proxies": ["synflw"]})
    with pytest.raises(ConfigError, match="batch_size must be at least 2"):
        zc_fingerprint({"batch_size": 1})
    with pytest.raises(ConfigError, match="unknown zc settings"):
        zc_fingerprint({"epochs": 3})
    with pytest.raises(ConfigError, match="fewer than batch_size"):
        zc_job(all_cells().cell(1), {**TINY, "batch_size": 999, "data_dir": str(synthetic_dir)})
    with pytest.raises(DataFileError, match="training.h5 does not exist"):
        zc_job(all_cells().cell(1), {**TINY, "data_dir": str(synthetic_dir / "nowhere")})
    assert zc_fingerprint({"data_dir": "/a"}) == zc_fingerprint({"data_dir": "/b"})


def test_build_plan_job_zc_to_naslib_zc_table(one_torch_thread, tmp_path, synthetic_dir, data_dir):
    """`build plan --job zc` on the local backend, `build store`, then NAS-Bench-Suite-Zero's table."""
    config = {"name": "zc_tiny", "sampler": {"kind": "lhs", "n": 3, "seed": 0}, "job": "zc",
              "settings": {**TINY, "data_dir": str(synthetic_dir), "proxies": ["synflow", "jacov", "snip"]}}
    make_plan(config).save(tmp_path / "plan")
    plan = load_plan(tmp_path / "plan")
    with get_backend("local", workers=1) as backend:
        summary = run_plan(plan, backend, progress=False, poll_s=0.1)
    assert summary.failed == {}
    records = {r["cell"]["hash"]: r for r in read_records(plan.results)}
    assert len(records) == 3 and all(r["synthetic"] for r in records.values())
    build_store(plan.results, "zc_tiny", directory=data_dir, plan=plan, surrogate=False)
    store = load_benchmark("zc_tiny", data_dir, surrogate=False)
    assert store.store.provenance["synthetic"] is True
    table = zc_table("so2sat_lcz42_micro", "zc_tiny", str(data_dir))
    assert len(table) == 3
    for cell_hash, record in records.items():
        entry = table[naslib_tuple_key(cell_hash)]
        assert {k: entry[k]["score"] for k in ("synflow", "jacov", "snip")} == {
            k: record["zero_cost"][k]["score"] for k in ("synflow", "jacov", "snip")}
        assert 0 < entry["val_accuracy"] <= 100 and isinstance(entry["val_accuracy_measured"], bool)
        key = ast.literal_eval(naslib_tuple_key(cell_hash))  # NASLib's bbo runner evals the keys
        ops = [NASLIB_TUPLE_OPS[o] for o in key[49:]]
        assert len(key) == 56 and Cell.from_spec({"matrix": [key[i * 7:(i + 1) * 7] for i in range(7)], "ops": ops}).hash == cell_hash
    with pytest.raises(DataFileError, match="holds no zero-cost scores"):
        zc_table("so2sat_lcz42_micro", "so2sat", str(data_dir))


def test_zc_config_scores_the_sensor_studys_cells():
    configs = Path(eo_naslib.__file__).parent / "configs" / "creation"
    zc, s2 = (make_plan(load_config(configs / f"so2sat_{name}.yaml")) for name in ("zc", "s2"))
    assert zc.kind == "zc" and [j.hash for j in zc.jobs] == [j.hash for j in s2.jobs]
    assert sorted(zc.settings["proxies"]) == sorted(PROXIES)


def test_zc_command_prints_scores_and_says_synthetic(one_torch_thread, synthetic_dir, capsys):
    cell_hash = all_cells().hashes[5]
    assert main(["zc", "--hash", cell_hash, "--data", str(synthetic_dir), "--batch-size", "2", "--stem-channels", "2",
                 "--proxies", "synflow,params"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["cell"] == cell_hash and printed["data"].startswith("synthetic data")
    assert set(printed["zero_cost"]) == {"synflow", "params"}
    assert main(["zc", "--hash", cell_hash, "--data", str(synthetic_dir), "--proxies", "synflw"]) == 2
    assert "unknown zero-cost proxies ['synflw']" in capsys.readouterr().err


def test_build_plan_job_zc_from_flags(synthetic_dir, tmp_path, capsys):
    argv = ["build", "plan", "--job", "zc", "--sampler", "lhs", "--n", "3", "--data", str(synthetic_dir), "--out", str(tmp_path / "p")]
    assert main(argv) == 0
    plan = load_plan(tmp_path / "p")
    assert plan.kind == "zc" and plan.name == "zc-lhs-3" and len(plan.jobs) == 3
    assert {j.settings["data_dir"] for j in plan.jobs} == {str(Path(synthetic_dir).resolve())}
    capsys.readouterr()
    assert main([*argv[:-1], str(tmp_path / "q"), "--runtime", "onnxruntime"]) == 2
    assert "--runtime is not a setting of --job zc" in capsys.readouterr().err
