"""torchgeo's classification datasets (the `torchgeo` extra) as a `datasets.base.DataSource`.

`open_torchgeo(root, "EuroSAT")` builds torchgeo's train / val / test datasets of `root` (no
download) and reads their samples (`{"image": C x H x W, "label": class}`) into the selected rows
and bands. Single-label datasets only (EuroSAT / EuroSAT-MS, So2Sat); a multi-label one (BigEarthNet)
is refused by name. torchgeo needs a torchvision built for the installed torch: pip would replace
a CPU or custom torch to install it, so it is an extra of its own and nothing here needs it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import ConfigError, DataFileError
from ...lazy import lazy_module
from .base import check_finite

torchgeo_datasets = lazy_module("torchgeo.datasets")

#: torchgeo's split names
TORCHGEO_SPLITS = {"train": "train", "val": "val", "test": "test"}


class TorchgeoSource:
    """Single-label samples of torchgeo datasets, one per split, with their band and class names."""

    layout = "nchw"

    def __init__(
        self,
        datasets: Mapping[str, Any],
        band_names: Sequence[str],
        class_names: Sequence[str],
        location: str | os.PathLike,
        name: str,
    ) -> None:
        if "train" not in datasets:
            raise DataFileError(f"torchgeo {name} at {location} has no training split; training needs one")
        self.datasets = dict(datasets)
        self.kind = f"torchgeo_{name.lower()}"
        self.location = Path(location)
        self.band_names = tuple(band_names)
        self.class_names = tuple(class_names)
        self.splits = tuple(datasets)
        self.details = {"torchgeo_dataset": name}
        first = self.sample("train", 0)[0]
        if first.ndim != 3 or first.shape[0] != len(self.band_names):
            raise DataFileError(
                f"torchgeo {name} sample image has shape {tuple(first.shape)}; expected ({len(self.band_names)}, H, W)"
            )
        self.patch = (int(first.shape[1]), int(first.shape[2]))

    def sample(self, split: str, row: int) -> tuple[torch.Tensor, int]:
        item = self.datasets[split][int(row)]
        label = torch.as_tensor(item["label"])
        if label.numel() != 1:
            raise DataFileError(
                f"{self.kind} labels are multi-label ({label.numel()} values per sample); training here is single-label"
            )
        return torch.as_tensor(item["image"]), int(label)

    def source_name(self, split: str) -> str:
        return f"torchgeo split {TORCHGEO_SPLITS[split]!r}"

    def labels(self, split: str) -> np.ndarray:
        dataset = self.datasets[split]
        targets = getattr(dataset, "targets", None)  # torchgeo's image-folder datasets list them
        if targets is not None:
            return np.asarray(targets, dtype=np.int64)
        return np.array([self.sample(split, i)[1] for i in range(len(dataset))], dtype=np.int64)

    def read(self, split: str, rows: np.ndarray, bands: np.ndarray, nonfinite: str) -> tuple[np.ndarray, int]:
        out = np.empty((len(rows), len(bands), *self.patch), dtype=np.float32)
        masked = 0
        for pos, row in enumerate(rows):
            image = self.sample(split, int(row))[0].numpy()
            if image.shape[1:] != self.patch:
                raise DataFileError(f"{self.kind} {split} sample {int(row)} is {image.shape[1:]}, not {self.patch}; patches must share a size")
            block, count = check_finite(image[bands].astype(np.float32)[None], nonfinite, f"{self.kind} {split} split", int(row))
            out[pos] = block[0]
            masked += count
        return out, masked

    def identity(self) -> dict[str, Any]:
        folder = self.location.resolve()
        return {"directory": str(folder), "files": {}, "samples": {s: len(d) for s, d in self.datasets.items()}}


def open_torchgeo(root: str | os.PathLike, name: str) -> TorchgeoSource:
    """torchgeo's dataset class `name` (e.g. "EuroSAT") on `root`, all bands, every split (no download)."""
    if importlib.util.find_spec("torchgeo") is None:
        raise ConfigError(
            f"dataset torchgeo_{name.lower()} needs torchgeo; install it: pip install 'eo-naslib[torchgeo]' "
            "(check first that pip keeps your torch: pip install --dry-run torchgeo)"
        )
    cls = getattr(torchgeo_datasets, name)
    try:
        datasets = {split: cls(str(root), split=TORCHGEO_SPLITS[split]) for split in ("train", "val", "test")}
    except Exception as exc:  # torchgeo's DatasetNotFoundError and friends: one line naming the folder
        raise DataFileError(f"torchgeo {name} could not open {root} ({exc}); download it there first") from None
    return TorchgeoSource(datasets, cls.all_band_names, datasets["train"].classes, root, name)
