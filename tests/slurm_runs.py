"""Interrupting plans on the real SLURM (the `slurm_cluster` fixture): run a plan in a thread while
the test requeues one of its jobs, start the requeued job at once, and check it ran twice."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from eo_naslib.creation import Plan, run_plan
from eo_naslib.creation.backends.base import Backend
from eo_naslib.creation.jobs import events, job_dir

T = TypeVar("T")


def slurm_id(claim: dict[str, Any]) -> str:
    """The SLURM id (`<array job>_<task>`) of a job's claim."""
    return f"{claim['slurm_array_job_id']}_{claim['slurm_array_task_id']}"


def run_interrupted(plan: Plan, backend: Backend, interrupt: Callable[[], T], timeout_s: float) -> tuple[Any, T]:
    """(`run_plan`'s summary, `interrupt()`'s result): the plan runs in a thread while `interrupt` acts."""
    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(summary=run_plan(plan, backend, progress=False)))
    runner.start()
    try:
        result = interrupt()
    finally:
        runner.join(timeout=timeout_s)
    assert not runner.is_alive(), f"the plan did not finish within {timeout_s:g} s"
    return outcome["summary"], result


def start_now(job_slurm_id: str, directory: Path, deadline_s: float = 120.0) -> None:
    """Start a requeued job at once (SLURM holds one back for a while: begin time in the future)
    until it has started the job again."""
    deadline = time.monotonic() + deadline_s
    while len(events(directory, "start")) < 2:
        assert time.monotonic() < deadline, f"requeued SLURM job {job_slurm_id} did not start within {deadline_s:g} s"
        subprocess.run(["scontrol", "update", f"JobId={job_slurm_id}", "StartTime=now"], capture_output=True)
        time.sleep(0.5)


def assert_ran_twice(plan: Plan, summary: Any, job: Any) -> Path:
    """Every job done, and `job` started twice and done once; returns its directory."""
    assert len(summary.done) == len(plan.jobs) and not summary.failed, summary.failed
    directory = job_dir(plan.results, job.id)
    assert len(events(directory, "start")) == 2 and len(events(directory, "done")) == 1
    return directory
