"""So2Sat LCZ42 HDF5 files: validation, the seeds' splits and streaming, normalised loading.

Layout (the one torchgeo's `So2Sat` dataset reads): `training.h5`, `validation.h5`,
`testing.h5`, each with `sen1` (N, 32, 32, 8), `sen2` (N, 32, 32, 10) and `label` (N, 17) one-hot.

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

Splits (seed 002, section 5.4): a class-stratified, seeded `subset_fraction` (35%) of
`training.h5`, re-split (stratified, seeded) into training and held-out validation with
`val_fraction` (0.2); with `val_fraction=0` validation is `validation.h5`. Test is `testing.h5`.
Per-band mean/std come from the training split only, accumulated chunk by chunk in float64.

Checked before training, all streamed: every needed object is a dataset of the right kind (a
`label` group, a bytes `label` or a dangling external link is refused by name), labels are one-hot,
no split is empty (an empty `testing.h5` fails here, not after the last epoch), and every pixel of
the selected rows is finite, checked block by block while they are read. A NaN or inf is refused
naming the file, split, band and first (sample, row, column); with `nonfinite="mask"` it is replaced
by its band's training mean (0 after normalisation), counted per split in `info["masked_nonfinite"]`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from ..errors import DataFileError
from .config import NONFINITE

log = logging.getLogger(__name__)

PATCH = 32
NUM_CLASSES = 17
SENSOR_BANDS = {"sen1": 8, "sen2": 10}
SENSOR_KEYS = {"s1": ("sen1",), "s2": ("sen2",), "fusion": ("sen1", "sen2")}
SPLIT_FILES = {"train": "training.h5", "val": "validation.h5", "test": "testing.h5"}
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


def stratified_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a seeded `fraction` of every class (rounded, at least one per present class)."""
    if fraction >= 1.0:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    picks = []
    for cls in range(NUM_CLASSES):
        members = np.flatnonzero(labels == cls)
        if len(members):
            take = max(1, round(fraction * len(members)))
            picks.append(rng.permutation(members)[:take])
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def stratified_split(
    indices: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) sorted index arrays: a seeded, class-stratified `val_fraction` of `indices` held out."""
    held = (
        stratified_subset(labels[indices], val_fraction, seed + 1)
        if val_fraction > 0
        else np.zeros(0, dtype=np.int64)
    )
    mask = np.zeros(len(indices), dtype=bool)
    mask[held] = True
    return indices[~mask], indices[mask]


def read_rows(
    path: Path,
    keys: tuple[str, ...],
    indices: np.ndarray,
    chunk_rows: int = CHUNK_ROWS,
    split: str = "train",
    nonfinite: str = "refuse",
) -> tuple[np.ndarray, int]:
    """Float32 (n, bands, 32, 32) images of the sorted `indices`, band-stacked over `keys`, block by
    block, and how many non-finite pixels were masked (set to NaN; `nonfinite="refuse"` raises)."""
    bands = sum(SENSOR_BANDS[k] for k in keys)
    out = np.empty((len(indices), bands, PATCH, PATCH), dtype=np.float32)
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
            band = 0
            for key, data in zip(keys, datasets):
                block = np.asarray(data[start : start + span])[rows]
                finite = np.isfinite(block)
                if not finite.all():
                    if nonfinite == "refuse":
                        _refuse_nonfinite(path, split, key, block, finite, indices[pos:end])
                    masked += int(block.size - np.count_nonzero(finite))
                    block = np.where(finite, block, np.nan)
                width = block.shape[-1]
                out[pos:end, band : band + width] = block.transpose(0, 3, 1, 2)
                band += width
            pos = end
    return out, masked


def _refuse_nonfinite(
    path: Path, split: str, key: str, block: np.ndarray, finite: np.ndarray, rows: np.ndarray
) -> None:
    sample, y, x, band = (int(i) for i in np.argwhere(~finite)[0])
    raise DataFileError(
        f"{path} ({split} split): {key!r} band {band} holds {block[sample, y, x, band]} at sample {int(rows[sample])}, "
        f"pixel ({y}, {x}); fix the file, or mask such pixels with the training setting nonfinite: mask"
    )


def band_stats(images: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and std of (n, bands, H, W) images over their finite pixels (masked ones are
    NaN), accumulated chunk by chunk in float64."""
    bands = images.shape[1]
    total = np.zeros(bands)
    total_sq = np.zeros(bands)
    count = np.zeros(bands)
    for start in range(0, len(images), chunk_rows):
        block = images[start : start + chunk_rows].astype(np.float64)
        total += np.nansum(block, axis=(0, 2, 3))
        total_sq += np.nansum(np.square(block), axis=(0, 2, 3))
        count += np.count_nonzero(~np.isnan(block), axis=(0, 2, 3))
    if not count.all():
        raise DataFileError(f"bands {np.flatnonzero(count == 0).tolist()} of the training split hold no finite pixel")
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    return mean, np.where(std > 0, std, 1.0)


