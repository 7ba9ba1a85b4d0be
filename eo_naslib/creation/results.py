"""Reading a plan's results: per-job state (done / running / failed / left) and the finished records."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..io import read_json
from .jobs import CLAIM_INFO, RECORD, failures, is_claimed, is_done, job_dir
from .plan import Plan

STATES = ("done", "running", "failed", "left")


def job_state(directory: Path) -> str:
    """done (record written), running (claim held), failed (attempts failed, not running), else left."""
    if is_done(directory):
        return "done"
    if is_claimed(directory):
        return "running"
    return "failed" if failures(directory) else "left"


def plan_status(plan: Plan) -> dict[str, Any]:
    """Counts per state and one row per unfinished job (state, attempts failed, last error, holder)."""
    counts = dict.fromkeys(STATES, 0)
    jobs = []
    for job in plan.jobs:
        directory = job_dir(plan.results, job.id)
        state = job_state(directory)
        counts[state] += 1
        if state == "done":
            continue
        failed = failures(directory)
        row: dict[str, Any] = {"id": job.id, "hash": job.hash, "state": state, "failed_attempts": len(failed)}
        if failed:
            row["last_error"] = failed[-1]["error"]
        if state == "running" and (directory / CLAIM_INFO).exists():
            row["claim"] = read_json(directory / CLAIM_INFO)
        jobs.append(row)
    return {"plan": plan.name, "jobs": len(plan.jobs), **counts, "unfinished": jobs}


def read_records(results: str | os.PathLike) -> list[dict[str, Any]]:
    """Every finished record under a results directory (`<results>/<job id>/record.json`), by job id."""
    return [read_json(path) for path in sorted(Path(results).glob(f"*/{RECORD}"))]
