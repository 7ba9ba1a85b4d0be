"""The `train` job kind (eo_naslib.training) inside the job layer, on synthetic So2Sat-layout data:
records land per job, a store is built from real training records, bad data is a reported failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import eo_naslib

pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.benchmarks import StoredBenchmark  # noqa: E402
from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan  # noqa: E402
from eo_naslib.creation.plan import load_config  # noqa: E402
from eo_naslib.creation.store import store_from_records  # noqa: E402
from eo_naslib.testing import TINY_TRAINING  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402



def train_plan(root, data, n=2, repeats=1, **settings):
    plan = make_plan(
        {
            "name": "train",
            "sampler": {"kind": "lhs", "n": n, "seed": 1},
            "job": "train",
            "settings": {**TINY_TRAINING, "data_dir": str(data), **settings},
            "repeats": repeats,
        }
    )
    plan.save(root)
    return load_plan(root)


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("so2sat_synthetic"), 256, 64, 64, seed=0)


def test_train_jobs_write_records_that_make_a_store(tmp_path, synthetic_data):
    plan = train_plan(tmp_path / "plan", synthetic_data)
    with get_backend("local", workers=2) as backend:
        summary = run_plan(plan, backend, progress=False)
    assert len(summary.done) == 2 and not summary.failed, summary.failed
    records = read_records(plan.results)
    assert {r["cell"]["hash"] for r in records} == {j.hash for j in plan.jobs}
    store = store_from_records(records, "tiny_synthetic")
    assert store.default_epoch == 2 and store.fidelities == [1, 2]
    assert {"val_accuracy", "test_accuracy_macro", "latency_ms", "params", "macs"} <= set(store.metrics)
    assert store.provenance["settings"][0]["sensor"] == "s2"


def test_trained_runs_of_a_cell_are_its_repeats_with_kappa_and_per_class_accuracy(tmp_path, synthetic_data, space):
    plan = train_plan(tmp_path / "plan", synthetic_data, n=1, repeats=2, seed=5)
    with get_backend("local", workers=2) as backend:
        summary = run_plan(plan, backend, progress=False)
    assert len(summary.done) == 2 and not summary.failed, summary.failed
    records = sorted(read_records(plan.results, plan), key=lambda r: r["settings"]["seed"])
    assert [r["settings"]["seed"] for r in records] == [5, 6]
    store = store_from_records(records, "tiny_repeats")
    bench = StoredBenchmark(store, surrogate=False, space=space)
    cell = records[0]["cell"]["hash"]
    assert store.columns["val_accuracy@2"].shape == (1, 2) and bench.repeats_of("val_kappa") == 2
    for k, record in enumerate(records):
        assert bench.query(cell, "val_accuracy", repeat=k) == record["metrics"]["val_accuracy"]
        assert bench.query(cell, "val_kappa", repeat=k) == record["extra"]["val_kappa"]
        assert bench.query(cell, "val_kappa", epoch=1, repeat=k) == record["curves"][0]["val_kappa"]
        assert bench.query(cell, "test_loss", repeat=k) == record["curves"][-1]["test_loss"]
        for j, accuracy in enumerate(record["extra"]["test_per_class_accuracy"]):
            if accuracy is not None:
                assert bench.query(cell, f"test_accuracy_class_{j}", repeat=k) == accuracy
    finals = [r["metrics"]["val_accuracy"] for r in records]
    assert bench.query(cell, "val_accuracy") == pytest.approx(np.mean(finals), abs=1e-12)
    assert bench.repeat_std([cell], "val_accuracy")[0] == pytest.approx(np.std(finals, ddof=1), abs=1e-12)
    dataset = store.provenance["datasets"][0]
    assert dataset["sensor"] == "s2" and dataset["bands"] == 10 and dataset["n_train"] > 0
    assert store.provenance["devices"] == [records[0]["training"]["device"]]


def test_bad_data_is_a_reported_failure_retried_up_to_the_limit(tmp_path):
    plan = train_plan(tmp_path / "plan", tmp_path / "no_such_folder", n=1)
    with get_backend("local", workers=1) as backend:
        summary = run_plan(plan, backend, max_attempts=2, progress=False)
    assert summary.failed_attempts == 2 and len(summary.failed) == 1
    assert "no_such_folder" in next(iter(summary.failed.values()))


def test_the_three_sensor_configs_plan_the_same_cells():
    configs = Path(eo_naslib.__file__).parent / "configs" / "creation"
    plans = [make_plan(load_config(configs / f"so2sat_{s}.yaml")) for s in ("s1", "s2", "fusion")]
    assert [p.settings["sensor"] for p in plans] == ["s1", "s2", "fusion"]
    assert all(len(p.jobs) == 100 and p.kind == "train" and p.settings["epochs"] == 108 for p in plans)
    hashes = [[j.hash for j in p.jobs] for p in plans]
    assert hashes[0] == hashes[1] == hashes[2]
    assert len({j.id for p in plans for j in p.jobs}) == 300  # same cell, other sensor: another job
