"""Per-job overhead of the creation job layer with a no-op job, on the local and Ray backends.

Usage: python scripts/bench_build.py [--jobs 200] [--workers 2] [--backends local,ray]
A plan of `--jobs` `noop` jobs (distinct LHS cells) is run once cold (backend start included)
and the wall time per job reported; a second run of the same plan measures the skip path
(every record exists). Overhead per job = wall time / jobs x workers (what one job slot loses).
Target: under 1 s per job, nothing against a GPU-hour of training. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from eo_naslib.creation import get_backend, load_plan, make_plan, run_plan


def bench(backend_name: str, jobs: int, workers: int, root: Path) -> dict[str, float]:
    plan = make_plan(
        {"name": f"bench_{backend_name}", "sampler": {"kind": "lhs", "n": jobs, "seed": 0}, "job": "noop"}
    )
    plan.save(root / backend_name)
    plan = load_plan(root / backend_name)
    options = {"workers": workers} if backend_name == "local" else {"init": {"num_cpus": workers}}
    began = time.perf_counter()
    with get_backend(backend_name, **options) as backend:
        started = time.perf_counter()
        summary = run_plan(plan, backend, progress=False)
        run_s = time.perf_counter() - started
        assert len(summary.done) == jobs and not summary.failed, summary.to_dict()
        skip_began = time.perf_counter()
        again = run_plan(plan, backend, progress=False)
        skip_s = time.perf_counter() - skip_began
        assert len(again.skipped) == jobs
    return {
        "jobs": jobs,
        "workers": workers,
        "backend_start_s": started - began,
        "run_s": run_s,
        "overhead_per_job_s": run_s / jobs * workers,
        "jobs_per_s": jobs / run_s,
        "rerun_skip_s": skip_s,
        "total_with_start_s": time.perf_counter() - began,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", default="local,ray")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            results[name] = bench(name, args.jobs, args.workers, Path(tmp))
            print(
                f"{name}: {results[name]['overhead_per_job_s'] * 1e3:.1f} ms overhead per job "
                f"({results[name]['jobs_per_s']:.1f} jobs/s on {args.workers} workers)"
            )
    worst = max(r["overhead_per_job_s"] for r in results.values())
    print(
        json.dumps(
            {"benchmark": "build_job_overhead", "target_s": 1.0, "meets_target": worst < 1.0, **results}
        )
    )


if __name__ == "__main__":
    main()
