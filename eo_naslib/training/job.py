"""`train_and_measure`: one cell -> one record (`out_dir/record.json`) in the benchmark schema.

The record's `metrics` use the names of `eo_naslib.benchmarks.metrics` (accuracies as fractions,
`train_time_s` for the whole run, `latency_ms` / `latency_std_ms`, `params` of the trained
So2Sat model, `size_kb` in KiB, `macs` per image); `curves` holds every evaluated epoch, and
`settings`, `fingerprint`, `data`, `data_identity`, `device`, `hardware` and `versions` say how it
was made, and a `checksum` seals it (`eo_naslib.schema.seal`). A record is reused only when it
proves it (`benchmarks.records.check_record`: checksum, cell, in-range metrics) and its
fingerprint and data identity (the data folder, and each file's size and mtime) are this run's:
other settings or other data are a `ConfigError` naming them; a checkpoint in `out_dir` is resumed
after its own checks (see `checkpoint`).
"""

from __future__ import annotations

import logging
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
import torchmetrics

from ..benchmarks.records import check_record
from ..errors import ConfigError, DataFileError
from ..io import atomic_write_json, check_writable, lock, read_json
from ..schema import seal
from ..space import Cell
from .config import TrainConfig
from .datasets.base import DataSource, DataSplits, select_bands
from .datasets.kinds import KINDS
from .datasets.loading import load_splits
from .datasets.registry import data_identity as identity_of
from .datasets.registry import open_dataset
from .hardware import device_description, hardware_metrics
from .limits import check_memory, estimate_bytes
from .loop import SINGLE, DistInfo, resolve_device, train_model
from .parallel import global_batch

log = logging.getLogger(__name__)

RECORD = "record.json"
CHECKPOINT = "checkpoint.pt"
FORMAT = "eo_naslib.training.record/1"


def versions() -> dict[str, str]:
    """Software versions that produced a record."""
    try:
        ours = metadata.version("eo-naslib")
    except metadata.PackageNotFoundError:
        ours = "unknown"
    return {
        "eo_naslib": ours,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "h5py": h5py.__version__,
        "torchmetrics": torchmetrics.__version__,
    }


def data_identity(data: str | os.PathLike | DataSplits | None, config: TrainConfig) -> dict[str, Any] | None:
    """Which data a run trains on: the resolved data folder and its files' sizes and mtimes
    (`datasets.registry.data_identity`; None when no folder is known: nothing to compare)."""
    if isinstance(data, DataSplits):
        return identity_of(data.info.get("dataset", config.dataset), data.info["directory"]) if data.info.get("directory") else None
    directory = data or config.data_dir
    return identity_of(config.dataset, directory) if directory else None


