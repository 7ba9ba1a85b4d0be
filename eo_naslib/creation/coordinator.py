"""`run_plan`: drive a plan's jobs on a backend until each is done or has failed `max_attempts` times.

The coordinator holds no state of its own: everything is in the jobs' directories (see `jobs`).
Killing it loses nothing; rerunning it skips finished jobs, resumes partial ones from their
checkpoints, waits for jobs another coordinator is running (busy), and retries failed ones while
they have attempts left. A job given up as diverged (`jobs.DIVERGED`) is final: reported, not retried.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from ..io import atomic_write_json
from .backends import Backend
from .jobs import ERRORS, diverged_reason, execute, failures, is_diverged, is_done, job_dir
from .plan import Job, Plan

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """What one coordinator run saw: job ids by final state, and the last error of each failed job."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    diverged: dict[str, str] = field(default_factory=dict)
    failed_attempts: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "done": len(self.done),
            "already_done": len(self.skipped),
            "failed": self.failed,
            "diverged": self.diverged,
            "failed_attempts": self.failed_attempts,
            "seconds": self.seconds,
        }


def _record_backend_failure(results: str, job: Job, error: BaseException) -> str:
    """A call that died in the backend (worker killed, task lost) counts as a failed attempt."""
    message = f"{type(error).__name__}: {error}"
    atomic_write_json(
        job_dir(results, job.id) / ERRORS / f"{time.time():.6f}-coordinator-{os.getpid()}.json",
        {
            "error": message,
            "traceback": "".join(traceback.format_exception(error)),
            "host": socket.gethostname(),
            "time": time.time(),
        },
    )
    return message


def run_plan(
    plan: Plan,
    backend: Backend,
    max_attempts: int = 3,
    poll_s: float = 2.0,
    progress: bool = True,
) -> RunSummary:
    """Run every unfinished job of `plan` on `backend`; returns the summary (errors included)."""
    began = time.perf_counter()
    results = str(plan.results)
    coordinator = f"{socket.gethostname()}:{os.getpid()}"
    summary = RunSummary()
    todo: list[Job] = []
    for job in plan.jobs:
        directory = job_dir(results, job.id)
        if is_done(directory):
            summary.skipped.append(job.id)
        elif is_diverged(directory):
            summary.diverged[job.id] = diverged_reason(directory)
        elif len(failures(directory)) >= max_attempts:
            summary.failed[job.id] = failures(directory)[-1]["error"]
        else:
            todo.append(job)
    bar = tqdm(total=len(plan.jobs), initial=len(summary.skipped) + len(summary.diverged), desc=plan.name, disable=not progress)
    while todo:
        again: list[Job] = []
        progressed = False
        in_flight = len(todo)
        for index, outcome, error in backend.imap(execute, [(job, results, coordinator) for job in todo]):
            job = todo[index]
            in_flight -= 1
            status = "failed" if error is not None else outcome["status"]
            if status in ("done", "skipped"):
                (summary.done if status == "done" else summary.skipped).append(job.id)
                summary.failed.pop(job.id, None)
                bar.update(1)
                progressed = True
            elif status == "busy":
                again.append(job)
            elif status == "diverged":
                summary.diverged[job.id] = outcome["error"]
                summary.failed.pop(job.id, None)
                log.warning("job %s (cell %s) diverged: %s", job.id, job.hash, outcome["error"])
                bar.update(1)
                progressed = True
            else:
                summary.failed_attempts += 1
                message = (
                    _record_backend_failure(results, job, error) if error is not None else outcome["error"]
                )
                log.warning("job %s (cell %s) failed: %s", job.id, job.hash, message)
                summary.failed[job.id] = message
                if len(failures(job_dir(results, job.id))) < max_attempts:
                    again.append(job)
                progressed = True
            finished = len(summary.done) + len(summary.skipped) + len(summary.diverged)
            running = min(in_flight, backend.slots or in_flight)
            bar.set_postfix(
                done=finished,
                running=running,
                failed=len(summary.failed),
                left=len(plan.jobs) - finished - running,
            )
        if again and not progressed:
            time.sleep(poll_s)  # only jobs running elsewhere remain: wait for them
        todo = again
    bar.close()
    summary.seconds = time.perf_counter() - began
    return summary
