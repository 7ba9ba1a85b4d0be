"""The ray backend against a local Ray instance (started once for this file): the same plan gives
the same records as on the local backend (stand-in, training and zero-cost jobs; measure-only
jobs: the network's figures, see tests/measure_plans.py); job errors are retried; `map` serves
experiments."""

from __future__ import annotations

import pytest

from eo_naslib.cli import main
from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan
from eo_naslib.creation.jobs import events, failures, job_dir
from eo_naslib.testing import TINY_TRAINING
from tests.measure_plans import check_measured, measure_plan, measured_here

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'eo-naslib[cluster]')")

try:
    from eo_naslib.training.synthetic import write_synthetic_so2sat
except ImportError:  # torch missing: the training, measure and zc tests skip
    write_synthetic_so2sat = None


@pytest.fixture(scope="module")
def ray_backend():
    backend = get_backend("ray", num_cpus=1, init={"num_cpus": 2, "object_store_memory": 80 * 1024 * 1024})
    yield backend
    backend.close()


def _plan(root, **settings):
    plan = make_plan(
        {
            "name": "ray8",
            "sampler": {"kind": "lhs", "n": 8, "seed": 5},
            "job": "sleep",
            "settings": {"seconds": 0.2, "steps": 2, "epochs": 2, **settings},
        }
    )
    plan.save(root)
    return load_plan(root)


def _metrics(plan) -> dict:
    return {r["cell"]["hash"]: r["metrics"] for r in read_records(plan.results)}


def test_ray_and_local_give_the_same_records(tmp_path, ray_backend):
    on_ray, on_local = _plan(tmp_path / "ray"), _plan(tmp_path / "local")
    summary = run_plan(on_ray, ray_backend, progress=False)
    assert len(summary.done) == 8 and not summary.failed
    with get_backend("local", workers=2) as local:
        run_plan(on_local, local, progress=False)
    assert _metrics(on_ray) == _metrics(on_local)
    assert all(len(events(job_dir(on_ray.results, j.id), "done")) == 1 for j in on_ray.jobs)
    assert len(run_plan(on_ray, ray_backend, progress=False).skipped) == 8


def test_ray_retries_failed_jobs_up_to_the_limit(tmp_path, ray_backend):
    probe = _plan(tmp_path / "probe")
    bad, flaky = probe.jobs[0].hash, probe.jobs[1].hash
    plan = _plan(tmp_path / "plan", fail=[bad], flaky=[flaky])
    summary = run_plan(plan, ray_backend, max_attempts=2, progress=False)
    assert len(summary.done) == 7 and len(summary.failed) == 1
    bad_id = next(j.id for j in plan.jobs if j.hash == bad)
    assert "stand-in failure" in summary.failed[bad_id]
    assert len(failures(job_dir(plan.results, bad_id))) == 2


