"""Built stores hold what the pipeline measures: several runs per cell (a plan's `repeats`, each
with its own recorded seed), served as their mean, one run by `repeat=k` and their spread by
`repeat_std`; per-epoch curves as fidelities (persistence runs on them); kappa, losses and
per-class accuracies as metrics. Records come from the `sleep` stand-in: SYNTHETIC metrics."""

from __future__ import annotations

import numpy as np
import pytest

from eo_naslib.benchmarks import BenchmarkStore, StoredBenchmark
from eo_naslib.benchmarks.datasets import DATASETS
from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan
from eo_naslib.creation.store import build_store, store_from_records
from eo_naslib.errors import ConfigError, DataFileError, UnknownMetricError
from eo_naslib.landscape.footprint import FootprintSettings, footprint
from eo_naslib.naslib_compat import Metric, NasBench101SearchSpace, get_dataset_api
from eo_naslib.naslib_compat import dataset_api as dataset_api_module


def repeat_plan(root, repeats=3, **settings):
    plan = make_plan(
        {
            "name": "synthetic_repeats",
            "description": "SYNTHETIC stand-in metrics, 3 runs per cell",
            "sampler": {"kind": "random_walk", "starts": 2, "steps": 4, "seed": 7},
            "job": "sleep",
            "settings": {"epochs": 4, **settings},
            "repeats": repeats,
        }
    )
    plan.save(root)
    return load_plan(root)


@pytest.fixture(scope="module")
def built(tmp_path_factory, space):
    root = tmp_path_factory.mktemp("repeats")
    plan = repeat_plan(root / "plan", seed=10)
    with get_backend("local", workers=2) as backend:
        assert not run_plan(plan, backend, progress=False).failed
    store = build_store(plan.results, "synthetic_repeats", root / "data", plan=plan, surrogate=False)
    bench = StoredBenchmark(BenchmarkStore.load(root / "data", "synthetic_repeats"), surrogate=False, space=space)
    return plan, store, bench, root / "data"


def test_a_three_repeat_plan_has_three_jobs_per_cell_with_distinct_recorded_seeds(built, tmp_path):
    plan, *_ = built
    cells = {job.hash for job in plan.jobs}
    assert len(plan.jobs) == 3 * len(cells) and plan.repeats == 3
    for cell in cells:
        runs = sorted((j.repeat, j.settings["seed"]) for j in plan.jobs if j.hash == cell)
        assert runs == [(0, 10), (1, 11), (2, 12)]
    assert len({job.id for job in plan.jobs}) == len(plan.jobs)
    # the same config plans the same jobs (ids stable), and a one-run plan keeps its settings
    assert [j.id for j in repeat_plan(tmp_path / "again", seed=10).jobs] == [j.id for j in plan.jobs]
    single = repeat_plan(tmp_path / "single", repeats=1)
    assert all("seed" not in j.settings and j.repeat == 0 for j in single.jobs)
    with pytest.raises(ConfigError, match="repeats"):
        repeat_plan(tmp_path / "bad", repeats=0)


def test_the_store_holds_three_records_per_cell_and_serves_them(built):
    plan, store, bench, _ = built
    records = read_records(plan.results, plan)
    assert len(records) == len(plan.jobs)
    assert store.metrics["val_accuracy"].repeats == 3 and bench.repeats_of("val_accuracy") == 3
    assert store.columns["val_accuracy@4"].shape == (len(store.hashes), 3)
    assert store.provenance["repeats"] == {"count": 3, "seeds": [10, 11, 12]}
    for cell in store.hashes[:4]:
        runs = sorted((r["settings"]["seed"], r) for r in records if r["cell"]["hash"] == cell)
        assert len(runs) == 3
        finals = [r["metrics"]["val_accuracy"] for _, r in runs]
        assert len(set(finals)) == 3  # the runs differ, as real repeats do
        for k, (_, record) in enumerate(runs):
            assert bench.query(cell, "val_accuracy", repeat=k) == record["metrics"]["val_accuracy"]
            assert bench.query(cell, "val_accuracy", epoch=2, repeat=k) == record["curves"][1]["val_accuracy"]
            assert bench.query(cell, "latency_ms", repeat=k) == record["metrics"]["latency_ms"]
        assert bench.query(cell, "val_accuracy") == pytest.approx(np.mean(finals), abs=1e-12)
        assert bench.repeat_std([cell], "val_accuracy")[0] == pytest.approx(np.std(finals, ddof=1), abs=1e-12)
    with pytest.raises(UnknownMetricError, match="3 repeat"):
        bench.query(store.hashes[0], "val_accuracy", repeat=3)


