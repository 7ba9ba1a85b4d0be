"""Build a benchmark store from a plan's finished records, in the imported benchmarks' format.

The records of a cell (one per repeat, see `plan`) become one row of a `BenchmarkStore`, one
column per repeat (ordered by seed: repeat k is the run with the k-th smallest seed of the plan,
NaN where that run is missing): every metric of `eo_naslib.benchmarks.metrics` the records carry
(kappa and losses included), each class's accuracy (`<split>_accuracy_class_<k>`), final values at
the training epochs and the per-epoch curves as extra fidelities, provenance (settings, datasets
with their sensor and bands, devices, versions, repeats and their seeds, plan, sampler), the plan's
random walks, then surrogate completion by the benchmarks package's own `complete_with_surrogates`
(per-class accuracies are measured-only: no surrogate). `load_benchmark(name)` answers it like
`so2sat`: the mean over repeats by default, one run with `repeat=k`.

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
from ..benchmarks.metrics import METRICS, PER_CLASS, SPLITS, metric_info, per_class_metric
from ..benchmarks.records import check_record
from ..benchmarks.store import BenchmarkStore, MetricRecord, backup_store, column_key, store_path
from ..errors import ConfigError, DataFileError
from ..io import safe_child
from ..paths import data_dir
from ..space import CellTable
from .plan import Plan
from .results import read_records

#: metrics that depend on the training budget (stored per epoch); the others are per cell
EPOCH_METRICS = tuple(m for m in METRICS if "accuracy" in m or m.endswith(("_kappa", "_loss"))) + ("train_time_s",)


def _epochs_of(record: dict[str, Any]) -> int:
    """The training budget of a record: its settings' `epochs`, else its last curve epoch."""
    settings = record.get("settings") or {}
    if isinstance(settings.get("epochs"), int):
        return int(settings["epochs"])
    return int(max([c["epoch"] for c in record.get("curves") or []] or [0]))


def _seed(record: dict[str, Any]) -> Any:
    return (record.get("settings") or {}).get("seed")


def _check(records: list[dict[str, Any]], source: str) -> list[Any] | None:
    """Check every record; returns the seeds of the repeats (sorted), or None with one run per cell.

    Several records of one cell are repeats when they differ in their settings' integer `seed`
    only; the same seed twice, or other differences, mean the results mix plans (refused)."""
    if not records:
        raise DataFileError(f"no finished records under {source}; run `eo-naslib build run PLAN` first")
    for i, record in enumerate(records):
        check_record(record, f"{source}: record {i}", sealed=False)
    runs = Counter(r["cell"]["hash"] for r in records)
    if max(runs.values()) == 1:
        return None
    duplicated = [h for h, n in Counter((r["cell"]["hash"], str(_seed(r))) for r in records).items() if n > 1]
    if duplicated or any(not isinstance(_seed(r), int) or isinstance(_seed(r), bool) for r in records):
        example = duplicated[0] if duplicated else next((r["cell"]["hash"], _seed(r)) for r in records if runs[r["cell"]["hash"]] > 1)
        raise DataFileError(
            f"{source}: cells have several records with the same or no seed (e.g. cell {example[0]}, seed {example[1]}): "
            "the results mix plans with different settings; build from one plan's results"
        )
    first: dict[str, dict[str, Any]] = {}
    for record in records:
        rest = {k: v for k, v in (record.get("settings") or {}).items() if k != "seed"}
        other = first.setdefault(record["cell"]["hash"], rest)
        if other != rest:
            keys = sorted(k for k in {*rest, *other} if rest.get(k) != other.get(k))
            raise DataFileError(
                f"{source}: the records of cell {record['cell']['hash']} differ in settings {keys}, not only in the seed; "
                "build one store per settings"
            )
    return sorted({_seed(r) for r in records})


def _from(mapping: Any, metric: str) -> Any:
    """`metric` of a record's metrics / extra / curve point (a per-class accuracy from its list)."""
    if not isinstance(mapping, dict):
        return None
    match = PER_CLASS.fullmatch(metric)
    if match is None:
        return mapping.get(metric)
    classes = mapping.get(f"{match.group(1)}_per_class_accuracy")
    index = int(match.group(2))
    return classes[index] if isinstance(classes, list) and index < len(classes) else None


def _value(record: dict[str, Any], metric: str, epoch: int | None, final: int) -> Any:
    """Final metrics (then `extra`, then the last curve point) at the training budget; curve points at other epochs."""
    point = next((c for c in record.get("curves") or [] if c.get("epoch") == (final if epoch is None else epoch)), None)
    if epoch is None or epoch == final:
        for source in (record["metrics"], record.get("extra"), point):
            value = _from(source, metric)
            if value is not None:
                return value
        return None
    return _from(point, metric)


