"""Cells measured per minute on this CPU by the `measure` job kind, against the forward passes alone.

Usage: python scripts/bench_measure.py [--cells 10] [--repeats 20] [--warmup 1] [--threads 1]
                                       [--runtimes torch,onnxruntime] [--stem-channels 128]

Each runtime measures the same `--cells` LHS cells (10-band 32x32 input, batch 1: `batch_size: 1`,
so one set of `repeats` timed passes serves both profile points) through the job layer
(`jobs.execute`: claim, profile, sealed record, events), one after another in this process
(imports done before the clock starts). The floor is the time of the timed forward passes alone
(`repeats` per cell, from the records); overhead = 1 - floor / total: memory check, network build,
export and session (ONNX Runtime), warm-up, MACs and size, peak-memory reset, records. Its parts
are timed once more, apart, on the same cells. Goal: overhead < 25% of the total. The last line is JSON.

Warm-up: the profile times its warm-up passes too; `warmup_pass_over_mean` gives each one's time over
the steady mean. On this 2-core CPU (torch, 1 thread) only the first pass is slow (1.26x; the
second and third 0.94x and 0.87x under load), hence one warm-up pass by default here; GPUs need more
(the measure job's default is 5).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from eo_naslib.creation import load_plan, make_plan
from eo_naslib.creation.jobs import execute, job_dir
from eo_naslib.creation.measure import network_config
from eo_naslib.io import read_json
from eo_naslib.training import onnx_runtime
from eo_naslib.training.hardware import state_dict_kib
from eo_naslib.training.limits import estimate_bytes
from eo_naslib.training.profile import cell_macs, network_for_profile
from eo_naslib.training.so2sat import NUM_CLASSES, PATCH


def bench(runtime: str, args: argparse.Namespace, root: Path) -> dict[str, float]:
    settings = {"runtime": runtime, "batch_size": 1, "repeats": args.repeats, "warmup": args.warmup,
                "threads": args.threads, "stem_channels": args.stem_channels}  # fmt: skip
    plan = make_plan({"name": f"bench-{runtime}", "sampler": {"kind": "lhs", "n": args.cells, "seed": 3}, "job": "measure", "settings": settings})
    plan.save(root / runtime)
    plan = load_plan(root / runtime)
    began = time.perf_counter()
    for job in plan.jobs:
        outcome = execute(job, str(plan.results))
        assert outcome["status"] == "done", outcome
    total = time.perf_counter() - began
    records = [read_json(job_dir(plan.results, j.id) / "record.json") for j in plan.jobs]
    floor = sum(r["profile"]["batch_1"]["mean_ms"] * args.repeats for r in records) / 1000
    warmup = sum(r["profile"]["batch_1"]["mean_ms"] * args.warmup for r in records) / 1000
    config = network_config({"sensor": "s2", "stem_channels": args.stem_channels, "num_stacks": 3, "cells_per_stack": 3, "device": "cpu", "precision": "auto"})
    build = export = counting = check = 0.0
    for job in plan.jobs:
        start = time.perf_counter()
        estimate_bytes(job.cell, 10, args.stem_channels, 3, 3, 1, training=False)
        check += time.perf_counter() - start
        start = time.perf_counter()
        model = network_for_profile(job.cell, config).eval()
        build += time.perf_counter() - start
        start = time.perf_counter()
        cell_macs(job.cell, config, 10, NUM_CLASSES, (PATCH, PATCH)), state_dict_kib(model)
        counting += time.perf_counter() - start
        if runtime == "onnxruntime":
            start = time.perf_counter()
            onnx_runtime.checked_session(model, torch.randn(2, 10, 32, 32), torch.get_num_threads())
            export += time.perf_counter() - start
    return {
        "cells": args.cells,
        "cells_per_min": args.cells / total * 60,
        "floor_cells_per_min": args.cells / floor * 60,
        "overhead_share": 1 - floor / total,
        "total_s": total,
        "forward_passes_s": floor,
        "warmup_share": warmup / total,
        "build_share": build / total,
        "export_and_check_share": export / total,
        "macs_and_size_share": counting / total,
        "memory_check_share": check / total,
        "batch_1_latency_ms_mean_over_cells": sum(r["metrics"]["latency_ms"] for r in records) / len(records),
        # the warm-up passes' times over the steady mean, per warm-up pass, averaged over cells: how many passes warm-up needs
        "warmup_pass_over_mean": [
            sum(r["profile"]["batch_1"]["warmup_ms"][k] / r["profile"]["batch_1"]["mean_ms"] for r in records) / len(records) for k in range(args.warmup)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stem-channels", type=int, default=128)
    parser.add_argument("--runtimes", default="torch,onnxruntime")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out: dict[str, object] = {"input": "10 bands x 32 x 32, batch 1", "repeats": args.repeats, "warmup": args.warmup, "threads": args.threads,
                              "stem_channels": args.stem_channels, "goal": "overhead_share < 0.25"}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for runtime in args.runtimes.split(","):
            out[runtime] = result = bench(runtime, args, Path(folder))
            print(f"{runtime}: {result['cells_per_min']:.1f} cells/min vs floor {result['floor_cells_per_min']:.1f}; "
                  f"overhead {result['overhead_share']:.1%} (build {result['build_share']:.1%}, warm-up {result['warmup_share']:.1%}, "
                  f"export {result['export_and_check_share']:.1%}, MACs+size {result['macs_and_size_share']:.1%}, "
                  f"memory check {result['memory_check_share']:.1%}); warm-up passes / steady mean: "
                  f"{', '.join(f'{x:.2f}' for x in result['warmup_pass_over_mean'])}")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
