"""The slurm backend: submitit's local executor (always), and a real single-node SLURM (the
`slurm_cluster` fixture of conftest), where a job is requeued mid-run with `scontrol requeue` and
resumes from its checkpoint, and a measure-only job killed mid-measurement is requeued and
measured again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan
from eo_naslib.creation.jobs import CLAIM_INFO, RECORD, job_dir
from eo_naslib.io import read_json
from tests.measure_plans import check_measured, measure_plan, measured_here
from tests.slurm_runs import assert_ran_twice, run_interrupted, slurm_id, start_now

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


def requeue_one_mid_run(plan, deadline_s: float = 120.0):
    """Requeue a SLURM job 2 steps in, holding its claim, and start it again; returns it."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for job in plan.jobs:
            directory = job_dir(plan.results, job.id)
            try:
                claim = read_json(directory / CLAIM_INFO)
                step = read_json(directory / "checkpoint.json")["step"]
            except Exception:  # noqa: BLE001 - not started yet
                continue
            if step >= 2 and "slurm_array_job_id" in claim:
                requeue = subprocess.run(["scontrol", "requeue", slurm_id(claim)], capture_output=True, text=True)
                assert requeue.returncode == 0, requeue.stderr
                start_now(slurm_id(claim), directory)
                return job
        time.sleep(0.2)
    raise AssertionError(f"no SLURM job started within {deadline_s:g} s")


def test_real_slurm_array_with_a_requeued_job_resumes_from_its_checkpoint(tmp_path, slurm_cluster):
    plan, reference = _plan(tmp_path / "slurm", n=3, seconds=12, steps=12), _plan(tmp_path / "local", n=3)
    backend = get_backend(
        "slurm", folder=tmp_path / "slurm" / "submitit", executor="slurm", poll_s=0.5, timeout_min=10
    )
    summary, victim = run_interrupted(plan, backend, lambda: requeue_one_mid_run(plan), timeout_s=300)
    directory = assert_ran_twice(plan, summary, victim)
    record = read_json(directory / "record.json")
    assert record["training"]["resumed_from_step"] >= 2  # resumed, not restarted
    with get_backend("local", workers=2) as local:
        run_plan(reference, local, progress=False)
    assert _metrics(plan) == _metrics(reference)


def wait_until_stopped(pid: int, deadline_s: float = 10.0) -> None:
    """Until process `pid` is stopped (state T in /proc) or gone."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state in ("T", "t", "Z", "X"):
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not stop within {deadline_s:g} s of SIGSTOP")


def stop_one_mid_measurement(plan, deadline_s: float = 120.0):
    """SIGSTOP the process of the first SLURM job seen holding its claim before its record is
    written (stopped, it cannot finish); returns (job, pid, SLURM id)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for job in plan.jobs:
            directory = job_dir(plan.results, job.id)
            try:
                claim = read_json(directory / CLAIM_INFO)
            except Exception:  # noqa: BLE001 - not started yet, finished, or between writes
                continue
            if "slurm_array_job_id" not in claim or (directory / RECORD).exists():
                continue
            try:
                os.kill(claim["pid"], signal.SIGSTOP)
            except ProcessLookupError:  # finished meanwhile
                continue
            wait_until_stopped(claim["pid"])  # a system call under way (the record's rename) ends first
            if (directory / RECORD).exists() or not (directory / CLAIM_INFO).exists():  # finished before it stopped
                os.kill(claim["pid"], signal.SIGCONT)
                continue
            return job, claim["pid"], slurm_id(claim)
        time.sleep(0.02)
    raise AssertionError(f"no SLURM measure job was seen measuring within {deadline_s:g} s")


def requeue_until_restarted(job_slurm_id: str, directory: Path, deadline_s: float = 120.0) -> None:
    """`scontrol requeue` (retried while SLURM is still ending the job), then `start_now`."""
    deadline = time.monotonic() + deadline_s
    while subprocess.run(["scontrol", "requeue", job_slurm_id], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, f"SLURM did not requeue job {job_slurm_id} within {deadline_s:g} s"
        time.sleep(0.2)
    start_now(job_slurm_id, directory, deadline_s)


def kill_and_requeue_one(plan):
    """SIGKILL a SLURM measure job mid-measurement (before its record), requeue and restart it; returns it."""
    victim, pid, job_slurm_id = stop_one_mid_measurement(plan)
    os.kill(pid, signal.SIGKILL)  # the job's step dies before writing its record
    requeue_until_restarted(job_slurm_id, job_dir(plan.results, victim.id))
    return victim


def test_real_slurm_measure_plan_measures_a_killed_job_again(tmp_path, slurm_cluster):
    """A measure job has no checkpoint: killed mid-measurement and requeued, it runs from the start;
    the plan ends with one record per cell (checked as in tests/measure_plans.py)."""
    pytest.importorskip("torch", reason="measure jobs need torch (pip install 'eo-naslib[train]')")
    plan = measure_plan(tmp_path / "slurm")
    backend = get_backend("slurm", folder=tmp_path / "slurm" / "submitit", executor="slurm", poll_s=0.5, timeout_min=10)
    summary, victim = run_interrupted(plan, backend, lambda: kill_and_requeue_one(plan), timeout_s=300)
    assert_ran_twice(plan, summary, victim)
    check_measured(plan, measured_here(tmp_path / "local"), tmp_path / "data")
