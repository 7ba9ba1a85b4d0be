"""Which latency statistic repeats on this machine? The same cells timed twice, back to back.

Usage: python scripts/bench_repeat.py [--cells 40] [--repeats 8] [--warmup 1] [--threads 1] [--seed 0]

`--cells` LHS cells (10-band 32x32 input, batch 1, NB101's default network) are each built once
and timed in two rounds of `repeats` passes after `warmup` (the profile's timer,
`hardware.time_runs`). For the mean, median, 25th percentile and minimum of each round it prints
the median, 90th-percentile and largest relative difference between the rounds and their Spearman
rank correlation. On an idle machine all agree; with other work on the machine the minimum
repeats best (docs/device_profiles.md). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from scipy.stats import spearmanr

from eo_naslib.creation.measure import network_config
from eo_naslib.creation.sampling import lhs_sample
from eo_naslib.training.hardware import time_runs
from eo_naslib.training.profile import network_for_profile

STATISTICS = {"mean": np.mean, "median": np.median, "p25": lambda t: np.percentile(t, 25), "min": np.min}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = network_config({"sensor": "s2", "stem_channels": 128, "num_stacks": 3, "cells_per_stack": 3, "device": "cpu", "precision": "auto"})
    image = torch.randn(1, 10, 32, 32)
    rounds = np.zeros((2, args.cells, len(STATISTICS)))
    for i, cell in enumerate(lhs_sample(args.cells, seed=args.seed)):
        model = network_for_profile(cell, config).eval()
        with torch.no_grad():
            for k in range(2):
                _, times = time_runs(lambda: model(image), args.warmup, args.repeats, lambda: None)
                rounds[k, i] = [f(np.asarray(times)) for f in STATISTICS.values()]
    out: dict[str, object] = {"cells": args.cells, "repeats": args.repeats, "warmup": args.warmup, "threads": args.threads}
    for j, name in enumerate(STATISTICS):
        first, second = rounds[0, :, j], rounds[1, :, j]
        relative = np.abs(first - second) / np.minimum(first, second)
        out[name] = figures = {
            "median_relative_difference": float(np.median(relative)),
            "p90_relative_difference": float(np.percentile(relative, 90)),
            "largest_relative_difference": float(relative.max()),
            "spearman": float(spearmanr(first, second).statistic),
        }
        print(f"{name:>6}: median {figures['median_relative_difference']:.1%}, p90 {figures['p90_relative_difference']:.1%}, "
              f"largest {figures['largest_relative_difference']:.1%}, Spearman {figures['spearman']:.3f}")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
