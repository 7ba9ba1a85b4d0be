"""Build a benchmark store from a plan's finished records, in the imported benchmarks' format.

One record per cell (see `jobs`) becomes one row of a `BenchmarkStore`: every metric of
`eo_naslib.benchmarks.metrics` the records carry, final values at the training epochs and the
per-epoch curves as extra fidelities, provenance (settings, devices, versions, plan, sampler),
the plan's random walks, then surrogate completion by the benchmarks package's own
`complete_with_surrogates`. `load_benchmark(name)` answers it like `so2sat`.

Every record is checked before use (`benchmarks.records.check_record`: checksum, cell, the
fingerprint of the job that claims it, finite in-range numbers). A store never replaces one that
exists, nor takes a shipped benchmark's name (`so2sat`, `cifar10`), unless `replace=True`; then
the previous store is kept as a backup named in the store's provenance (`replaced`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..benchmarks import BENCHMARKS
from ..benchmarks.completion import complete_with_surrogates
from ..benchmarks.metrics import METRICS
from ..benchmarks.records import check_record
from ..benchmarks.store import BenchmarkStore, MetricRecord, backup_store, column_key, store_path
from ..errors import ConfigError, DataFileError
from ..io import safe_child
from ..paths import data_dir
from ..space import CellTable
from .plan import Plan
from .results import read_records

#: metrics that depend on the training budget (stored per epoch); the others are per cell
EPOCH_METRICS = tuple(m for m in METRICS if "accuracy" in m) + ("train_time_s",)


def _epochs_of(record: dict[str, Any]) -> int:
    """The training budget of a record: its settings' `epochs`, else its last curve epoch."""
    settings = record.get("settings") or {}
    if isinstance(settings.get("epochs"), int):
        return int(settings["epochs"])
    return int(max([c["epoch"] for c in record.get("curves") or []] or [0]))


def _check(records: list[dict[str, Any]], source: str) -> None:
    if not records:
        raise DataFileError(f"no finished records under {source}; run `eo-naslib build run PLAN` first")
    for i, record in enumerate(records):
        check_record(record, f"{source}: record {i}", sealed=False)
    duplicated = [h for h, n in Counter(r["cell"]["hash"] for r in records).items() if n > 1]
    if duplicated:
        raise DataFileError(
            f"{source}: {len(duplicated)} cells have several records (e.g. {duplicated[0]}): "
            "the results mix plans "
            "with different settings; build from one plan's results"
        )


