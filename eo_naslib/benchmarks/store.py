"""The benchmark store: one safe-to-load file per benchmark in the data dir, replaced as one unit.

`<name>.store.npz` (numpy, loaded with `allow_pickle=False`) holds the measured cells' hashes, one
(n_cells, n_repeats) float array per metric and epoch (NaN = not measured), the surrogate's
predictions for all 423,624 cells with their calibrated standard deviations (`std/<column>`; absent
in stores built before them), and the manifest (a UTF-8 JSON member): metric schema (units,
epochs, repeats), provenance (sources with sha256), surrogate quality, recorded walks, a build id
and the sha256 of every array. The manifest itself is sealed (`eo_naslib.schema.seal`: a checksum
of its content) and schema-checked at load time (every metric's epochs among the fidelities and
its arrays present, walks of NB101 hashes), so a corrupt or edited store is reported, not used.

The file is written by `eo_naslib.io.atomic_write_bytes` (unique temporary name, fsync, rename)
under the data dir's lock: a reader sees the old store or the new one, never a mix, and the
`.tmp-*` leftovers of a killed writer are ignored by readers and removed by the next writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError
from ..io import TMP_PREFIX, atomic_write_bytes, check_writable, decode_json, lock, remove_temp_files, safe_child
from ..schema import HASH32, FileCheck, seal

#: 3: the manifest is sealed (stores of format 2 are rebuilt or re-imported)
FORMAT_VERSION = 3
SUFFIX = ".store.npz"
_MANIFEST = "manifest"


def store_path(directory: str | os.PathLike, name: str) -> Path:
    """Where the store of benchmark `name` lives in a data dir (a name that is a path is refused)."""
    return safe_child(directory, f"{safe_child(directory, name).name}{SUFFIX}")


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


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
    predicted_std: dict[str, np.ndarray] = field(default_factory=dict)  # column_key -> (423,624,) float32
    surrogate: dict[str, Any] = field(default_factory=dict)  # column_key -> {params, cv scores, uncertainty}
    build_id: str = ""  # set when read back: tells one write of a store from another

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
    def manifest(self) -> dict[str, Any]:
        """The JSON-able description stored beside the arrays (without checksums)."""
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "n_cells": len(self.hashes),
            "fidelities": self.fidelities,
            "default_epoch": self.default_epoch,
            "metrics": {m: vars(r) for m, r in self.metrics.items()},
            "provenance": self.provenance,
            "surrogate": self.surrogate,
            "walks": self.walks,
        }

    def to_bytes(self) -> bytes:
        """The whole store as one `.npz` file's bytes (arrays + manifest with their sha256 and a build id)."""
        arrays = {"hashes": self.hashes.astype("U32")}
        arrays.update({f"measured/{k}": v for k, v in self.columns.items()})
        arrays.update({f"predicted/{k}": v for k, v in self.predicted.items()})
        arrays.update({f"std/{k}": v for k, v in self.predicted_std.items()})
        manifest = seal({**self.manifest(), "build_id": uuid.uuid4().hex, "arrays_sha256": arrays_sha256(arrays)})
        encoded = np.frombuffer(json.dumps(manifest, indent=1).encode("utf-8"), dtype=np.uint8)
        buffer = BytesIO()
        np.savez(buffer, **arrays, **{_MANIFEST: encoded})
        return buffer.getvalue()

    def save(self, directory: str | os.PathLike) -> Path:
        """Replace the store of this benchmark in `directory` as one unit, under the dir's lock."""
        data = self.to_bytes()
        check_writable(directory)
        with lock(directory):
            remove_leftovers(directory, self.name)
            return atomic_write_bytes(store_path(directory, self.name), data)

    def write(self, directory: str | os.PathLike) -> Path:
        """Replace the store as `save` does, for a caller that holds the dir's lock already."""
        return atomic_write_bytes(store_path(directory, self.name), self.to_bytes())

    @classmethod
    def load(cls, directory: str | os.PathLike, name: str) -> BenchmarkStore:
        """Read a store written by `save`; missing or corrupt files raise `DataFileError`."""
        path = store_path(directory, name)
        fix = f"run `eo-naslib data import PATH --data-dir {Path(directory)}` (or delete {path} to rebuild it)"
        if not path.is_file():
            raise DataFileError(f"benchmark {name!r} is not installed in {directory}; {fix}")
        try:
            with np.load(path, allow_pickle=False) as contents:
                data = {k: contents[k] for k in contents.files}
            manifest = decode_json(data.pop(_MANIFEST).tobytes())
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise DataFileError(f"{path} is corrupt or not a store ({exc}); {fix}") from None
        if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
            version = manifest.get("format_version") if isinstance(manifest, dict) else None
            raise DataFileError(f"{path} has format {version!r}, expected {FORMAT_VERSION}; {fix}")
        if arrays_sha256(data) != manifest.get("arrays_sha256"):
            raise DataFileError(f"{path} does not match its manifest's sha256 (corrupt or changed); {fix}")
        return cls._from_manifest(FileCheck(f"{path} (manifest)", fix), manifest, data, name)

    @classmethod
    def _from_manifest(cls, check: FileCheck, manifest: dict[str, Any], data: dict[str, np.ndarray], name: str) -> BenchmarkStore:
        """The store of a checked manifest and its (checksum-verified) arrays."""
        check.sealed(manifest)
        if check.text(check.key(manifest, "name"), "name") != name:
            raise check.error("name", repr(name), manifest["name"])
        hashes = data.get("hashes")
        if hashes is None or hashes.dtype.kind != "U" or hashes.ndim != 1:
            raise check.error("hashes", "an array of NB101 hashes", detail=" (the array is missing or not text)")
        fidelities = [check.integer(e, f"fidelities[{i}]", 0) for i, e in enumerate(check.listing(check.key(manifest, "fidelities"), "fidelities"))]
        default_epoch = check.integer(check.key(manifest, "default_epoch"), "default_epoch")
        if default_epoch not in fidelities:
            raise check.error("default_epoch", f"one of the fidelities {fidelities}", default_epoch)
        columns = {k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("measured/")}
        metrics = {}
        for metric, raw in check.mapping(check.key(manifest, "metrics"), "metrics").items():
            entry = check.mapping(raw, f"metrics.{metric}")
            epochs = check.key(entry, "epochs", f"metrics.{metric}")
            if epochs is not None:
                for epoch in check.listing(epochs, f"metrics.{metric}.epochs"):
                    if epoch not in fidelities:
                        raise check.error(f"metrics.{metric}.epochs", f"epochs among the fidelities {fidelities}", epoch)
            repeats = check.integer(check.key(entry, "repeats", f"metrics.{metric}"), f"metrics.{metric}.repeats", 1)
            for epoch in epochs or [None]:
                column = columns.get(column_key(metric, epoch))
                if column is None or column.shape != (len(hashes), repeats):
                    raise check.error(
                        f"metrics.{metric}.epochs", "fidelities its arrays hold", epoch, f" (no {len(hashes)} x {repeats} array {column_key(metric, epoch)!r})"
                    )
            metrics[metric] = MetricRecord(epochs, repeats, check.text(entry.get("note", ""), f"metrics.{metric}.note"))
        walks = check.listing(check.key(manifest, "walks"), "walks")
        for i, walk in enumerate(walks):
            for j, cell_hash in enumerate(check.listing(walk, f"walks[{i}]")):
                check.text(cell_hash, f"walks[{i}][{j}]", HASH32, "a 32-hex-digit NB101 hash")
        return cls(
            name=name,
            description=check.text(check.key(manifest, "description"), "description"),
            hashes=hashes,
            fidelities=fidelities,
            default_epoch=default_epoch,
            metrics=metrics,
            columns=columns,
            provenance=check.mapping(check.key(manifest, "provenance"), "provenance"),
            walks=walks,
            predicted={k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("predicted/")},
            predicted_std={k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("std/")},
            surrogate=check.mapping(check.key(manifest, "surrogate"), "surrogate"),
            build_id=check.text(check.key(manifest, "build_id"), "build_id"),
        )


