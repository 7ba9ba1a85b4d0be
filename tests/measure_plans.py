"""A tiny measure-only plan (3 cells; stem 8, one stack of one cell; batch 2, 2 timed passes, no
warm-up, 1 thread) and what every backend's run of it must give: one record per cell, the
network's figures (params, MACs, size) equal to those of the same jobs run in the test's process
(by the job layer's `execute`, as every backend runs them), positive latencies, the device
fingerprint, and a store that `load_benchmark` opens. Used by the Ray and SLURM tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eo_naslib.benchmarks import load_benchmark
from eo_naslib.creation import Plan, load_plan, make_plan, read_records
from eo_naslib.creation.jobs import execute
from eo_naslib.creation.store import build_store

TINY_MEASURE: dict[str, Any] = {
    "stem_channels": 8, "num_stacks": 1, "cells_per_stack": 1, "batch_size": 2, "repeats": 2, "warmup": 0, "threads": 1, "device": "cpu",
}  # fmt: skip
#: figures of the network alone (equal wherever it is measured); the other metrics are timings
DETERMINISTIC = ("params", "macs", "size_kb")
#: timings that must be positive (the spread `latency_std_ms` may be 0)
POSITIVE = ("latency_ms", "latency_median_ms", "latency_p95_ms", "latency_batch_ms", "throughput_images_per_s")


def measure_plan(root: Path, name: str = "tiny-measure") -> Plan:
    plan = make_plan(
        {"name": name, "sampler": {"kind": "lhs", "n": 3, "seed": 4}, "job": "measure", "settings": TINY_MEASURE, "store": {"name": name}}
    )
    plan.save(root)
    return load_plan(root)


def network_figures(plan: Plan) -> dict[str, dict[str, float]]:
    """cell hash -> its `DETERMINISTIC` metrics, from the plan's records."""
    return {r["cell"]["hash"]: {k: r["metrics"][k] for k in DETERMINISTIC} for r in read_records(plan.results, plan)}


def measured_here(root: Path) -> dict[str, dict[str, float]]:
    """`network_figures` of the same plan's jobs executed in this process, as a local backend's
    worker executes them (a spawned worker would import torch again: seconds per test)."""
    plan = measure_plan(root)
    assert [execute(job, str(plan.results))["status"] for job in plan.jobs] == ["done"] * 3
    return network_figures(plan)


def check_measured(plan: Plan, local: dict[str, dict[str, float]], data_dir: Path) -> None:
    """The plan's records are complete and agree with `local` (`measured_here`); their store opens by name."""
    records = read_records(plan.results, plan)
    assert sorted(r["cell"]["hash"] for r in records) == sorted(job.hash for job in plan.jobs)  # one record per cell
    assert network_figures(plan) == local
    for record in records:
        assert all(record["metrics"][k] > 0 for k in POSITIVE) and record["metrics"]["latency_std_ms"] >= 0, record["metrics"]
        device = record["device"]
        assert (device["type"], device["threads"], device["dtype"], device["runtime"]) == ("cpu", 1, "fp32", "torch")
        assert device["name"] and device["torch"], device
    build_store(plan.results, plan.name, directory=data_dir, plan=plan, surrogate=False)
    benchmark = load_benchmark(plan.name, data_dir, surrogate=False)
    assert sorted(benchmark.measured_hashes()) == sorted(job.hash for job in plan.jobs)
    for record in records:
        assert benchmark.query(record["cell"]["hash"], "latency_ms") == pytest.approx(record["metrics"]["latency_ms"])