def test_kappa_losses_and_per_class_accuracies_are_metrics_at_every_epoch(built):
    plan, store, bench, _ = built
    record = next(r for r in read_records(plan.results) if r["cell"]["hash"] == store.hashes[0] and r["settings"]["seed"] == 10)
    cell = store.hashes[0]
    assert {"val_kappa", "test_kappa", "train_loss", "val_loss", "val_accuracy_class_2"} <= set(bench.metrics)
    assert bench.epochs_of("val_kappa") == (1, 2, 3, 4)
    assert bench.query(cell, "val_kappa", epoch=3, repeat=0) == record["curves"][2]["val_kappa"]
    assert bench.query(cell, "val_loss", repeat=0) == record["metrics"]["val_loss"]
    assert bench.query(cell, "val_accuracy_class_2", epoch=1, repeat=0) == record["curves"][0]["val_per_class_accuracy"][2]
    assert "val_accuracy_class_3" not in bench.metrics  # the stand-in has 3 classes


def test_persistence_of_a_footprint_runs_on_the_built_curves(built, space):
    _, store, bench, _ = built
    assert bench.fidelities == (1, 2, 3, 4)
    record = footprint(
        bench,
        FootprintSettings(
            metric="val_accuracy", walks="recorded", trials=2, runs=20, proxy_samples=10, proxy_neighbours=3,
            persistence_epochs=(1, 2, 4),
        ),
        space=space,
        progress=False,
    )
    persistence = record["persistence"]
    assert persistence["cells"] == len(store.hashes) and persistence["fidelities"] == [1, 2, 4]
    assert 0 <= persistence["positive"]["pi_25"] <= 1


def test_records_that_are_not_repeats_of_one_plan_are_refused(built):
    plan, *_ = built
    records = read_records(plan.results)
    same_seed = [*records, records[0]]
    with pytest.raises(DataFileError, match="same or no seed"):
        store_from_records(same_seed, "same_seed")
    other = dict(records[0], settings={**records[0]["settings"], "steps": 7})
    with pytest.raises(DataFileError, match=r"differ in settings \['steps'\]"):
        store_from_records([other, *records[1:]], "mixed")
    one_run = [r for r in records if r["settings"]["seed"] == 11]
    single = store_from_records(one_run, "one_run")
    assert single.metrics["val_accuracy"].repeats == 1 and single.provenance["repeats"] == {"count": 1, "seeds": [11]}


@pytest.fixture
def restore_datasets(monkeypatch):
    """A built store found by `is_dataset` is added to DATASETS and the registry: undone after."""
    monkeypatch.setattr(dataset_api_module, "_REGISTRY", dict(dataset_api_module._REGISTRY))
    before = dict(DATASETS)
    yield
    DATASETS.clear()
    DATASETS.update(before)


def test_a_built_store_is_a_naslib_dataset_with_its_learning_curves(built, restore_datasets):
    _, store, bench, data = built
    api = get_dataset_api("nasbench101", "synthetic_repeats", data_dir=data, measured_only=True)
    space = NasBench101SearchSpace()
    cell = str(store.hashes[0])
    space.set_spec(cell, dataset_api=api)
    curve = space.query(Metric.VAL_ACCURACY, "synthetic_repeats", full_lc=True, dataset_api=api)
    assert curve == pytest.approx([100 * bench.query(cell, "val_accuracy", epoch=e) for e in (1, 2, 3, 4)])
    losses = space.query(Metric.TRAIN_LOSS, "synthetic_repeats", epoch=2, full_lc=True, dataset_api=api)
    assert losses == pytest.approx([bench.query(cell, "train_loss", epoch=e) for e in (1, 2)])
    with pytest.raises(UnknownMetricError, match="has no FLOPS, so no learning curve"):
        space.query(Metric.FLOPS, "synthetic_repeats", full_lc=True, dataset_api=api)
