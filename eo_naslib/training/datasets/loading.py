"""`load_splits`: a `DataSource` -> normalised train/val/test tensors, by split protocol and band names.

Rows come from `splits.choose_rows`; the reader streams them in blocks (only the selected rows and
bands are kept). Per-band mean and std come from the training split only, accumulated block by
block in float64 over finite pixels, and every split is normalised in place block by block.
Masked (non-finite, `nonfinite="mask"`) pixels become their band's training mean (0 after
normalisation) and are counted per split in `info["masked_nonfinite"]`.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import torch

from ...errors import DataFileError
from .base import DataSource, DataSplits, select_bands
from .splits import choose_rows

log = logging.getLogger(__name__)

CHUNK_ROWS = 2048


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


def digest(indices: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(indices, dtype=np.int64).tobytes()).hexdigest()[:16]


def load_splits(
    source: DataSource,
    bands: str | list[str] | tuple[str, ...] = "",
    split_protocol: str = "seeds",
    subset_fraction: float = 0.35,
    val_fraction: float = 0.2,
    split_seed: int = 0,
    nonfinite: str = "refuse",
) -> DataSplits:
    """Select the protocol's rows and the named bands of `source`, read and normalise them."""
    band_index = select_bands(source.band_names, bands, f"{source.kind} data at {source.location}")
    labels = {split: source.labels(split) for split in source.splits}
    chosen = choose_rows(labels, split_protocol, subset_fraction, val_fraction, split_seed, source.class_names)
    for split, (origin, rows) in chosen.items():
        if len(rows) == 0:
            raise DataFileError(
                f"{source.kind} data at {source.location}: the {split} split is empty (0 samples selected from "
                f"{source.source_name(origin)}); use a file with samples"
            )
    arrays, masked = {}, {}
    for split in ("train", "val", "test"):
        origin, rows = chosen[split]
        arrays[split], masked[split] = source.read(origin, rows, band_index, nonfinite)
        if split == "train":
            mean, std = band_stats(arrays["train"])
        normalise_(arrays[split], mean, std)
    if any(masked.values()):
        log.warning("%s %s: masked non-finite pixels (set to the band mean): %s", source.kind, source.location, masked)
    selected = tuple(source.band_names[i] for i in band_index)
    info = {
        "dataset": source.kind,
        "directory": str(source.location),
        **source.details,
        "bands": len(selected),
        "band_names": list(selected),
        "class_names": list(source.class_names),
        "patch": list(source.patch),
        "file_sizes": {split: len(labels[split]) for split in source.splits},
        "split_protocol": split_protocol,
        "subset_fraction": subset_fraction,
        "val_fraction": val_fraction,
        "split_seed": split_seed,
        **{f"n_{split}": len(chosen[split][1]) for split in ("train", "val", "test")},
        "val_source": source.source_name(chosen["val"][0]),
        "test_source": source.source_name(chosen["test"][0]),
        **{f"{split}_indices_sha256": digest(chosen[split][1]) for split in ("train", "val", "test")},
        "masked_nonfinite": masked,
        "band_mean": mean.tolist(),
        "band_std": std.tolist(),
    }
    log.info(
        "%s: %d train / %d val / %d test samples, %d bands, %d classes",
        source.kind,
        *(len(chosen[s][1]) for s in ("train", "val", "test")),
        len(selected),
        len(source.class_names),
    )
    return DataSplits(
        *(
            tensor
            for split in ("train", "val", "test")
            for tensor in (torch.from_numpy(arrays[split]), torch.from_numpy(labels[chosen[split][0]][chosen[split][1]]))
        ),
        info=info,
        band_names=selected,
        class_names=tuple(source.class_names),
    )
