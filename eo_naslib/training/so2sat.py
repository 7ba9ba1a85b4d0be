"""So2Sat LCZ42 HDF5 files (v2, and v3's random / block / culture_10 splits): checks, streaming reads.

Layout (the one torchgeo's `So2Sat` dataset reads): v2 is `training.h5`, `validation.h5`,
`testing.h5`; v3 is `<split>/training.h5` and `<split>/testing.h5` (no validation file) for the
splits `random`, `block` and `culture_10` (torchgeo's versions `3_random`, ...). Each file holds
`sen1` (N, 32, 32, 8), `sen2` (N, 32, 32, 10) and `label` (N, 17) one-hot. Band names are
torchgeo's (`S1_B1` .. `S1_B8`, `S2_B02` .. `S2_B12`); `sensor` picks s1, s2 or both (fusion) and
`bands` may name a subset of those. `So2SatSource` is the `datasets.base.DataSource` of one
version; `load_so2sat` loads v2 (see `datasets.loading`, `datasets.splits`).

Why h5py and not torchgeo: torchgeo needs torchvision, and PyPI's torchvision wheel does not import
beside the CPU torch 2.13.0 build of this environment (found by the project lead); torchgeo's `So2Sat` also reads one
sample per `__getitem__` (one HDF5 read per image), while training here wants the selected split
as one tensor (on a GPU it fits in device memory as bf16 and batching there takes the loader off
the hot path). `read_rows` reads contiguous blocks of `chunk_rows` rows and keeps the selected
ones: measured on a synthetic float32 file (fusion bands, 35% selection) on this 2-core CPU shared
with other jobs, 2,300-7,200 images/s, against 360-640 images/s for h5py's per-row fancy
indexing (scripts/bench_train.py reports both: `data_images_per_s`, `data_fancy_index_images_per_s`).
The ~50 GB real training file is never read whole: labels are read
once (N x 17), images block by block, and only the selected rows are kept.

Splits: a class-stratified, seeded `subset_fraction` (35%) of `training.h5`, and the split
protocol (`datasets.splits`) says what `val_fraction` (0.2) of it is held out for: seed 002's
`seeds` (held-out test, `validation.h5` validation), `holdout` (held-out validation, `testing.h5`
test) or `files` (`validation.h5` and `testing.h5`). Per-band mean/std come from the training
split only, accumulated chunk by chunk in float64.

Checked before training, all streamed: every needed object is a dataset of the right kind (a
`label` group, a bytes `label` or a dangling external link is refused by name), labels are one-hot,
no split is empty (an empty `testing.h5` fails here, not after the last epoch), and every pixel of
the selected rows is finite, checked block by block while they are read. A NaN or inf is refused
naming the file, split, band and first (sample, row, column); with `nonfinite="mask"` it is replaced
by its band's training mean (0 after normalisation), counted per split in `info["masked_nonfinite"]`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..errors import DataFileError
from .config import NONFINITE
from .datasets.base import DataSplits
from .datasets.loading import load_splits

PATCH = 32
NUM_CLASSES = 17
SENSOR_BANDS = {"sen1": 8, "sen2": 10}
SENSOR_KEYS = {"s1": ("sen1",), "s2": ("sen2",), "fusion": ("sen1", "sen2")}
SPLIT_FILES = {"train": "training.h5", "val": "validation.h5", "test": "testing.h5"}
#: the files of each version, as torchgeo's `So2Sat.filenames_by_version` (its "validation" is "val" here)
VERSION_FILES = {
    "2": SPLIT_FILES,
    **{f"3_{name}": {"train": f"{name}/training.h5", "test": f"{name}/testing.h5"} for name in ("random", "block", "culture_10")},
}
BAND_NAMES = {
    "sen1": tuple(f"S1_B{i}" for i in range(1, 9)),
    "sen2": ("S2_B02", "S2_B03", "S2_B04", "S2_B05", "S2_B06", "S2_B07", "S2_B08", "S2_B8A", "S2_B11", "S2_B12"),
}
CLASS_NAMES = (
    "Compact high rise", "Compact mid rise", "Compact low rise", "Open high rise", "Open mid rise",
    "Open low rise", "Lightweight low rise", "Large low rise", "Sparsely built", "Heavy industry",
    "Dense trees", "Scattered trees", "Bush, scrub", "Low plants", "Bare rock or paved",
    "Bare soil or sand", "Water",
)  # fmt: skip
CHUNK_ROWS = 2048


def _open(path: Path) -> h5py.File:
    if not path.is_file():
        raise DataFileError(
            f"So2Sat file {path} does not exist; give the folder holding {sorted(SPLIT_FILES.values())}"
        )
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataFileError(f"{path} is not a readable HDF5 file ({exc}); re-download it") from None


def _dataset(handle: h5py.File, path: Path, key: str) -> h5py.Dataset:
    """`handle[key]` if it is a dataset that opens, else a `DataFileError` saying what it is instead."""
    link = handle.get(key, getlink=True)
    if link is None:
        raise DataFileError(f"{path} has no dataset {key!r} (found {sorted(handle)}); is it a So2Sat LCZ42 file?")
    try:
        obj = handle[key]
    except (KeyError, OSError):
        target = f"{link.filename}:{link.path}" if isinstance(link, h5py.ExternalLink) else getattr(link, "path", "?")
        raise DataFileError(
            f"{path}: {key!r} is a link to {target}, which cannot be opened; put the linked file beside it or "
            "store the data in the file itself"
        ) from None
    if not isinstance(obj, h5py.Dataset):
        raise DataFileError(f"{path}: {key!r} is an HDF5 {type(obj).__name__.lower()}, not a dataset; is it a So2Sat LCZ42 file?")
    return obj


def check_file(path: Path, keys: tuple[str, ...]) -> int:
    """Check datasets, kinds, shapes and band counts of one file; returns its number of samples."""
    with _open(path) as handle:
        label = _dataset(handle, path, "label")
        if label.dtype.kind not in "fiub":
            raise DataFileError(f"{path}: 'label' has dtype {label.dtype}; expected numbers (a one-hot matrix)")
        n = label.shape[0] if label.shape else 0
        if label.shape != (n, NUM_CLASSES):
            raise DataFileError(
                f"{path}: 'label' has shape {label.shape}; expected (N, {NUM_CLASSES}) one-hot"
            )
        for key in keys:
            data = _dataset(handle, path, key)
            expected = (n, PATCH, PATCH, SENSOR_BANDS[key])
            if data.shape != expected:
                raise DataFileError(
                    f"{path}: {key!r} has shape {data.shape}; expected {expected} (N x {PATCH} x {PATCH} patches, "
                    f"{SENSOR_BANDS[key]} bands, as many as labels)"
                )
            if data.dtype.kind != "f":
                raise DataFileError(f"{path}: {key!r} has dtype {data.dtype}; expected floats")
    return n


def read_labels(path: Path) -> np.ndarray:
    """Class indices (int64) from the one-hot `label` dataset, checked to be one-hot."""
    with _open(path) as handle:
        onehot = handle["label"]
        out = np.empty(onehot.shape[0], dtype=np.int64)
        for start in range(0, onehot.shape[0], 1 << 16):
            block = np.asarray(onehot[start : start + (1 << 16)])
            valid = np.all((block == 0) | (block == 1), axis=1) & (block.sum(axis=1) == 1)
            if not valid.all():
                row = start + int(np.flatnonzero(~valid)[0])
                raise DataFileError(
                    f"{path}: label row {row} is {block[row - start].tolist()}, not one-hot; the file is not So2Sat's"
                )
            out[start : start + len(block)] = block.argmax(axis=1)
    return out


def read_rows(
    path: Path,
    keys: tuple[str, ...],
    indices: np.ndarray,
    chunk_rows: int = CHUNK_ROWS,
    split: str = "train",
    nonfinite: str = "refuse",
    bands: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Float32 (n, bands, 32, 32) images of the sorted `indices`, band-stacked over `keys` (only the
    stacked bands `bands` when given, in their order), block by block, and how many non-finite
    pixels were masked (set to NaN; `nonfinite="refuse"` raises)."""
    total = sum(SENSOR_BANDS[k] for k in keys)
    bands = np.arange(total) if bands is None else np.asarray(bands)
    out = np.empty((len(indices), len(bands), PATCH, PATCH), dtype=np.float32)
    offsets = np.cumsum([0] + [SENSOR_BANDS[k] for k in keys])
    picks = [  # per key: (columns of `out`, the key's own band indices)
        (np.flatnonzero(inside), bands[inside] - offsets[n])
        for n, inside in enumerate((bands >= offsets[n]) & (bands < offsets[n + 1]) for n in range(len(keys)))
    ]
    masked = 0
    with _open(path) as handle:
        datasets = [handle[k] for k in keys]
        pos = 0
        while pos < len(indices):
            start = int(indices[pos])
            stop = start + chunk_rows
            end = pos + int(np.searchsorted(indices[pos:], stop))
            rows = indices[pos:end] - start
            span = int(rows[-1]) + 1
            for key, data, (columns, own) in zip(keys, datasets, picks):
                if not len(columns):
                    continue
                block = np.asarray(data[start : start + span])[rows][..., own]
                finite = np.isfinite(block)
                if not finite.all():
                    if nonfinite == "refuse":
                        _refuse_nonfinite(path, split, key, block, finite, indices[pos:end], own)
                    masked += int(block.size - np.count_nonzero(finite))
                    block = np.where(finite, block, np.nan)
                out[pos:end, columns] = block.transpose(0, 3, 1, 2)
            pos = end
    return out, masked


