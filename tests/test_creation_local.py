"""Plans and jobs on the local backend: idempotence, retries, claims, kill -9 of the coordinator.

Jobs are the `sleep` stand-in (resumable steps with a checkpoint, synthetic metrics), so the job
layer is tested without training.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eo_naslib.creation import get_backend, load_plan, make_plan, plan_status, read_records, run_plan
from eo_naslib.io import fingerprint
from eo_naslib.creation.jobs import (
    events,
    execute,
    failures,
    is_claimed,
    job_dir,
    synthetic_metrics,
)
from eo_naslib.creation.plan import job_id
from eo_naslib.errors import ConfigError

# a coordinator in its own process: the `build` command group without the top-level CLI
CLI = (
    "import argparse, sys; from eo_naslib.creation import cli; p = argparse.ArgumentParser(); "
    "cli.add_parser(p.add_subparsers()); a = p.parse_args(sys.argv[1:]); "
    "from eo_naslib.cli import report_errors; sys.exit(report_errors(lambda: a.func(a)))"
)
METRICS = ("val_accuracy", "test_accuracy", "latency_ms", "params")


def sleep_plan(tmp_path: Path, n: int = 8, **settings) -> object:
    config = {
        "name": "faults",
        "sampler": {"kind": "lhs", "n": n, "seed": 0},
        "job": "sleep",
        "settings": {"seconds": 0.0, "steps": 1, "epochs": 2, **settings},
    }
    plan = make_plan(config)
    plan.save(tmp_path / "plan")
    return load_plan(tmp_path / "plan")


def expected(plan, job) -> dict:
    return {m: synthetic_metrics(job.cell, [1, 2])[0][m] for m in METRICS}


def check_exactly_once(plan) -> None:
    """Every job finished, with one record, written by exactly one completed execution."""
    records = {r["cell"]["hash"]: r for r in read_records(plan.results)}
    assert sorted(records) == sorted(j.hash for j in plan.jobs)
    for job in plan.jobs:
        assert len(events(job_dir(plan.results, job.id), "done")) == 1, job.id
        assert {m: records[job.hash]["metrics"][m] for m in METRICS} == expected(plan, job)


@pytest.fixture(scope="module")
def local():
    with get_backend("local", workers=2) as backend:
        yield backend


def test_plan_ids_are_stable_and_depend_on_settings(tmp_path):
    plan = sleep_plan(tmp_path)
    job = plan.jobs[0]
    assert len(plan.jobs) == 8 and len({j.id for j in plan.jobs}) == 8
    assert job.id == job_id("sleep", job.hash, fingerprint(job.settings))
    other = make_plan(
        {
            "name": "faults",
            "sampler": {"kind": "lhs", "n": 8, "seed": 0},
            "job": "sleep",
            "settings": {"seconds": 0.0, "steps": 2, "epochs": 2},
        }
    )
    assert [j.hash for j in other.jobs] == [j.hash for j in plan.jobs]
    assert not {j.id for j in other.jobs} & {j.id for j in plan.jobs}
    with pytest.raises(ConfigError, match="another plan"):
        other.save(plan.directory)
    with pytest.raises(ConfigError, match="unknown job kind"):
        make_plan({"name": "x", "sampler": {"kind": "lhs", "n": 2}, "job": "nope"})
    with pytest.raises(ConfigError, match="unknown creation config keys"):
        make_plan({"name": "x", "sampler": {"kind": "lhs", "n": 2}, "jobs": "sleep"})


def test_run_is_idempotent_and_matches_a_serial_run(tmp_path, local):
    plan = sleep_plan(tmp_path, steps=3)
    summary = run_plan(plan, local, progress=False)
    assert len(summary.done) == 8 and not summary.failed
    check_exactly_once(plan)
    again = run_plan(plan, local, progress=False)
    assert len(again.skipped) == 8 and not again.done
    assert plan_status(plan)["done"] == 8


def test_failures_are_reported_and_retried_up_to_the_limit(tmp_path, local):
    probe = sleep_plan(tmp_path / "probe")
    bad, flaky = probe.jobs[0].hash, probe.jobs[1].hash
    plan = sleep_plan(tmp_path, fail=[bad], flaky=[flaky])
    bad_job = next(j for j in plan.jobs if j.hash == bad)
    flaky_job = next(j for j in plan.jobs if j.hash == flaky)
    summary = run_plan(plan, local, max_attempts=2, progress=False)
    assert list(summary.failed) == [bad_job.id]
    assert "stand-in failure" in summary.failed[bad_job.id]
    assert len(failures(job_dir(plan.results, bad_job.id))) == 2
    assert len(failures(job_dir(plan.results, flaky_job.id))) == 1
    assert len(summary.done) == 7 and summary.failed_attempts == 3
    status = plan_status(plan)
    assert (status["done"], status["failed"], status["left"]) == (7, 1, 0)
    assert "stand-in failure" in status["unfinished"][0]["last_error"]
    # given up: a rerun with the same limit does not try again, a higher limit does
    assert list(run_plan(plan, local, max_attempts=2, progress=False).failed) == [bad_job.id]
    assert len(failures(job_dir(plan.results, bad_job.id))) == 2
    run_plan(plan, local, max_attempts=3, progress=False)
    assert len(failures(job_dir(plan.results, bad_job.id))) == 3


def test_a_claimed_job_is_not_run_twice(tmp_path):
    plan = sleep_plan(tmp_path, n=1, seconds=1.5, steps=3)
    job = plan.jobs[0]
    with get_backend("local", workers=1) as one:
        first = one._executor().submit(execute, job, str(plan.results), "first")
        directory = job_dir(plan.results, job.id)
        deadline = time.monotonic() + 30
        while not is_claimed(directory) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert is_claimed(directory)
        assert execute(job, str(plan.results), "second")["status"] == "busy"
        assert first.result()["status"] == "done"
    assert execute(job, str(plan.results), "second")["status"] == "skipped"
    assert len(events(directory, "start")) == 1


def _coordinator(plan_dir: Path, workers: int = 2) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLI,
            "build",
            "run",
            str(plan_dir),
            "--backend",
            "local",
            "--workers",
            str(workers),
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_coordinators_on_one_plan_run_each_cell_once(tmp_path):
    # 16 cells of 1.2 s on 2 workers: ~10 s alone, so a coordinator that starts seconds late on a
    # loaded machine still finds cells left to claim
    plan = sleep_plan(tmp_path, n=16, seconds=0.6, steps=2)
    first, second = _coordinator(plan.directory), _coordinator(plan.directory)
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert json.loads(out)["failed"] == {}
    check_exactly_once(plan)
    runners = {e["coordinator"] for j in plan.jobs for e in events(job_dir(plan.results, j.id), "start")}
    assert len(runners) == 2  # both worked on the plan, neither ran a cell the other had


def test_kill_9_of_the_coordinator_then_rerun_runs_every_cell_exactly_once(tmp_path):
    plan = sleep_plan(tmp_path, seconds=1.2, steps=4)
    coordinator = _coordinator(plan.directory)
    results = plan.results
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some jobs are done and others half-way
        done = len(list(results.glob("*/record.json")))
        partial = [p for p in results.glob("*/checkpoint.json") if not (p.parent / "record.json").exists()]
        if done >= 2 and partial:
            break
        time.sleep(0.05)
    os.kill(coordinator.pid, signal.SIGKILL)
    coordinator.wait()
    time.sleep(0.5)  # its workers die with it (PR_SET_PDEATHSIG): no claim is held afterwards
    assert not any(is_claimed(job_dir(results, j.id)) for j in plan.jobs)
    before = {j.id for j in plan.jobs if (job_dir(results, j.id) / "record.json").exists()}
    assert 2 <= len(before) < 8
    rerun = _coordinator(plan.directory)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert json.loads(out)["already_done"] == len(before)
    check_exactly_once(plan)
    resumed = [r for r in read_records(results) if r["training"]["resumed_from_step"] > 0]
    assert resumed, "a half-done job should resume from its checkpoint"


def test_cli_plan_run_status_store(tmp_path):
    config = tmp_path / "sleep.yaml"
    config.write_text(
        "name: cli_demo\nsampler: {kind: random_walk, starts: 2, steps: 3, seed: 42}\n"
        "job: sleep\nsettings: {epochs: 2}\n"
    )

    def cli(*argv: str) -> dict:
        done = subprocess.run([sys.executable, "-c", CLI, *argv], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    made = cli("build", "plan", str(config), "--out", str(tmp_path / "plan"))
    assert made["jobs"] == 8 and made["job"] == "sleep"
    assert cli("build", "status", str(tmp_path / "plan"))["left"] == 8
    ran = cli("build", "run", str(tmp_path / "plan"), "--workers", "2", "--no-progress")
    assert ran["done"] == 8 and ran["failed"] == {}
    assert cli("build", "status", str(tmp_path / "plan"))["done"] == 8
    stored = cli(
        "build",
        "store",
        str(tmp_path / "plan" / "results"),
        "--name",
        "cli_demo",
        "--data-dir",
        str(tmp_path / "data"),
        "--no-surrogate",
    )
    assert stored["measured_cells"] == 8 and stored["fidelities"] == [1, 2]
    bad = subprocess.run(
        [sys.executable, "-c", CLI, "build", "status", str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "make one with `eo-naslib build plan" in bad.stderr
    assert "Traceback" not in bad.stderr