def _square(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative {x}")
    return x * x


def test_backend_map_for_experiments(ray_backend):
    assert ray_backend.map(_square, [(i,) for i in range(6)]) == [0, 1, 4, 9, 16, 25]
    with pytest.raises(Exception, match="negative -1"):
        ray_backend.map(_square, [(2,), (-1,)])
    with get_backend("local", workers=2) as local:
        assert local.map(_square, [(i,) for i in range(6)]) == [0, 1, 4, 9, 16, 25]


def test_train_jobs_on_ray_match_the_local_backend(tmp_path, ray_backend):
    if write_synthetic_so2sat is None:
        pytest.skip("training needs torch (pip install 'eo-naslib[train]')")
    data = write_synthetic_so2sat(tmp_path / "data", 256, 64, 64, seed=0)
    settings = {**TINY_TRAINING, "data_dir": str(data)}
    plans = []
    for name in ("ray", "local"):
        plan = make_plan(
            {
                "name": "train",
                "sampler": {"kind": "lhs", "n": 3, "seed": 1},
                "job": "train",
                "settings": settings,
            }
        )
        plan.save(tmp_path / name)
        plans.append(load_plan(tmp_path / name))
    assert not run_plan(plans[0], ray_backend, progress=False).failed
    with get_backend("local", workers=2) as local:
        assert not run_plan(plans[1], local, progress=False).failed
    on_ray, on_local = _metrics(plans[0]), _metrics(plans[1])
    assert on_ray.keys() == on_local.keys()
    for cell_hash, metrics in on_ray.items():  # CPU training is seeded and deterministic
        for name in ("val_accuracy", "test_accuracy", "val_accuracy_macro", "params", "macs"):
            assert metrics[name] == pytest.approx(on_local[cell_hash][name], abs=1e-6), name


def test_measure_jobs_on_ray_match_the_local_backend(tmp_path, ray_backend):
    if write_synthetic_so2sat is None:
        pytest.skip("measure jobs need torch (pip install 'eo-naslib[train]')")
    plan = measure_plan(tmp_path / "ray")
    summary = run_plan(plan, ray_backend, progress=False)
    assert len(summary.done) == 3 and not summary.failed, summary.failed
    check_measured(plan, measured_here(tmp_path / "local"), tmp_path / "data")
    assert len(run_plan(plan, ray_backend, progress=False).skipped) == 3  # measured once


def test_a_measure_plan_named_after_this_machine_measures_with_its_threads_on_ray(tmp_path, ray_backend, monkeypatch):
    """`build plan --job measure` without --name names the store after this machine's torch threads
    (2 here); Ray runs a task on the one thread it gives it unless the plan says otherwise."""
    if write_synthetic_so2sat is None:
        pytest.skip("measure jobs need torch (pip install 'eo-naslib[train]')")
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)  # the planning machine's threads
    flags = ["--sampler", "lhs", "--n", "1", "--stem-channels", "8", "--batch-size", "2", "--repeats", "2", "--warmup", "0"]
    assert main(["build", "plan", "--job", "measure", *flags, "--out", str(tmp_path / "plan")]) == 0
    monkeypatch.undo()
    plan = load_plan(tmp_path / "plan")
    assert plan.name.endswith("-2t")
    assert not run_plan(plan, ray_backend, progress=False).failed
    assert [r["device"]["threads"] for r in read_records(plan.results, plan)] == [2]  # was [1]


def test_zc_jobs_on_ray_score_like_the_local_backend(tmp_path, ray_backend):
    """Zero-cost scores of 3 cells on SYNTHETIC So2Sat-layout data (the scores rank nothing real),
    equal up to float summation order: a Ray worker may run torch on other threads than the local
    one (a measure job before it in the same worker leaves its `threads`: jacov and snip then
    differ by ~1e-9 relative)."""
    if write_synthetic_so2sat is None:
        pytest.skip("zc jobs need torch and h5py (pip install 'eo-naslib[train]')")
    data = write_synthetic_so2sat(tmp_path / "data", 24, 4, 4, seed=0)
    settings = {"stem_channels": 4, "num_stacks": 1, "cells_per_stack": 1, "batch_size": 4, "data_dir": str(data)}
    plans = []
    for name in ("ray", "local"):
        make_plan({"name": "zc", "sampler": {"kind": "lhs", "n": 3, "seed": 2}, "job": "zc", "settings": settings}).save(tmp_path / name)
        plans.append(load_plan(tmp_path / name))
    assert not run_plan(plans[0], ray_backend, progress=False).failed
    with get_backend("local", workers=1, threads=1) as local:
        assert not run_plan(plans[1], local, progress=False).failed
    on_ray, on_local = _metrics(plans[0]), _metrics(plans[1])
    assert len(on_ray) == 3 and set(next(iter(on_ray.values()))) == {"zc_synflow", "zc_jacov", "zc_snip"}
    assert on_ray.keys() == on_local.keys()
    for cell_hash, scores in on_ray.items():
        assert scores == pytest.approx(on_local[cell_hash], rel=1e-6), cell_hash