def _refuse_nonfinite(
    path: Path, split: str, key: str, block: np.ndarray, finite: np.ndarray, rows: np.ndarray, own: np.ndarray
) -> None:
    sample, y, x, band = (int(i) for i in np.argwhere(~finite)[0])
    raise DataFileError(
        f"{path} ({split} split): {key!r} band {int(own[band])} holds {block[sample, y, x, band]} at sample "
        f"{int(rows[sample])}, pixel ({y}, {x}); fix the file, or mask such pixels with the training setting "
        "nonfinite: mask"
    )


class So2SatSource:
    """So2Sat LCZ42 of one version (`VERSION_FILES`) in `directory`, as a `datasets.base.DataSource`.

    Opening checks every needed file's objects, kinds and shapes (metadata only)."""

    layout = "nhwc"
    patch = (PATCH, PATCH)
    class_names = CLASS_NAMES

    def __init__(self, directory: str | os.PathLike, sensor: str = "s2", version: str = "2", needed: tuple[str, ...] | None = None) -> None:
        if sensor not in SENSOR_KEYS:
            raise DataFileError(f"sensor {sensor!r} is unknown; choose one of {sorted(SENSOR_KEYS)}")
        if version not in VERSION_FILES:
            raise DataFileError(f"So2Sat version {version!r} is unknown; choose one of {list(VERSION_FILES)}")
        self.location = Path(directory)
        self.version = version
        self.kind = "so2sat" if version == "2" else f"so2sat_v{version}"
        self.keys = SENSOR_KEYS[sensor]
        self.band_names = tuple(name for key in self.keys for name in BAND_NAMES[key])
        self.files = VERSION_FILES[version]
        self.splits = tuple(self.files) if needed is None else needed
        self.details = {"sensor": sensor, "version": version}
        self.sizes = {split: check_file(self.path(split), self.keys) for split in self.splits}

    def path(self, split: str) -> Path:
        return self.location / self.files[split]

    def source_name(self, split: str) -> str:
        return self.files[split]

    def labels(self, split: str) -> np.ndarray:
        return read_labels(self.path(split))

    def read(self, split: str, rows: np.ndarray, bands: np.ndarray, nonfinite: str) -> tuple[np.ndarray, int]:
        return read_rows(self.path(split), self.keys, rows, split=split, nonfinite=nonfinite, bands=bands)

    def identity(self) -> dict[str, Any]:
        return file_identity(self.location, self.version)


