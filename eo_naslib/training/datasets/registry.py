"""Dataset kinds by name (`--dataset KIND`) and `open_dataset`; readers are imported on first use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError, DataFileError
from ...lazy import lazy_module
from .kinds import KINDS, SO2SAT_KINDS, check_kind

if TYPE_CHECKING:
    from .base import DataSource

so2sat = lazy_module("eo_naslib.training.so2sat")
folder = lazy_module("eo_naslib.training.datasets.folder")
torchgeo_source = lazy_module("eo_naslib.training.datasets.torchgeo_source")

def so2sat_version(kind: str) -> str:
    return "2" if kind == "so2sat" else kind.removeprefix("so2sat_v")


def open_dataset(
    kind: str, path: str | os.PathLike, sensor: str = "s2", split_protocol: str = "seeds", layout: str = "auto"
) -> DataSource:
    """The dataset `kind` at `path`, its files' metadata checked (nothing large is read)."""
    check_kind(kind)
    if not path:
        raise DataFileError(f"no data given for dataset {kind!r}; pass --data PATH ({KINDS[kind]})")
    if not os.path.isdir(path):
        raise DataFileError(f"data folder {str(path)!r} does not exist or is not a folder; pass --data PATH ({KINDS[kind]})")
    if kind in SO2SAT_KINDS:
        if layout not in ("auto", "nhwc"):
            raise ConfigError(f"layout {layout!r} does not fit {kind!r}: its HDF5 files are N x 32 x 32 x bands (nhwc); set layout auto")
        return so2sat.open_so2sat(path, sensor, so2sat_version(kind), split_protocol)
    if sensor != "s2":
        raise ConfigError(
            f"sensor {sensor!r} selects So2Sat's band groups; dataset {kind!r} selects bands by name: "
            "leave sensor at s2 and set bands (e.g. --bands B02,B03,B04)"
        )
    if kind == "folder":
        return folder.FolderSource(path, layout)
    return torchgeo_source.open_torchgeo(path, "EuroSAT")


def data_identity(kind: str, path: str | os.PathLike) -> dict[str, Any]:
    """What identifies the data at `path` (folder, files' sizes and mtimes), to compare with a
    record's; data that does not open has only its folder (loading it names the problem)."""
    if kind in SO2SAT_KINDS:
        return so2sat.file_identity(path, so2sat_version(kind))
    if kind == "folder":
        return folder.folder_identity(path)
    try:
        return open_dataset(kind, path).identity()
    except (DataFileError, ConfigError):
        return {"directory": str(Path(path).resolve()), "files": {}}
