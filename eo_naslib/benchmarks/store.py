"""The benchmark store: one safe-to-load file pair per benchmark in the data dir.

`<name>.npz` (numpy, loaded with `allow_pickle=False`) holds the measured cells' hashes, one
(n_cells, n_repeats) float array per metric and epoch (NaN = not measured), and the surrogate's
predictions for all 423,624 cells. `<name>.json` is the manifest: metric schema (units, epochs,
repeats), provenance (sources with sha256), surrogate quality, recorded walks, and the sha256 of
the .npz, checked at load time so a corrupt or half-written store is reported, not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError

FORMAT_VERSION = 1


def column_key(metric: str, epoch: int | None) -> str:
    """Array name of a metric at an epoch (`None` for epoch-independent metrics)."""
    return metric if epoch is None else f"{metric}@{epoch}"


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class MetricRecord:
    """What the store knows of one metric: its epochs (None = epoch-independent) and repeats."""

    epochs: list[int] | None
    repeats: int
    note: str = ""


@dataclass
class BenchmarkStore:
    """Measured records of one benchmark (+ surrogate predictions over the whole space)."""

    name: str
    description: str
    hashes: np.ndarray  # (n,) sorted NB101 hashes of the measured cells
    fidelities: list[int]
    default_epoch: int
    metrics: dict[str, MetricRecord]
    columns: dict[str, np.ndarray]  # column_key -> (n, repeats) float64, NaN = not measured
    provenance: dict[str, Any] = field(default_factory=dict)
    walks: list[list[str]] = field(default_factory=list)
    predicted: dict[str, np.ndarray] = field(default_factory=dict)  # column_key -> (423,624,) float32
    surrogate: dict[str, Any] = field(default_factory=dict)  # column_key -> {params, cv scores}

    def __post_init__(self) -> None:
        order = np.argsort(self.hashes, kind="stable")
        if not np.array_equal(order, np.arange(len(order))):
            self.hashes = self.hashes[order]
            self.columns = {k: v[order] for k, v in self.columns.items()}
        if len(np.unique(self.hashes)) != len(self.hashes):
            raise DataFileError(f"benchmark {self.name!r}: duplicate cell hashes in the records")

    def column_keys(self) -> list[str]:
        """Every (metric, epoch) column, in schema order."""
        return [
            column_key(metric, epoch)
            for metric, record in self.metrics.items()
            for epoch in (record.epochs or [None])
        ]

    # ------------------------------------------------------------------ files
    def save(self, directory: str | os.PathLike) -> Path:
        """Write `<name>.npz` and `<name>.json` atomically; returns the manifest path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {"hashes": self.hashes.astype("U32")}
        arrays.update({f"measured/{k}": v for k, v in self.columns.items()})
        arrays.update({f"predicted/{k}": v for k, v in self.predicted.items()})
        npz = directory / f"{self.name}.npz"
        partial = npz.with_suffix(".npz.partial")
        with open(partial, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "n_cells": int(len(self.hashes)),
            "fidelities": self.fidelities,
            "default_epoch": self.default_epoch,
            "metrics": {m: vars(r) for m, r in self.metrics.items()},
            "provenance": self.provenance,
            "surrogate": self.surrogate,
            "walks": self.walks,
            "npz_sha256": sha256_of(partial),
        }
        os.replace(partial, npz)
        path = directory / f"{self.name}.json"
        _write_json_atomic(path, manifest)
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike, name: str) -> BenchmarkStore:
        """Read a store written by `save`; missing or corrupt files raise `DataFileError`."""
        directory = Path(directory)
        manifest_path, npz = directory / f"{name}.json", directory / f"{name}.npz"
        fix = f"run `eo-naslib data import PATH --data-dir {directory}` (or `eo-naslib data download`)"
        if not manifest_path.exists() or not npz.exists():
            raise DataFileError(f"benchmark {name!r} is not installed in {directory}; {fix}")
        try:
            manifest = json.loads(manifest_path.read_text())
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{manifest_path} is corrupt ({exc}); {fix}") from None
        if manifest.get("format_version") != FORMAT_VERSION:
            raise DataFileError(f"{manifest_path} has format {manifest.get('format_version')!r}, expected {FORMAT_VERSION}; {fix}")
        if sha256_of(npz) != manifest["npz_sha256"]:
            raise DataFileError(f"{npz} does not match its manifest's sha256 (corrupt or changed); {fix}")
        try:
            with np.load(npz, allow_pickle=False) as arrays:
                data = {k: arrays[k] for k in arrays.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise DataFileError(f"{npz} is unreadable ({exc}); {fix}") from None
        return cls(
            name=manifest["name"],
            description=manifest["description"],
            hashes=data["hashes"],
            fidelities=manifest["fidelities"],
            default_epoch=manifest["default_epoch"],
            metrics={m: MetricRecord(**r) for m, r in manifest["metrics"].items()},
            columns={k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("measured/")},
            provenance=manifest["provenance"],
            walks=manifest["walks"],
            predicted={k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("predicted/")},
            surrogate=manifest["surrogate"],
        )


def installed(directory: str | os.PathLike) -> list[str]:
    """Names of the benchmarks stored in `directory`."""
    directory = Path(directory)
    return sorted(p.stem for p in directory.glob("*.json") if (directory / f"{p.stem}.npz").exists())


def _write_json_atomic(path: Path, payload: Any) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(payload, indent=1))
    os.replace(partial, path)