def file_identity(directory: str | os.PathLike, version: str = "2") -> dict[str, Any]:
    """The resolved folder and each of the version's files' size and mtime (those that exist)."""
    folder = Path(directory).resolve()
    files = {}
    for name in VERSION_FILES[version].values():
        try:
            stat = (folder / name).stat()
        except OSError:
            continue
        files[name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return {"directory": str(folder), "files": files}


def open_so2sat(directory: str | os.PathLike, sensor: str, version: str, split_protocol: str) -> So2SatSource:
    """The version's files the protocol reads (v2 under `holdout` needs no `validation.h5`), checked."""
    files = VERSION_FILES.get(version, {})
    needed = tuple(split for split in files if not (split == "val" and split_protocol == "holdout"))
    return So2SatSource(directory, sensor, version, needed or None)


def load_so2sat(
    directory: str | os.PathLike,
    sensor: str = "s2",
    subset_fraction: float = 0.35,
    val_fraction: float = 0.2,
    split_seed: int = 0,
    nonfinite: str = "refuse",
    split_protocol: str | None = None,
    bands: str = "",
) -> DataSplits:
    """Validate So2Sat v2's files, select the protocol's splits and load them normalised (NaN/inf
    pixels refused, or masked with `nonfinite="mask"`). Without a protocol, `val_fraction > 0`
    means `holdout` and 0 means `files` (what the two meant before protocols had names)."""
    if nonfinite not in NONFINITE:
        raise DataFileError(f"nonfinite {nonfinite!r} is unknown; choose one of {list(NONFINITE)}")
    protocol = split_protocol or ("holdout" if val_fraction > 0 else "files")
    source = open_so2sat(directory, sensor, "2", protocol)
    return load_splits(source, bands, protocol, subset_fraction, val_fraction, split_seed, nonfinite)