def read_record(
    out_dir: str | os.PathLike, cell: Cell, config: TrainConfig, identity: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The record in `out_dir`, None if there is none. A record that fails its checks is a
    `DataFileError`; one of another cell, settings or data (`identity`, when given) a `ConfigError`."""
    path = Path(out_dir) / RECORD
    if not path.exists():
        return None
    record = read_json(path)
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise DataFileError(
            f"{path} is not an eo-naslib training record; move it away or use another out dir"
        )
    check_record(record, path)
    if record["cell"]["hash"] != cell.hash:
        raise ConfigError(
            f"{path} is the record of cell {record['cell']['hash']}, not {cell.hash}; use another out dir"
        )
    if [record["cell"].get("matrix"), record["cell"].get("ops")] != [cell.matrix.tolist(), list(cell.ops)]:
        raise ConfigError(
            f"{path} is the record of cell {cell.hash} in another vertex order (another network: "
            f"matrix {record['cell'].get('matrix')}); use another out dir"
        )
    if record["fingerprint"] != config.fingerprint():
        config.check_same(TrainConfig.from_dict(record.get("settings") or {}).result_dict(), f"record {path}")
    if identity is not None and record.get("data_identity") != identity:
        trained = (record.get("data_identity") or {}).get("directory", "unrecorded data")
        raise ConfigError(
            f"{path} was trained on {trained} (as it was then), not on {identity['directory']} as it is now; "
            "use another out dir to train on this data"
        )
    return record


def data_directory(config: TrainConfig, data: str | os.PathLike | None) -> str | os.PathLike:
    """`data`, else `config.data_dir`; neither is a `DataFileError`."""
    directory = data if data is not None else config.data_dir
    if not directory:
        raise DataFileError(f"no data given for dataset {config.dataset!r}; pass --data PATH ({KINDS[config.dataset]})")
    return directory


def open_source(config: TrainConfig, data: str | os.PathLike | None) -> DataSource:
    """The dataset of `config` at `data` (or `config.data_dir`), its metadata checked."""
    return open_dataset(config.dataset, data_directory(config, data), config.sensor, config.split_protocol, config.layout)


def load_source(config: TrainConfig, source: DataSource) -> DataSplits:
    """`source`'s splits as `config` selects them (protocol, subset, bands), normalised."""
    return load_splits(
        source, config.bands, config.split_protocol, config.subset_fraction, config.val_fraction, config.split_seed,
        config.nonfinite,
    )  # fmt: skip


def load_data(config: TrainConfig, data: str | os.PathLike | DataSplits | None) -> DataSplits:
    """Preloaded splits as given, else load them from `data` or `config.data_dir`."""
    if isinstance(data, DataSplits):
        return data
    return load_source(config, open_source(config, data))


def check_depth(config: TrainConfig, patch: tuple[int, int]) -> None:
    """Each stack after the first halves the patch: refuse a network deeper than the patch allows."""
    smallest = min(patch) // 2 ** (config.num_stacks - 1)
    if smallest < 1:
        raise ConfigError(
            f"num_stacks {config.num_stacks} is too deep for {patch[0]}x{patch[1]} patches (each stack after the first "
            "halves them); lower num_stacks"
        )


def _final_metrics(curves: list[dict[str, Any]], train_time: float) -> dict[str, Any]:
    last = curves[-1]
    return {
        "train_accuracy": last["train_accuracy"],
        "val_accuracy": last["val_accuracy"],
        "val_accuracy_macro": last["val_accuracy_macro"],
        "test_accuracy": last["test_accuracy"],
        "test_accuracy_macro": last["test_accuracy_macro"],
        "train_time_s": train_time,
    }


def train_and_measure(
    cell: Cell,
    config: TrainConfig,
    out_dir: Path,
    resume: bool = True,
    *,
    data: str | os.PathLike | DataSplits | None = None,
    dist: DistInfo = SINGLE,
) -> dict:
    """Train `cell` (resuming from `out_dir`), measure its hardware metrics, write and return the record."""
    out = Path(out_dir)
    if dist.is_main:
        check_writable(out)
    existing = read_record(out, cell, config, data_identity(data, config))
    if existing is not None:
        log.info("record for %s with these settings exists in %s; not training again", cell.hash, out)
        return existing
    if not dist.is_main:
        return _train(cell, config, out, resume, data, dist)
    with lock(out, timeout=0):
        return _train(cell, config, out, resume, data, dist)


def _train(
    cell: Cell,
    config: TrainConfig,
    out: Path,
    resume: bool,
    data: str | os.PathLike | DataSplits | None,
    dist: DistInfo,
) -> dict:
    checkpoint = out / CHECKPOINT
    if not resume and dist.is_main and checkpoint.exists():
        checkpoint.unlink()
    # the files' metadata first: a wrong path, band or shape is named before sizes
    source = None if isinstance(data, DataSplits) else open_source(config, data)
    if source is None:
        in_channels, num_classes, patch = data.in_channels, data.num_classes, data.patch
    else:
        in_channels = len(select_bands(source.band_names, config.bands, f"{source.kind} data at {source.location}"))
        num_classes, patch = len(source.class_names), source.patch
    check_depth(config, patch)
    estimate = estimate_bytes(
        cell, in_channels, config.stem_channels, config.num_stacks, config.cells_per_stack,
        global_batch(config, dist.world_size) // dist.world_size, training=True, num_classes=num_classes, patch=patch,
    )  # fmt: skip
    device = resolve_device(config)
    check_memory(estimate, device, f"training with batch_size {config.batch_size}")
    for key in ("eval_batch_size", "latency_batch_size"):  # evaluation and the latency run come later
        batch = getattr(config, key)
        check_memory(estimate.at(batch, training=False), device, f"inference with {key} {batch}")
    splits = data if source is None else load_source(config, source)
    result = train_model(cell, splits, config, checkpoint, dist)
    if not dist.is_main:
        return {}
    device = result["device"]
    shape = (splits.in_channels, *splits.x_train.shape[2:])
    hardware = hardware_metrics(
        result["model"],
        shape,
        device,
        batch_size=config.latency_batch_size,
        warmup=config.latency_warmup,
        repeats=config.latency_repeats,
        bf16=result["bf16"],
        channels_last=result["channels_last"],
    )
    metrics = _final_metrics(result["curves"], result["train_time_s"])
    metrics.update({k: hardware[k] for k in ("latency_ms", "latency_std_ms", "params", "size_kb", "macs")})
    last = result["curves"][-1]
    record = {
        "format": FORMAT,
        "cell": {"hash": cell.hash, "matrix": cell.matrix.tolist(), "ops": list(cell.ops), "labelling": cell.labelling},
        "metrics": metrics,
        "extra": {
            "val_kappa": last["val_kappa"],
            "test_kappa": last["test_kappa"],
            "val_loss": last["val_loss"],
            "test_loss": last["test_loss"],
            "val_per_class_accuracy": last["val_per_class_accuracy"],
            "test_per_class_accuracy": last["test_per_class_accuracy"],
            "throughput_images_per_s": hardware["throughput_images_per_s"],
        },
        "curves": result["curves"],
        "epochs": [p["epoch"] for p in result["curves"]],
        "settings": config.to_dict(),
        "fingerprint": config.fingerprint(),
        "data": {k: v for k, v in splits.info.items() if k not in ("band_mean", "band_std")},
        "data_identity": data_identity(splits, config),
        "model": {
            "network": "NB101",
            "in_channels": splits.in_channels,
            "num_classes": splits.num_classes,
            "note": f"params/macs are of this model ({splits.in_channels} bands, {splits.num_classes} classes), "
            "not NB101's CIFAR-10 model",
        },
        "training": {
            "device": device_description(device),
            "bf16": result["bf16"],
            "channels_last": result["channels_last"],
            "compile": config.compile and device.type == "cuda",
            "world_size": dist.world_size,
            "steps_per_epoch": result["steps_per_epoch"],
            "global_batch": result["global_batch"],
            "peak_lr": result["peak_lr"],
            "resumed_from_epoch": result["resumed_from_epoch"],
        },
        "hardware": {k: v for k, v in hardware.items() if k not in metrics},
        "versions": versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    record = seal(record)
    atomic_write_json(out / RECORD, record)
    log.info("wrote %s", out / RECORD)
    return record
