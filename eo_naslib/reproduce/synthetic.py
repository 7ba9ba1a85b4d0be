"""SYNTHETIC stand-ins for the `so2sat` and `cifar10` stores, for the end-to-end test of
`eo-naslib reproduce --synthetic`: the same metrics, fidelities and recorded walks as the real
benchmarks, values from `eo_naslib.testing.SyntheticBenchmark`'s formula (no number is measured).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..benchmarks.store import BenchmarkStore, MetricRecord, column_key, store_path
from ..landscape import from_benchmark, walks
from ..space import CellTable
from ..testing import SyntheticBenchmark

NOTE = "SYNTHETIC: eo_naslib.testing.SyntheticBenchmark values, not a measurement"
#: measured cells of the synthetic CIFAR-10 stand-in; So2Sat's are its recorded walks (30 x 15)
CIFAR_CELLS = 3000
WALKS, WALK_STEPS = 30, 14
INTERVALS = {"0.8": 1.2816, "0.95": 1.96}


def _store(name: str, space: CellTable, hashes_rows: np.ndarray, columns: dict[str, np.ndarray], metrics: dict[str, MetricRecord],
           fidelities: list[int], recorded: list[list[str]]) -> BenchmarkStore:
    rows = np.sort(hashes_rows)
    return BenchmarkStore(
        name=name,
        description=f"SYNTHETIC stand-in for {name} (tests of `eo-naslib reproduce`)",
        hashes=space.hashes[rows].astype("U32"),
        fidelities=fidelities,
        default_epoch=108,
        metrics=metrics,
        columns={k: v[rows][:, None].astype(np.float64) for k, v in columns.items()},
        provenance={"synthetic": True},
        walks=recorded,
        predicted={k: v.astype(np.float32) for k, v in columns.items()},
        predicted_std={k: np.full(len(space), 0.01, dtype=np.float32) for k in columns},
        surrogate={k: {"uncertainty": {"interval_std_multiplier": INTERVALS}} for k in columns},
    )


def write_synthetic_data(directory: str | Path, space: CellTable) -> Path:
    """Write synthetic `so2sat.store.npz` and `cifar10.store.npz` into `directory` (kept if present)."""
    directory = Path(directory)
    if store_path(directory, "so2sat").is_file() and store_path(directory, "cifar10").is_file():
        return directory
    rng = np.random.default_rng(0)
    base = {seed: SyntheticBenchmark(space, seed=seed) for seed in (10, 11, 12)}
    accuracy = {k: b.values("val_accuracy") for k, b in base.items()}
    time = base[10].values("train_time_s")
    params = 1e5 * (1 + space.labels.astype(int).clip(min=0).sum(axis=1))
    acc = MetricRecord([108], 1, NOTE)
    so2sat_columns = {
        column_key("val_accuracy", 108): 0.55 + 0.1 * (accuracy[10] - 0.6),
        column_key("test_accuracy", 108): 0.55 + 0.1 * (accuracy[10] - 0.6) + rng.normal(0, 0.005, len(space)),
        column_key("val_accuracy_macro", 108): 0.40 + 0.1 * (accuracy[11] - 0.6),
        column_key("test_accuracy_macro", 108): 0.40 + 0.1 * (accuracy[11] - 0.6) + rng.normal(0, 0.005, len(space)),
        column_key("train_time_s", 108): time,
        column_key("latency_ms", None): 1 + time / 100,
        column_key("params", None): params,
    }
    so2sat_metrics = {
        **{m: acc for m in ("val_accuracy", "test_accuracy", "val_accuracy_macro", "test_accuracy_macro", "train_time_s")},
        "latency_ms": MetricRecord(None, 1, NOTE),
        "params": MetricRecord(None, 1, NOTE),
    }
    landscape = from_benchmark(base[10], "val_accuracy", space=space)
    paths = walks.random_walks(landscape, WALKS, WALK_STEPS, seed=0)
    recorded = [space.hashes[p].tolist() for p in paths]
    so2sat = _store("so2sat", space, np.unique(np.concatenate(paths)), so2sat_columns, so2sat_metrics, [108], recorded)
    epochs = [4, 12, 36, 108]
    cifar_columns = {column_key("val_accuracy", e): np.clip(accuracy[12] * (0.7 + 0.3 * e / 108), 0, 1) for e in epochs}
    cifar_columns[column_key("train_time_s", 108)] = time * 10
    cifar_columns[column_key("params", None)] = params
    cifar_metrics = {
        "val_accuracy": MetricRecord(epochs, 1, NOTE),
        "train_time_s": MetricRecord([108], 1, NOTE),
        "params": MetricRecord(None, 1, NOTE),
    }
    measured = rng.choice(len(space), CIFAR_CELLS, replace=False)
    cifar = _store("cifar10", space, np.union1d(measured, np.unique(np.concatenate(paths))[:100]), cifar_columns, cifar_metrics, epochs, [])
    so2sat.save(directory)
    cifar.save(directory)
    return directory
