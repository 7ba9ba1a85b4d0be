"""Distribution-only sources: result tables whose rows cannot be mapped to cells.

Seed 001's `all_metrics.csv` (907 So2Sat LCZ42 trainings, final epoch) numbers its architectures
with an `arch_num` whose mapping to NB101 cells was never published. It is imported as a
`DistributionSource`: named, unit-explicit columns for distribution statistics, flagged
`mapped_to_cells = False`, never a benchmark one can query by cell.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataFileError
from .formats.compressed import read_source
from .store import sha256_of

#: all_metrics.csv column -> (our name, what it is); `validation_accuracy` repeats the macro column
ALL_METRICS_COLUMNS = {
    "validation_avg_micro_accuracy": ("val_accuracy", "overall (micro) validation accuracy"),
    "validation_avg_macro_accuracy": ("val_accuracy_macro", "class-averaged (macro) validation accuracy"),
    "train_avg_micro_accuracy": ("train_accuracy", "overall (micro) training accuracy"),
    "train_avg_macro_accuracy": ("train_accuracy_macro", "class-averaged (macro) training accuracy"),
    "training_time": ("epoch_time_s", "wall time of ONE epoch in seconds (not of the whole run)"),
}
ACCURACY_RANGE = (0.0, 1.0)


@dataclass(frozen=True)
class DistributionSource:
    """Columns of a results table that are not mapped to cells (statistics only)."""

    name: str
    columns: dict[str, np.ndarray]
    notes: dict[str, str]
    provenance: dict[str, str] = field(default_factory=dict)
    mapped_to_cells: bool = False

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataFileError(f"{path}: line {line}, column {column!r} must be a finite number, got {text!r}; use the published file")
    return value


def import_all_metrics(path: str | os.PathLike) -> DistributionSource:
    """Seed 001's `all_metrics.csv` (plain or .gz): one row per training, final epoch only.

    Every row must hold the columns above as finite numbers, accuracies in [0, 1], times >= 0,
    and all rows the same (final) epoch; `arch_num` must be unique (one row per architecture).
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file; pass the all_metrics.csv of emreds/tum-dlr-automl-for-eo (scripts/)")
    text = read_source(path).decode("utf-8", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    needed = [*ALL_METRICS_COLUMNS, "epoch", "arch_num"]
    missing = [c for c in needed if c not in (reader.fieldnames or [])]
    if missing:
        raise DataFileError(f"{path}: column {missing[0]!r} is missing (header {reader.fieldnames}); use the published all_metrics.csv")
    values: dict[str, list[float]] = {name: [] for name, _ in ALL_METRICS_COLUMNS.values()}
    epochs, archs = set(), []
    for line, row in enumerate(reader, start=2):
        for column, (name, _) in ALL_METRICS_COLUMNS.items():
            value = _number(row[column] or "", path, line, column)
            low, high = ACCURACY_RANGE if name != "epoch_time_s" else (0.0, math.inf)
            if not low <= value <= high:
                raise DataFileError(f"{path}: line {line}, column {column!r} must be in [{low}, {high}], got {value}; use the published file")
            values[name].append(value)
        epochs.add(row["epoch"])
        archs.append(row["arch_num"])
    if not archs:
        raise DataFileError(f"{path}: no rows; use the published all_metrics.csv")
    if len(epochs) != 1:
        raise DataFileError(f"{path}: rows of several epochs {sorted(epochs)}; the table must hold the final epoch only")
    if len(set(archs)) != len(archs):
        raise DataFileError(f"{path}: an arch_num appears twice; one row per architecture is expected")
    return DistributionSource(
        name="so2sat_all_metrics_907",
        columns={k: np.asarray(v) for k, v in values.items()},
        notes={name: note for name, note in ALL_METRICS_COLUMNS.values()}
        | {"cells": "arch_num cannot be mapped to NB101 cells (the mapping was never published): statistics only"},
        provenance={"file": path.name, "sha256": sha256_of(path), "final_epoch_index": epochs.pop()},
    )
