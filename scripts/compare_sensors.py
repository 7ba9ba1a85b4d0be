"""Seed 002's sensor comparison from built benchmarks: footprints side by side and the radar.

Usage:
  python scripts/compare_sensors.py --benchmarks so2sat_s1,so2sat_s2,so2sat_fusion --out DIR [--data-dir D]
  python scripts/compare_sensors.py --demo-synthetic --out DIR
The first form reads stores made by `eo-naslib build store` (see eo_naslib/configs/creation). The
demo trains a few tiny networks per sensor on SYNTHETIC So2Sat-layout files (random-walk cells,
so the walks give a ruggedness), builds tabular stores and compares them; every output of the demo
is labelled synthetic. Writes DIR/footprints/<name>.json, DIR/comparison.json and DIR/radar.png;
the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from eo_naslib.benchmarks import BenchmarkStore, StoredBenchmark  # noqa: E402
from eo_naslib.creation import get_backend, load_plan, make_plan, run_plan  # noqa: E402
from eo_naslib.creation.store import build_store  # noqa: E402
from eo_naslib.io import atomic_write_json, to_jsonable  # noqa: E402
from eo_naslib.landscape import plots  # noqa: E402
from eo_naslib.landscape.footprint import FootprintSettings, footprint, radar_features  # noqa: E402
from eo_naslib.paths import data_dir as default_data_dir  # noqa: E402
from eo_naslib.space import all_cells  # noqa: E402
from eo_naslib.testing import TINY_TRAINING  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

SENSORS = ("s1", "s2", "fusion")
PERSISTENCE_EPOCHS = (4, 12, 36, 108)
#: the demo's tiny network and data: seconds per cell on a CPU (NOT the seeds' settings)
DEMO_SETTINGS = {**TINY_TRAINING, "epochs": 3}


def settings_for(bench: StoredBenchmark, metric: str) -> FootprintSettings:
    """Footprint settings a small tabular benchmark supports (recorded walks when it has them)."""
    measured = int(bench.measured_mask(metric).sum())
    fidelities = list(bench.fidelities)
    persistence = [e for e in PERSISTENCE_EPOCHS if e in fidelities]
    if len(persistence) < 2:
        persistence = fidelities if len(fidelities) >= 2 else []
    return FootprintSettings(
        metric=metric,
        walks="recorded" if bench.walks() else 30,
        steps=14,
        trials=3,
        runs=min(200, measured),
        persistence_epochs=tuple(persistence),
        proxy_samples=min(100, measured - 1),
        proxy_neighbours=max(1, min(10, measured // 3)),
    )


def compare(names: list[str], directory: Path, out: Path, metric: str) -> dict[str, Any]:
    space = all_cells()
    records, synthetic = [], False
    for name in names:
        store = BenchmarkStore.load(directory, name)
        synthetic |= bool(store.provenance.get("synthetic"))
        bench = StoredBenchmark(store, surrogate=False, space=space)  # measured cells only
        record = footprint(bench, settings_for(bench, metric), space=space, progress=True).to_dict()
        record["settings"]["benchmark"] = name
        record["synthetic"] = bool(store.provenance.get("synthetic"))
        atomic_write_json(out / "footprints" / f"{name}.json", to_jsonable(record))
        records.append(record)
    figure = plots.radar(records)
    figure.suptitle(
        ("SYNTHETIC DATA - " if synthetic else "") + f"footprints of {', '.join(names)} ({metric})"
    )
    figure.savefig(out / "radar.png", dpi=120, bbox_inches="tight")
    comparison = {
        "synthetic": synthetic,
        "metric": metric,
        "benchmarks": names,
        "features": {name: radar_features(r) for name, r in zip(names, records)},
        "files": [str(out / "radar.png"), *(str(out / "footprints" / f"{n}.json") for n in names)],
    }
    atomic_write_json(out / "comparison.json", to_jsonable(comparison))
    return comparison


def demo(out: Path, workers: int) -> tuple[list[str], Path]:
    """Train tiny networks per sensor on synthetic files; returns the built stores' names and dir."""
    data = write_synthetic_so2sat(out / "synthetic_so2sat", 256, 64, 64, seed=0)
    directory = out / "data"
    names = []
    with get_backend("local", workers=workers) as backend:
        for sensor in SENSORS:
            name = f"synthetic_{sensor}"
            plan = make_plan(
                {
                    "name": name,
                    "description": f"SYNTHETIC So2Sat-layout data, sensor {sensor}: tiny networks, demo only",
                    "sampler": {"kind": "random_walk", "starts": 2, "steps": 3, "seed": 42},
                    "job": "train",
                    "settings": {**DEMO_SETTINGS, "sensor": sensor, "data_dir": str(data)},
                }
            )
            plan.save(out / "plans" / name)
            plan = load_plan(out / "plans" / name)
            summary = run_plan(plan, backend)
            if summary.failed:
                raise SystemExit(f"{name}: jobs failed: {summary.failed}")
            store = build_store(plan.results, name, directory, plan=plan, surrogate=False)
            store.provenance["synthetic"] = True
            store.save(directory)
            names.append(name)
    return names, directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", help="comma-separated built benchmark names")
    parser.add_argument("--data-dir", help="where the built stores are (default: $EO_NASLIB_DATA)")
    parser.add_argument("--demo-synthetic", action="store_true", help="train a small synthetic demo first")
    parser.add_argument("--metric", default="val_accuracy")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    if args.demo_synthetic:
        names, directory = demo(out, args.workers)
    elif args.benchmarks:
        names, directory = args.benchmarks.split(","), default_data_dir(args.data_dir)
    else:
        parser.error("give --benchmarks NAMES or --demo-synthetic")
    comparison = compare(names, directory, out, args.metric)
    print(json.dumps(comparison))


if __name__ == "__main__":
    main()