def _column(
    records: list[dict[str, Any]], slots: list[tuple[int, int]], shape: tuple[int, int], metric: str, epoch: int | None, final: int
) -> np.ndarray:
    """(n cells, repeats) values of `metric`; `slots[i]` is (row, repeat) of record i; NaN where absent."""
    values = np.full(shape, np.nan)
    for (row, repeat), record in zip(slots, records):
        value = _value(record, metric, epoch, final)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values[row, repeat] = float(value)
    return values


def per_class_metrics(records: list[dict[str, Any]]) -> list[str]:
    """`<split>_accuracy_class_<k>` for every class a record's per-class accuracies list."""
    counts = dict.fromkeys(SPLITS, 0)
    for record in records:
        for mapping in (record.get("extra"), *(record.get("curves") or [])):
            for split in SPLITS:
                classes = mapping.get(f"{split}_per_class_accuracy") if isinstance(mapping, dict) else None
                if isinstance(classes, list):
                    counts[split] = max(counts[split], len(classes))
    return [per_class_metric(split, k) for split in SPLITS for k in range(counts[split])]


def store_from_records(
    records: list[dict[str, Any]],
    name: str,
    description: str = "",
    provenance: dict[str, Any] | None = None,
    walks: list[list[str]] | None = None,
    source: str = "records",
    metrics: Sequence[str] | None = None,
) -> BenchmarkStore:
    """A `BenchmarkStore` (no surrogate yet) with one row per cell and one column per repeat.

    `metrics` keeps only those metrics (default: every benchmark metric and per-class accuracy
    the records carry).
    """
    safe_child(".", name)
    unknown = sorted(m for m in metrics or () if m not in METRICS and not PER_CLASS.fullmatch(m))
    if unknown:
        raise ConfigError(f"unknown metrics {unknown}; known: {sorted(METRICS)} and per-class accuracies (val_accuracy_class_0, ...)")
    seeds = _check(records, source)
    records = sorted(records, key=lambda r: (r["cell"]["hash"], _seed(r) if seeds else 0))
    hashes = sorted({r["cell"]["hash"] for r in records})
    row_of = {h: i for i, h in enumerate(hashes)}
    slots = [(row_of[r["cell"]["hash"]], seeds.index(_seed(r)) if seeds else 0) for r in records]
    shape = (len(hashes), len(seeds) if seeds else 1)
    runs = (
        f"mean of {shape[1]} training runs per cell; repeat=k is the run with the k-th of seeds {seeds}"
        if seeds else "one training run per cell"
    )
    budget = sorted({_epochs_of(r) for r in records})
    if len(budget) != 1:
        raise DataFileError(
            f"{source}: records were trained for different epochs {budget}; build one store per budget"
        )
    final = budget[0]
    curve_epochs = sorted({int(c["epoch"]) for r in records for c in r.get("curves") or []} | {final})
    columns: dict[str, np.ndarray] = {}
    kept: dict[str, MetricRecord] = {}
    for metric in metrics or [*METRICS, *per_class_metrics(records)]:
        about = metric_info(metric).description
        if metric not in EPOCH_METRICS and not PER_CLASS.fullmatch(metric):
            values = _column(records, slots, shape, metric, None, final)
            if not np.isnan(values).all():
                columns[column_key(metric, None)] = values
                kept[metric] = MetricRecord(None, shape[1], f"{about}; {runs}")
            continue
        epochs = []
        for epoch in curve_epochs:
            values = _column(records, slots, shape, metric, epoch, final)
            if not np.isnan(values).all():
                columns[column_key(metric, epoch)] = values
                epochs.append(epoch)
        if final in epochs:
            kept[metric] = MetricRecord(epochs, shape[1], f"{about}; {runs}")
        else:
            for epoch in epochs:
                del columns[column_key(metric, epoch)]
    if not kept:
        raise DataFileError(f"{source}: the records carry no benchmark metric (known: {sorted(METRICS)})")
    return BenchmarkStore(
        name=name,
        description=description or f"built by eo-naslib from {len(hashes)} trained cells ({final} epochs, {shape[1]} run(s) each)",
        hashes=np.array(hashes, dtype="U32"),
        fidelities=curve_epochs,
        default_epoch=final,
        metrics=kept,
        columns=columns,
        provenance={
            **(provenance or {}),
            "built_from": source,
            "settings": _distinct(r.get("settings") for r in records),
            "repeats": {"count": shape[1], "seeds": seeds or _distinct(_seed(r) for r in records)},
            "datasets": _distinct(r.get("data") for r in records),
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
        if len(store.hashes) < 6:
            raise DataFileError(
                f"{len(store.hashes)} cells are too few to fit completion surrogates (need 6); "
                "pass surrogate=False (--no-surrogate)"
            )
        keys = [k for k in store.column_keys() if not PER_CLASS.fullmatch(k.split("@")[0])]  # per-class: measured only
        complete_with_surrogates(store, space=space, progress=progress, keys=keys)
    if existing.is_file():
        store.provenance["replaced"] = {"store": str(existing), "backup": str(backup_store(target, name))}
    store.save(target)
    return store
