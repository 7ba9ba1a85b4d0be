"""Reading a plan's results: per-job state (done / diverged / running / failed / left), divergence
retries and the finished records."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..benchmarks.records import check_record
from ..errors import DataFileError
from ..io import read_json
from ..schema import FileCheck
from .jobs import CLAIM_INFO, RECORD, diverged_attempts, diverged_reason, failures, is_claimed, is_diverged, is_done, job_dir
from .plan import Plan

STATES = ("done", "diverged", "running", "failed", "left")


def job_state(directory: Path) -> str:
    """done (record written), diverged (given up: every seed diverged), running (claim held),
    failed (attempts failed, not running), else left."""
    if is_done(directory):
        return "done"
    if is_diverged(directory):
        return "diverged"
    if is_claimed(directory):
        return "running"
    return "failed" if failures(directory) else "left"


def plan_status(plan: Plan) -> dict[str, Any]:
    """Counts per state, one row per unfinished job (state, attempts failed, last error, holder;
    a diverged job's reason) and one per job retried after a divergence (seeds and reasons)."""
    counts = dict.fromkeys(STATES, 0)
    jobs, retried = [], []
    for job in plan.jobs:
        directory = job_dir(plan.results, job.id)
        state = job_state(directory)
        counts[state] += 1
        attempts = diverged_attempts(directory)
        if attempts:
            retried.append(
                {"id": job.id, "hash": job.hash, "state": state, "diverged_seeds": [a["seed"] for a in attempts],
                 "reasons": [a["reason"] for a in attempts]}
            )  # fmt: skip
        if state == "done":
            continue
        failed = failures(directory)
        row: dict[str, Any] = {"id": job.id, "hash": job.hash, "state": state, "failed_attempts": len(failed)}
        if failed:
            row["last_error"] = failed[-1]["error"]
        if state == "diverged":
            row["reason"] = diverged_reason(directory)
        if state == "running" and (directory / CLAIM_INFO).exists():
            claim = directory / CLAIM_INFO
            row["claim"] = FileCheck(claim, "it is rewritten when the job runs").mapping(read_json(claim), "(top level)")
        jobs.append(row)
    return {"plan": plan.name, "jobs": len(plan.jobs), **counts, "unfinished": jobs, "retried": retried}


def read_records(results: str | os.PathLike, plan: Plan | None = None) -> list[dict[str, Any]]:
    """Every finished record under a results directory (`<results>/<job id>/record.json`), by job id,
    each checked (`benchmarks.records.check_record`); with `plan`, each against the job that claims
    it (cell and settings fingerprint), and a record no job of the plan claims is refused."""
    paths = sorted(Path(results).glob(f"*/{RECORD}"))
    if plan is None:
        return [check_record(read_json(path), path) for path in paths]
    jobs = {job.id: job for job in plan.jobs}
    stray = [path for path in paths if path.parent.name not in jobs]
    if stray:
        raise DataFileError(
            f"{stray[0]} belongs to no job of plan {plan.name!r} ({len(stray)} such records); "
            "move them away or build from the plan that made them"
        )
    one_per_repeat = {job.repeat: job for job in plan.jobs}  # the repeats' settings differ in their seed only
    expected = {repeat: job.fingerprint() for repeat, job in one_per_repeat.items()}
    return [
        check_record(read_json(path), path, jobs[path.parent.name].hash, expected[jobs[path.parent.name].repeat])
        for path in paths
    ]
