"""A folder of patches plus `labels.csv`: one `.npy` array or one GeoTIFF per sample.

    labels.csv   columns `file` (path relative to the folder), `label` (class name or number),
                 optional `split` (train | val | test; without it every row is training data and
                 the split protocol holds validation and test out of it, stratified)
    classes.txt  optional: the class names in order (else the sorted distinct labels)
    bands.txt    optional: the band names in order (else GeoTIFF band descriptions, else B1 .. Bn)
    *.npy        (H, W, C) or (C, H, W) patches; `layout` nhwc / nchw, or auto when only one
                 reading gives a square patch
    *.tif(f)     GeoTIFF patches read with rasterio (the `geotiff` extra), bands first

Opening reads `labels.csv` and every patch's header (shape, dtype) and refuses, in one line naming
the row or file, a missing file, an unknown split, a label outside `classes.txt`, a shape unlike
the first patch's, a non-numeric dtype or a layout that does not fit. Reading then streams only the
selected rows (one file each) and bands into the output.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ConfigError, DataFileError
from ...lazy import lazy_module
from .base import LAYOUTS, check_finite

rasterio = lazy_module("rasterio")

LABELS = "labels.csv"
CLASSES = "classes.txt"
BANDS = "bands.txt"
NPY = (".npy",)
TIFF = (".tif", ".tiff")
SPLIT_VALUES = ("train", "val", "test")


def _read_names(path: Path) -> tuple[str, ...] | None:
    if not path.is_file():
        return None
    names = tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
    if len(set(names)) != len(names) or not names:
        raise DataFileError(f"{path} must list distinct names, one a line; fix the file")
    return names


class FolderSource:
    """`labels.csv` and its patches in `directory` as a `datasets.base.DataSource` (checked on opening)."""

    kind = "folder"

    def __init__(self, directory: str | os.PathLike, layout: str = "auto") -> None:
        self.location = Path(directory)
        if layout not in ("auto", *LAYOUTS):
            raise ConfigError(f"layout {layout!r} is unknown; choose auto or one of {list(LAYOUTS)}")
        table = self._table()
        self.paths = [self.location / name for name in table["file"]]
        self._check_files(table)
        self.class_names, codes = self._classes(table)
        self.format = self._format()
        shape, self.layout = self._shape(layout)
        bands = shape[0] if self.layout == "nchw" else shape[2]
        self.patch = (shape[1], shape[2]) if self.layout == "nchw" else (shape[0], shape[1])
        self.band_names = self._band_names(bands)
        split = table["split"] if "split" in table else pd.Series(["train"] * len(table))
        self.rows = {s: np.flatnonzero((split == s).to_numpy()) for s in SPLIT_VALUES if (split == s).any()}
        if "train" not in self.rows:
            raise DataFileError(f"{self.location / LABELS} has no row with split 'train'; training needs some")
        self.splits = tuple(self.rows)
        self.codes = codes
        self.details = {"format": self.format, "layout": self.layout, "samples": len(table)}

    # ------------------------------------------------------------------ opening
    def _table(self) -> pd.DataFrame:
        path = self.location / LABELS
        if not path.is_file():
            raise DataFileError(
                f"{self.location} has no {LABELS}; a folder dataset needs {LABELS} with columns file,label[,split]"
            )
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise DataFileError(f"{path} is not a readable CSV ({exc}); write it with columns file,label[,split]") from None
        missing = [c for c in ("file", "label") if c not in table.columns]
        if missing:
            raise DataFileError(f"{path} has no column {missing[0]!r} (columns: {list(table.columns)}); give file,label[,split]")
        if table.empty:
            raise DataFileError(f"{path} lists no patches; add a row per patch")
        if "split" in table:
            bad = ~table["split"].isin(SPLIT_VALUES)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataFileError(
                    f"{path} row {row + 2}: split {table['split'].iloc[row]!r} is unknown; use one of {list(SPLIT_VALUES)}"
                )
        return table

    def _check_files(self, table: pd.DataFrame) -> None:
        for row, path in enumerate(self.paths):
            if not path.is_file():
                raise DataFileError(
                    f"{self.location / LABELS} row {row + 2}: patch file {table['file'].iloc[row]!r} does not exist in "
                    f"{self.location}; fix the row or add the file"
                )

    def _classes(self, table: pd.DataFrame) -> tuple[tuple[str, ...], np.ndarray]:
        labels = table["label"]
        names = _read_names(self.location / CLASSES)
        if names is None:
            distinct = labels.unique().tolist()
            numeric = all(v.lstrip("-").isdigit() for v in distinct)
            names = tuple(sorted(distinct, key=int) if numeric else sorted(distinct))
        unknown = ~labels.isin(names)
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataFileError(
                f"{self.location / LABELS} row {row + 2}: label {labels.iloc[row]!r} is not in {self.location / CLASSES}; "
                "add the class there or fix the row"
            )
        index = {name: i for i, name in enumerate(names)}
        return names, labels.map(index).to_numpy(dtype=np.int64)

    def _format(self) -> str:
        suffixes = {p.suffix.lower() for p in self.paths}
        if suffixes <= set(NPY):
            return "npy"
        if suffixes <= set(TIFF):
            if importlib.util.find_spec("rasterio") is None:
                raise ConfigError("reading GeoTIFF patches needs rasterio; install it: pip install 'eo-naslib[geotiff]'")
            return "geotiff"
        raise DataFileError(
            f"{self.location / LABELS} lists files of kinds {sorted(suffixes)}; a folder dataset holds .npy or GeoTIFF "
            "(.tif) patches, all of one kind"
        )

    def _header(self, path: Path) -> tuple[tuple[int, ...], np.dtype]:
        if self.format == "npy":
            try:
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise DataFileError(f"{path} is not a readable .npy array ({exc}); re-write it with numpy.save") from None
            return tuple(array.shape), array.dtype
        try:
            with rasterio.open(path) as handle:
                return (handle.count, handle.height, handle.width), np.dtype(handle.dtypes[0])
        except rasterio.errors.RasterioIOError as exc:
            raise DataFileError(f"{path} is not a readable GeoTIFF ({exc}); re-write it") from None

    def _shape(self, layout: str) -> tuple[tuple[int, ...], str]:
        shape, dtype = self._header(self.paths[0])
        for path in self.paths:
            other, kind = self._header(path)
            if other != shape:
                raise DataFileError(
                    f"patch {path} has shape {other}, the first patch {self.paths[0].name} {shape}; every patch needs the same shape"
                )
            if kind.kind not in "fiu":
                raise DataFileError(f"patch {path} holds {kind} values; patches hold numbers")
        if len(shape) != 3:
            raise DataFileError(f"patch {self.paths[0]} has shape {shape}; a patch is (H, W, C) or (C, H, W)")
        if self.format == "geotiff":
            if layout == "nhwc":
                raise ConfigError("layout 'nhwc' does not fit GeoTIFF patches: rasterio reads them bands first; set layout auto")
            return shape, "nchw"
        square = {"nhwc": shape[0] == shape[1], "nchw": shape[1] == shape[2]}
        if layout == "auto":
            fits = [name for name, ok in square.items() if ok]
            if len(fits) != 1:
                raise ConfigError(
                    f"cannot tell whether patches of shape {shape} are (H, W, C) or (C, H, W); set layout nhwc or nchw"
                )
            return shape, fits[0]
        other = "nchw" if layout == "nhwc" else "nhwc"
        if not square[layout] and square[other]:
            raise ConfigError(
                f"layout {layout!r} reads patches of shape {shape} as non-square, {other!r} as square; set layout {other}"
            )
        return shape, layout

    def _band_names(self, bands: int) -> tuple[str, ...]:
        names = _read_names(self.location / BANDS)
        if names is None and self.format == "geotiff":
            with rasterio.open(self.paths[0]) as handle:
                described = tuple(handle.descriptions)
            names = described if all(described) and len(set(described)) == bands else None
        if names is None:
            return tuple(f"B{i}" for i in range(1, bands + 1))
        if len(names) != bands:
            raise DataFileError(
                f"{self.location / BANDS} names {len(names)} bands but the patches have {bands} ({self.layout}); "
                "fix the file or the layout"
            )
        return names

    # ------------------------------------------------------------------ DataSource
    def source_name(self, split: str) -> str:
        return f"{LABELS} ({split} rows)"

    def labels(self, split: str) -> np.ndarray:
        return self.codes[self.rows[split]]

    def read(self, split: str, rows: np.ndarray, bands: np.ndarray, nonfinite: str) -> tuple[np.ndarray, int]:
        out = np.empty((len(rows), len(bands), *self.patch), dtype=np.float32)
        masked = 0
        for pos, row in enumerate(self.rows[split][rows]):
            path = self.paths[row]
            if self.format == "npy":
                patch = np.load(path, mmap_mode="r", allow_pickle=False)
                patch = patch[bands] if self.layout == "nchw" else np.moveaxis(patch[..., bands], -1, 0)
            else:
                with rasterio.open(path) as handle:
                    patch = handle.read([int(b) + 1 for b in bands])
            block, count = check_finite(
                np.asarray(patch, dtype=np.float32)[None], nonfinite, f"{path} ({split} split)", int(row)
            )
            out[pos] = block[0]
            masked += count
        return out, masked

    def identity(self) -> dict[str, Any]:
        return folder_identity(self.location)


def folder_identity(directory: str | os.PathLike) -> dict[str, Any]:
    """The resolved folder, its description files' size and mtime, and a digest of every listed
    patch's name, size and mtime (no patch is opened; a missing one counts as size -1)."""
    folder = Path(directory).resolve()
    files = {}
    for name in (LABELS, CLASSES, BANDS):
        if (folder / name).is_file():
            stat = (folder / name).stat()
            files[name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    digest = hashlib.sha256()
    if LABELS in files:
        try:
            listed = pd.read_csv(folder / LABELS, dtype=str, keep_default_na=False, usecols=["file"])["file"]
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError):
            listed = []
        for name in listed:
            try:
                stat = (folder / name).stat()
                size, mtime = stat.st_size, stat.st_mtime_ns
            except OSError:
                size, mtime = -1, 0
            digest.update(f"{name}\t{size}\t{mtime}\n".encode())
    return {"directory": str(folder), "files": files, "patches_sha256": digest.hexdigest()[:16]}