def normalise_(images: np.ndarray, mean: np.ndarray, std: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> None:
    """Normalise in place, chunk by chunk (no full-size temporaries); masked (NaN) pixels become 0."""
    m = mean.astype(np.float32)[None, :, None, None]
    s = std.astype(np.float32)[None, :, None, None]
    for start in range(0, len(images), chunk_rows):
        block = images[start : start + chunk_rows]
        block -= m
        block /= s
        np.nan_to_num(block, copy=False, nan=0.0)  # masked pixels: the band mean


@dataclass
class So2SatSplits:
    """Normalised float32 tensors (n, bands, 32, 32) and int64 labels of train/val/test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])


def _digest(indices: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(indices, dtype=np.int64).tobytes()).hexdigest()[:16]


def check_files(directory: str | os.PathLike, sensor: str, val_fraction: float) -> dict[str, int]:
    """Samples per needed split after checking each file's objects, kinds and shapes (metadata only:
    cheap enough to run before anything is allocated)."""
    if sensor not in SENSOR_KEYS:
        raise DataFileError(f"sensor {sensor!r} is unknown; choose one of {sorted(SENSOR_KEYS)}")
    needed = ("train", "test") if val_fraction > 0 else ("train", "val", "test")
    return {split: check_file(Path(directory) / SPLIT_FILES[split], SENSOR_KEYS[sensor]) for split in needed}


def load_so2sat(
    directory: str | os.PathLike,
    sensor: str = "s2",
    subset_fraction: float = 0.35,
    val_fraction: float = 0.2,
    split_seed: int = 0,
    nonfinite: str = "refuse",
) -> So2SatSplits:
    """Validate the three files, select the seeds' splits and load them normalised (NaN/inf pixels
    refused, or masked with `nonfinite="mask"`)."""
    folder = Path(directory)
    if sensor not in SENSOR_KEYS:
        raise DataFileError(f"sensor {sensor!r} is unknown; choose one of {sorted(SENSOR_KEYS)}")
    if nonfinite not in NONFINITE:
        raise DataFileError(f"nonfinite {nonfinite!r} is unknown; choose one of {list(NONFINITE)}")
    keys = SENSOR_KEYS[sensor]
    paths = {split: folder / name for split, name in SPLIT_FILES.items()}
    sizes = check_files(folder, sensor, val_fraction)
    train_labels = read_labels(paths["train"])
    subset = stratified_subset(train_labels, subset_fraction, split_seed)
    if val_fraction > 0:
        train_idx, val_idx = stratified_split(subset, train_labels, val_fraction, split_seed)
        val_path, val_labels = paths["train"], train_labels
    else:
        train_idx = subset
        val_path, val_labels = paths["val"], read_labels(paths["val"])
        val_idx = np.arange(len(val_labels))
    test_labels = read_labels(paths["test"])
    test_idx = np.arange(len(test_labels))
    for split, path, rows in (("train", paths["train"], train_idx), ("val", val_path, val_idx), ("test", paths["test"], test_idx)):
        if len(rows) == 0:
            raise DataFileError(f"{path}: the {split} split is empty (0 samples selected); use a file with samples")
    x_train, masked_train = read_rows(paths["train"], keys, train_idx, split="train", nonfinite=nonfinite)
    mean, std = band_stats(x_train)
    normalise_(x_train, mean, std)
    x_val, masked_val = read_rows(val_path, keys, val_idx, split="val", nonfinite=nonfinite)
    normalise_(x_val, mean, std)
    x_test, masked_test = read_rows(paths["test"], keys, test_idx, split="test", nonfinite=nonfinite)
    normalise_(x_test, mean, std)
    masked = {"train": masked_train, "val": masked_val, "test": masked_test}
    if any(masked.values()):
        log.warning("So2Sat %s: masked non-finite pixels (set to the band mean): %s", folder, masked)
    info = {
        "directory": str(folder),
        "sensor": sensor,
        "bands": x_train.shape[1],
        "file_sizes": sizes,
        "subset_fraction": subset_fraction,
        "val_fraction": val_fraction,
        "split_seed": split_seed,
        "n_train": len(train_idx),
        "n_val": len(val_idx),
        "n_test": len(test_idx),
        "val_source": val_path.name,
        "train_indices_sha256": _digest(train_idx),
        "val_indices_sha256": _digest(val_idx),
        "masked_nonfinite": masked,
        "band_mean": mean.tolist(),
        "band_std": std.tolist(),
    }
    log.info(
        "So2Sat %s: %d train / %d val / %d test samples, %d bands",
        sensor,
        len(train_idx),
        len(val_idx),
        len(test_idx),
        x_train.shape[1],
    )
    return So2SatSplits(
        torch.from_numpy(x_train),
        torch.from_numpy(train_labels[train_idx]),
        torch.from_numpy(x_val),
        torch.from_numpy(val_labels[val_idx]),
        torch.from_numpy(x_test),
        torch.from_numpy(test_labels[test_idx]),
        info,
    )
