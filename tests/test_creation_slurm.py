"""The slurm backend: submitit's local executor (always), and a real single-node SLURM (the
`slurm_cluster` fixture of conftest), where a job is requeued mid-run with `scontrol requeue` and
resumes from its checkpoint."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan
from eo_naslib.creation.jobs import CLAIM_INFO, events, job_dir
from eo_naslib.io import read_json

pytest.importorskip("submitit", reason="submitit is not installed (pip install 'eo-naslib[cluster]')")


def _plan(root: Path, n: int = 4, **settings):
    plan = make_plan(
        {
            "name": "slurm",
            "sampler": {"kind": "lhs", "n": n, "seed": 7},
            "job": "sleep",
            "settings": {"seconds": 0.5, "steps": 2, "epochs": 2, **settings},
        }
    )
    plan.save(root)
    return load_plan(root)


def _metrics(plan) -> dict:
    return {r["cell"]["hash"]: r["metrics"] for r in read_records(plan.results)}


def test_submitit_local_executor_runs_a_plan_like_the_local_backend(tmp_path):
    plan, reference = _plan(tmp_path / "submitit"), _plan(tmp_path / "local")
    backend = get_backend("slurm", folder=tmp_path / "submitit" / "slurm", executor="local", poll_s=0.2)
    summary = run_plan(plan, backend, progress=False)
    assert len(summary.done) == 4 and not summary.failed
    with get_backend("local", workers=2) as local:
        run_plan(reference, local, progress=False)
    assert _metrics(plan) == _metrics(reference)


def test_real_slurm_array_with_a_requeued_job_resumes_from_its_checkpoint(tmp_path, slurm_cluster):
    plan, reference = _plan(tmp_path / "slurm", n=3, seconds=12, steps=12), _plan(tmp_path / "local", n=3)
    backend = get_backend(
        "slurm", folder=tmp_path / "slurm" / "submitit", executor="slurm", poll_s=0.5, timeout_min=10
    )
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.update(summary=run_plan(plan, backend, progress=False)))
    runner.start()
    victim, deadline = None, time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:  # a job 2 steps in, holding its claim
        for job in plan.jobs:
            directory = job_dir(plan.results, job.id)
            try:
                claim = read_json(directory / CLAIM_INFO)
                step = read_json(directory / "checkpoint.json")["step"]
            except Exception:  # noqa: BLE001 - not started yet
                continue
            if step >= 2 and "slurm_array_job_id" in claim:
                victim = (job, f"{claim['slurm_array_job_id']}_{claim['slurm_array_task_id']}")
                break
        time.sleep(0.2)
    assert victim is not None, "no SLURM job started within 2 minutes"
    requeue = subprocess.run(["scontrol", "requeue", victim[1]], capture_output=True, text=True)
    assert requeue.returncode == 0, requeue.stderr
    # SLURM holds a requeued job back for a while (begin time in the future): let it start now
    for _ in range(20):
        subprocess.run(["scontrol", "update", f"JobId={victim[1]}", "StartTime=now"], capture_output=True)
        time.sleep(0.5)
    runner.join(timeout=300)
    assert not runner.is_alive()
    summary = outcome["summary"]
    assert len(summary.done) == 3 and not summary.failed
    directory = job_dir(plan.results, victim[0].id)
    assert len(events(directory, "start")) == 2 and len(events(directory, "done")) == 1
    record = read_json(directory / "record.json")
    assert record["training"]["resumed_from_step"] >= 2  # resumed, not restarted
    with get_backend("local", workers=2) as local:
        run_plan(reference, local, progress=False)
    assert _metrics(plan) == _metrics(reference)
