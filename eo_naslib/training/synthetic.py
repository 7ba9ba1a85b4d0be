"""Small *synthetic* So2Sat-LCZ42-layout HDF5 files for tests and demos (not real data).

`write_synthetic_so2sat` writes `training.h5`, `validation.h5` and `testing.h5` with the real
files' datasets (`sen1` N x 32 x 32 x 8, `sen2` N x 32 x 32 x 10; `label` N x 17 one-hot), in
float32 (the real files hold float64; the reader accepts any float dtype) to keep them small. Each class has a smooth random pattern per band; a sample is its class's
pattern plus Gaussian noise, scaled and offset per band (so normalisation matters). Sentinel-2
bands carry a stronger signal than Sentinel-1 bands, as in the real data; labels are imbalanced.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import h5py
import numpy as np

from ..io import atomic_write_bytes, check_writable
from .so2sat import NUM_CLASSES, PATCH, SENSOR_BANDS, SPLIT_FILES

_CHUNK = 1024


def _patterns(rng: np.random.Generator, bands: int) -> np.ndarray:
    """(17, 32, 32, bands) smooth class patterns: 4x4 noise upsampled by 8."""
    coarse = rng.normal(size=(NUM_CLASSES, 4, 4, bands))
    return coarse.repeat(PATCH // 4, axis=1).repeat(PATCH // 4, axis=2)


def _write_file(
    path: Path,
    n: int,
    rng: np.random.Generator,
    patterns: dict[str, np.ndarray],
    scales: dict[str, tuple[np.ndarray, np.ndarray, float]],
    class_p: np.ndarray,
) -> None:
    labels = rng.choice(NUM_CLASSES, size=n, p=class_p)
    buffer = BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["synthetic"] = "eo_naslib synthetic So2Sat-layout data, not real imagery"
        for key, bands in SENSOR_BANDS.items():
            handle.create_dataset(
                key, shape=(n, PATCH, PATCH, bands), dtype="f4", chunks=(min(n, 256), PATCH, PATCH, bands)
            )
        handle.create_dataset("label", data=np.eye(NUM_CLASSES, dtype=np.float32)[labels])
        for start in range(0, n, _CHUNK):
            rows = labels[start : start + _CHUNK]
            for key, bands in SENSOR_BANDS.items():
                offset, scale, signal = scales[key]
                noise = rng.normal(size=(len(rows), PATCH, PATCH, bands))
                handle[key][start : start + len(rows)] = offset + scale * (
                    signal * patterns[key][rows] + noise
                )
    atomic_write_bytes(path, buffer.getvalue())


def write_synthetic_so2sat(
    directory: str | os.PathLike,
    n_train: int = 2048,
    n_val: int = 512,
    n_test: int = 512,
    seed: int = 0,
    files: dict[str, str] = SPLIT_FILES,
) -> Path:
    """Write the synthetic files into `directory` (created; `files`: split -> name, v2's three by
    default, e.g. So2Sat v3's `VERSION_FILES["3_random"]`); returns the directory."""
    folder = check_writable(directory)
    rng = np.random.default_rng(seed)
    patterns = {key: _patterns(rng, bands) for key, bands in SENSOR_BANDS.items()}
    scales = {
        "sen1": (rng.normal(0.0, 1e-3, 8), rng.uniform(1e-3, 1e-1, 8), 1.5),
        "sen2": (rng.uniform(0.05, 0.2, 10), rng.uniform(0.01, 0.1, 10), 2.0),
    }
    class_p = np.linspace(1.0, 3.0, NUM_CLASSES)
    class_p /= class_p.sum()
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        if split in files:
            _write_file(folder / files[split], n, rng, patterns, scales, class_p)
    return folder