def _column(records: list[dict[str, Any]], metric: str, epoch: int | None, final: int) -> np.ndarray:
    """(n, 1) values of `metric`: final metrics at the training budget, curve points at other epochs."""
    values = np.full((len(records), 1), np.nan)
    for i, record in enumerate(records):
        if epoch is None or epoch == final:
            value = record["metrics"].get(metric)
        else:
            value = next((c.get(metric) for c in record.get("curves") or [] if c.get("epoch") == epoch), None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values[i, 0] = float(value)
    return values


def store_from_records(
    records: list[dict[str, Any]],
    name: str,
    description: str = "",
    provenance: dict[str, Any] | None = None,
    walks: list[list[str]] | None = None,
    source: str = "records",
    metrics: Sequence[str] | None = None,
) -> BenchmarkStore:
    """A `BenchmarkStore` (no surrogate yet) with one row per record (one training run per cell).

    `metrics` keeps only those metrics (default: every benchmark metric the records carry).
    """
    safe_child(".", name)
    unknown = sorted(set(metrics or ()) - set(METRICS))
    if unknown:
        raise ConfigError(f"unknown metrics {unknown}; known: {sorted(METRICS)}")
    _check(records, source)
    records = sorted(records, key=lambda r: r["cell"]["hash"])
    budget = sorted({_epochs_of(r) for r in records})
    if len(budget) != 1:
        raise DataFileError(
            f"{source}: records were trained for different epochs {budget}; build one store per budget"
        )
    final = budget[0]
    curve_epochs = sorted({int(c["epoch"]) for r in records for c in r.get("curves") or []} | {final})
    columns: dict[str, np.ndarray] = {}
    kept: dict[str, MetricRecord] = {}
    for metric in metrics or METRICS:
        if metric not in EPOCH_METRICS:
            values = _column(records, metric, None, final)
            if not np.isnan(values).all():
                columns[column_key(metric, None)] = values
                kept[metric] = MetricRecord(None, 1, METRICS[metric].description)
            continue
        epochs = []
        for epoch in curve_epochs:
            values = _column(records, metric, epoch, final)
            if not np.isnan(values).all():
                columns[column_key(metric, epoch)] = values
                epochs.append(epoch)
        if final in epochs:
            kept[metric] = MetricRecord(
                epochs, 1, METRICS[metric].description + "; one training run per cell"
            )
        else:
            for epoch in epochs:
                del columns[column_key(metric, epoch)]
    if not kept:
        raise DataFileError(f"{source}: the records carry no benchmark metric (known: {sorted(METRICS)})")
    return BenchmarkStore(
        name=name,
        description=description or f"built by eo-naslib from {len(records)} trained cells ({final} epochs)",
        hashes=np.array([r["cell"]["hash"] for r in records], dtype="U32"),
        fidelities=curve_epochs,
        default_epoch=final,
        metrics=kept,
        columns=columns,
        provenance={
            **(provenance or {}),
            "built_from": source,
            "settings": _distinct(r.get("settings") for r in records),
            "devices": _distinct((r.get("training") or {}).get("device") or r.get("device") for r in records),
            "models": _distinct(r.get("model") for r in records),
            "versions": _distinct(r.get("versions") for r in records),
            "synthetic": any(bool(r.get("synthetic")) for r in records),
        },
        walks=walks or [],
    )


def _distinct(values: Any) -> list[Any]:
    """The distinct values (JSON-comparable), in first-seen order."""
    seen: list[Any] = []
    for value in values:
        if value is not None and value not in seen:
            seen.append(value)
    return seen


def build_store(
    results: str | os.PathLike,
    name: str,
    directory: str | os.PathLike | None = None,
    plan: Plan | None = None,
    surrogate: bool = True,
    space: CellTable | None = None,
    progress: bool = False,
    metrics: Sequence[str] | None = None,
    replace: bool = False,
) -> BenchmarkStore:
    """Read `results` (each record checked against its `plan` job when given), make the store (of
    `metrics`, default all), fit the completion surrogates, save it into the data dir; an existing
    store or a shipped benchmark's name is refused unless `replace` (see the module docstring)."""
    results = Path(results)
    if not results.is_dir():
        raise ConfigError(f"{results} is not a results directory; give <plan dir>/results")
    target = data_dir(directory)
    safe_child(target, name)
    existing = store_path(target, name)
    if not replace and (name in BENCHMARKS or existing.exists()):
        what = f"the shipped benchmark {name!r}" if name in BENCHMARKS else f"the benchmark {name!r}"
        raise ConfigError(
            f"{existing} would replace {what}; choose another --name, or pass --replace "
            "(replace=True) to replace it (the previous store is kept as a backup)"
        )
    records = read_records(results, plan)
    if metrics is None and plan is not None:
        metrics = plan.store.get("metrics")
    measured = {(r.get("cell") or {}).get("hash") for r in records}
    provenance = {"plan": plan.name, "sampler": plan.sampler, "job": plan.kind} if plan is not None else {}
    store = store_from_records(
        records,
        name,
        description=plan.description if plan is not None else "",
        provenance=provenance,
        walks=[w for w in (plan.walks if plan is not None else []) if set(w) <= measured],
        source=str(results),
        metrics=metrics,
    )
    if surrogate:
        if len(records) < 6:
            raise DataFileError(
                f"{len(records)} records are too few to fit completion surrogates (need 6); "
                "pass surrogate=False (--no-surrogate)"
            )
        complete_with_surrogates(store, space=space, progress=progress)
    if existing.is_file():
        store.provenance["replaced"] = {"store": str(existing), "backup": str(backup_store(target, name))}
    store.save(target)
    return store
