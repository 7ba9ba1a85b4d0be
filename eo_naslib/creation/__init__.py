"""Benchmark creation: sample cells, plan jobs, run them on local / Ray / SLURM backends, build a store."""

from __future__ import annotations

from .backends import BACKENDS, Backend, get_backend
from .coordinator import RunSummary, run_plan
from .jobs import JobKind, job_kind, register_job_kind
from .plan import Job, Plan, load_plan, make_plan
from .results import plan_status, read_records
from .sampling import hash_sample, lhs_sample, random_walk_sample, random_walks, uniform_sample
from .store import build_store, store_from_records

__all__ = [
    "BACKENDS",
    "Backend",
    "Job",
    "JobKind",
    "Plan",
    "RunSummary",
    "build_store",
    "get_backend",
    "hash_sample",
    "job_kind",
    "lhs_sample",
    "load_plan",
    "make_plan",
    "plan_status",
    "random_walk_sample",
    "random_walks",
    "read_records",
    "register_job_kind",
    "run_plan",
    "store_from_records",
    "uniform_sample",
]
