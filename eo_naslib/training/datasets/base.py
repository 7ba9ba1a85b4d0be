"""The dataset interface: what a reader offers (`DataSource`) and what training gets (`DataSplits`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from ...errors import ConfigError, DataFileError
from ..config import parse_bands

#: how a reader's files hold one patch's axes
LAYOUTS = ("nhwc", "nchw")
#: the splits training uses, in order
SPLITS = ("train", "val", "test")


class DataSource(Protocol):
    """One dataset on disk, opened and checked (metadata only): what `load_splits` reads from.

    `splits` are those the dataset's own files define (a subset of `SPLITS`, always with "train");
    `read` returns float32 (n, len(bands), H, W) of the sorted `rows` of `split`, streamed in
    blocks, with non-finite pixels refused (`nonfinite="refuse"`) or set to NaN and counted.
    """

    kind: str
    location: Path
    band_names: tuple[str, ...]
    class_names: tuple[str, ...]
    patch: tuple[int, int]
    layout: str
    splits: tuple[str, ...]
    #: what the reader adds to the record's data section (So2Sat: sensor and version)
    details: dict[str, Any]

    def labels(self, split: str) -> np.ndarray: ...

    def read(self, split: str, rows: np.ndarray, bands: np.ndarray, nonfinite: str) -> tuple[np.ndarray, int]: ...

    def source_name(self, split: str) -> str: ...

    def identity(self) -> dict[str, Any]: ...


@dataclass
class DataSplits:
    """Normalised float32 tensors (n, bands, H, W) and int64 labels of train/val/test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    info: dict[str, Any] = field(default_factory=dict)
    band_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def patch(self) -> tuple[int, int]:
        return (int(self.x_train.shape[2]), int(self.x_train.shape[3]))


def select_bands(available: tuple[str, ...], wanted: str | list[str] | tuple[str, ...], where: str) -> np.ndarray:
    """Indices of the `wanted` band names in `available` (all, in order, when none are named)."""
    names = parse_bands(wanted)
    if not names:
        return np.arange(len(available))
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ConfigError(f"band {unknown[0]!r} is not a band of {where}; its bands are {list(available)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"bands {list(names)} name a band twice; name each band once")
    return np.array([available.index(name) for name in names], dtype=np.int64)


def check_layout(layout: str, where: str) -> str:
    if layout not in LAYOUTS:
        raise ConfigError(f"layout {layout!r} of {where} is unknown; choose one of {list(LAYOUTS)}")
    return layout


def to_nchw(block: np.ndarray, layout: str) -> np.ndarray:
    """(n, H, W, C) or (n, C, H, W) -> (n, C, H, W) (a view)."""
    return block.transpose(0, 3, 1, 2) if layout == "nhwc" else block


def check_finite(block: np.ndarray, nonfinite: str, where: str, first_row: int) -> tuple[np.ndarray, int]:
    """`block` (n, C, H, W) with non-finite pixels refused by name, or set to NaN and counted."""
    finite = np.isfinite(block)
    if finite.all():
        return block, 0
    if nonfinite == "refuse":
        sample, band, y, x = (int(i) for i in np.argwhere(~finite)[0])
        raise DataFileError(
            f"{where}: band {band} holds {block[sample, band, y, x]} at sample {first_row + sample}, pixel ({y}, {x}); "
            "fix the file, or mask such pixels with the training setting nonfinite: mask"
        )
    return np.where(finite, block, np.nan).astype(np.float32, copy=False), int(block.size - np.count_nonzero(finite))