def is_stale(path: str | os.PathLike) -> bool:
    """True for a readable store file of an older format (a corrupt one is not stale: `load` reports it)."""
    try:
        with np.load(path, allow_pickle=False) as contents:
            manifest = json.loads(contents[_MANIFEST].tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError):
        return False
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    return isinstance(version, int) and version < FORMAT_VERSION


def backup_store(directory: str | os.PathLike, name: str) -> Path:
    """Copy `name`'s store in `directory` to `<name>.store.npz.backup-<UTC time>` (never over a
    file); returns the backup's path. Restore it by renaming it back."""
    source = store_path(directory, name)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target, number = source.with_name(f"{source.name}.backup-{stamp}"), 1
    while target.exists():
        target, number = source.with_name(f"{source.name}.backup-{stamp}-{number}"), number + 1
    try:
        shutil.copy2(source, target)
    except OSError as exc:
        raise DataFileError(f"cannot back up {source} to {target}: {exc.strerror or exc}; free space or fix permissions") from None
    return target


def installed(directory: str | os.PathLike) -> list[str]:
    """Names of the stores in `directory` (other files, and writers' leftovers, ignored)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return sorted(
        p.name.removesuffix(SUFFIX) for p in folder.glob(f"*{SUFFIX}") if p.is_file() and not p.name.startswith(TMP_PREFIX)
    )


def remove_leftovers(directory: str | os.PathLike, name: str) -> list[Path]:
    """Delete the temporary files killed writers of `name`'s store left (call with the dir's lock held)."""
    return remove_temp_files(directory, lambda target: target == f"{name}{SUFFIX}")
