"""Small *synthetic* folder datasets (`labels.csv` + patches) for tests and demos (not real data).

`write_synthetic_npy_folder` writes `.npy` patches (nhwc or nchw), `write_synthetic_geotiff_folder`
EuroSAT-MS-shaped GeoTIFFs (13 Sentinel-2 bands named B01 .. B12, B8A as EuroSAT orders them;
rasterio, the `geotiff` extra). Each class has its own mean per band; a pixel is its class's mean
plus Gaussian noise, scaled and offset per band (so normalisation matters): a network separates
the classes from band averages, so a few epochs train well above chance. Files are named
`synthetic_*` and a `SYNTHETIC.txt` says what the folder is.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes, atomic_write_text, check_writable
from ..lazy import lazy_module

rasterio = lazy_module("rasterio")

#: EuroSAT-MS's 13 bands in its files' order (torchgeo's `EuroSAT.all_band_names`)
EUROSAT_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
NOTE = "eo_naslib synthetic patches (class-dependent band means plus noise), not real imagery\n"


def synthetic_patches(
    n: int, bands: int, patch: int, classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(n, bands, patch, patch) float32 patches and their labels (every class at least twice)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 1.0, size=(classes, bands))
    offset, scale = rng.uniform(100, 1000, bands), rng.uniform(10, 100, bands)
    labels = np.concatenate([np.repeat(np.arange(classes), 2), rng.integers(0, classes, max(0, n - 2 * classes))])[:n]
    labels = rng.permutation(labels)
    noise = rng.normal(size=(n, bands, patch, patch))
    images = offset[None, :, None, None] + scale[None, :, None, None] * (means[labels][:, :, None, None] + noise)
    return images.astype(np.float32), labels


def _write_labels(folder: Path, files: list[str], labels: np.ndarray, classes: list[str], split_seed: int | None) -> None:
    lines = ["file,label" + (",split" if split_seed is not None else "")]
    splits = None
    if split_seed is not None:  # 70 / 15 / 15, so every split has rows
        splits = np.random.default_rng(split_seed).choice(["train", "val", "test"], size=len(files), p=[0.7, 0.15, 0.15])
    for i, (name, label) in enumerate(zip(files, labels)):
        lines.append(f"{name},{classes[label]}" + (f",{splits[i]}" if splits is not None else ""))
    atomic_write_text(folder / "labels.csv", "\n".join(lines) + "\n")
    atomic_write_text(folder / "SYNTHETIC.txt", NOTE)


def write_synthetic_npy_folder(
    directory: str | os.PathLike,
    n: int = 240,
    bands: int = 13,
    patch: int = 16,
    classes: int = 10,
    layout: str = "nhwc",
    split_seed: int | None = None,
    seed: int = 0,
) -> Path:
    """`.npy` patches plus `labels.csv` (with a `split` column when `split_seed` is given) and
    `bands.txt`; returns the folder."""
    folder = check_writable(directory)
    images, labels = synthetic_patches(n, bands, patch, classes, seed)
    names = []
    for i, image in enumerate(images):
        name = f"patches/synthetic_{i:05d}.npy"
        buffer = io.BytesIO()
        np.save(buffer, image.transpose(1, 2, 0) if layout == "nhwc" else image)
        atomic_write_bytes(folder / name, buffer.getvalue())
        names.append(name)
    atomic_write_text(folder / "bands.txt", "\n".join(f"band_{b}" for b in range(bands)) + "\n")
    _write_labels(folder, names, labels, [f"class_{c}" for c in range(classes)], split_seed)
    return folder


def write_synthetic_geotiff_folder(
    directory: str | os.PathLike, n: int = 240, patch: int = 16, classes: int = 10, split_seed: int | None = None, seed: int = 0
) -> Path:
    """EuroSAT-MS-shaped GeoTIFFs (13 named bands, uint16 like EuroSAT's) plus `labels.csv`."""
    folder = check_writable(directory)
    images, labels = synthetic_patches(n, len(EUROSAT_BANDS), patch, classes, seed)
    images = np.clip(images, 0, 65535).astype(np.uint16)
    names = []
    profile = {"driver": "GTiff", "height": patch, "width": patch, "count": len(EUROSAT_BANDS), "dtype": "uint16", "crs": "EPSG:32632"}
    for i, image in enumerate(images):  # 10 m pixels in UTM 32N, as EuroSAT's, patches side by side
        profile["transform"] = rasterio.Affine(10, 0, 500_000 + 10 * patch * i, 0, -10, 5_000_000)
        name = f"synthetic_{i:05d}.tif"
        with rasterio.open(folder / name, "w", **profile) as handle:
            handle.write(image)
            handle.descriptions = EUROSAT_BANDS
            handle.update_tags(synthetic=NOTE.strip())
        names.append(name)
    _write_labels(folder, names, labels, [f"class_{c}" for c in range(classes)], split_seed)
    return folder
