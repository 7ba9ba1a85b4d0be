"""Start-up cost of the command line, as CPU seconds of fresh interpreters and as ratios to
`python -c "import numpy"` measured in the same run.

Usage: python scripts/bench_cli.py [--repeats 5] [--data-dir DIR]
Cases: `import eo_naslib`, `eo-naslib --help`, `eo-naslib space info` (the space cache of
$EO_NASLIB_CACHE) and one `eo-naslib query so2sat --hash H` from an installed store (built from
benchmarks_data/ first if missing, not timed). CPU = user + system of the child (median of
`--repeats`). Targets on the 2-core development machine: `--help` <= 0.5 s, `import eo_naslib`
<= 0.8 s. The last line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from eo_naslib.benchmarks import load_benchmark

REPO = Path(__file__).resolve().parents[1]


def child_seconds(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of running `argv` to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", help="benchmark data dir (default $EO_NASLIB_DATA)")
    args = parser.parse_args()
    benchmark = load_benchmark("so2sat", args.data_dir)  # builds the store if missing
    cell = str(benchmark.measured_hashes()[0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    if args.data_dir:
        env["EO_NASLIB_DATA"] = args.data_dir
    python = [sys.executable]
    cases = {
        "baseline_import_numpy": python + ["-c", "import numpy"],
        "import_eo_naslib": python + ["-c", "import eo_naslib"],
        "help": python + ["-m", "eo_naslib", "--help"],
        "space_info": python + ["-m", "eo_naslib", "space", "info"],
        "query": python + ["-m", "eo_naslib", "query", "so2sat", "--hash", cell, "--metric", "val_accuracy"],
    }
    report: dict[str, float] = {}
    for name, argv in cases.items():
        runs = [child_seconds(argv, env) for _ in range(args.repeats)]
        cpu, wall = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        report[f"{name}_cpu_s"], report[f"{name}_wall_s"] = round(cpu, 3), round(wall, 3)
        print(f"{name:24s} CPU {cpu:6.3f} s   wall {wall:6.3f} s")
    base = report["baseline_import_numpy_cpu_s"]
    for name in cases:
        if name != "baseline_import_numpy":
            report[f"{name}_vs_numpy"] = round(report[f"{name}_cpu_s"] / base, 2)
    report["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
