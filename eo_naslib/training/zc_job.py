"""Zero-cost scores of one cell's NB101 network on one batch of So2Sat-layout data (`eo-naslib zc`,
`build plan --job zc`).

Settings (`ZC_DEFAULTS`): `data_dir` (the folder with So2Sat LCZ42's `training.h5`; not part of
the fingerprint), `sensor` (s1/s2/fusion: the input bands), `batch_size` rows drawn (seeded,
`batch_seed`) from `training.h5`, normalised per band with the batch's own mean and std, `seed`
(the network's initial weights, NB101's initialisers; also the generator `zen` draws from),
`proxies`, and the network's size (`stem_channels`, `num_stacks`, `cells_per_stack`: NB101's
128/3/3 unless made smaller for quick checks). The network has the data's bands as input channels and its 17 classes as outputs,
built in NB101's labelling of the cell. The record's metrics are `zc_<proxy>` in the form NASLib's
`ZeroCost.query` answers (what NAS-Bench-Suite-Zero stores); `zero_cost` keeps each raw value and
its time. Data files written by `write_synthetic_so2sat` are marked synthetic, and so is the
record: zero-cost correlations on synthetic data mean nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from ..benchmarks.metrics import ZERO_COST_PREFIX
from ..errors import ConfigError, DataFileError, positive_int, seed_int
from ..io import fingerprint
from ..space import Cell
from .network import build_network
from .datasets.loading import band_stats, normalise_
from .so2sat import NUM_CLASSES, SENSOR_KEYS, SPLIT_FILES, check_file, read_labels, read_rows
from .zero_cost import check_proxies, naslib_form, zero_cost_scores

FORMAT = "eo_naslib.zero_cost/1"
ZC_DEFAULTS: dict[str, Any] = {
    "data_dir": "",
    "sensor": "s2",
    "batch_size": 64,
    "batch_seed": 0,
    "seed": 0,
    "proxies": ["synflow", "jacov", "snip"],
    "stem_channels": 128,
    "num_stacks": 3,
    "cells_per_stack": 3,
}
#: settings that do not change the scores (left out of the fingerprint)
RUNTIME_KEYS = frozenset({"data_dir"})


def zc_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` over `ZC_DEFAULTS`, every value checked (one ConfigError naming the key)."""
    unknown = sorted(set(settings) - set(ZC_DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown zc settings {unknown}; allowed: {sorted(ZC_DEFAULTS)}")
    merged = {**ZC_DEFAULTS, **settings}
    if merged["sensor"] not in SENSOR_KEYS:
        raise ConfigError(f"zc setting sensor {merged['sensor']!r} is unknown; choose one of {sorted(SENSOR_KEYS)}")
    if not isinstance(merged["data_dir"], str):
        raise ConfigError(f"zc setting data_dir must be a folder path, got {merged['data_dir']!r}")
    merged["batch_size"] = positive_int(merged["batch_size"], "zc setting batch_size")
    if merged["batch_size"] < 2:
        raise ConfigError("zc setting batch_size must be at least 2 (jacov correlates samples); give 2 or more")
    merged["batch_seed"] = seed_int(merged["batch_seed"], "zc setting batch_seed")
    merged["seed"] = seed_int(merged["seed"], "zc setting seed")
    merged["proxies"] = check_proxies(merged["proxies"])
    for key in ("stem_channels", "num_stacks", "cells_per_stack"):
        merged[key] = positive_int(merged[key], f"zc setting {key}")
    return merged


def zc_fingerprint(settings: dict[str, Any]) -> str:
    """The fingerprint of what the scores depend on (the data folder excluded)."""
    merged = zc_settings(settings)
    return fingerprint({k: v for k, v in merged.items() if k not in RUNTIME_KEYS})


def is_synthetic(path: Path) -> bool:
    """Whether an HDF5 file says it holds synthetic data (`write_synthetic_so2sat` marks its files)."""
    with h5py.File(path, "r") as handle:
        return "synthetic" in handle.attrs


def zc_batch(data_dir: str | Path, sensor: str, batch_size: int, batch_seed: int) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """(inputs (n, bands, 32, 32) normalised with their own band statistics, int64 labels, synthetic?)
    of `batch_size` rows drawn without replacement from `training.h5`."""
    if not data_dir:
        raise ConfigError("zero-cost scores need data: set data_dir (--data) to a folder with So2Sat's training.h5")
    path = Path(data_dir) / SPLIT_FILES["train"]
    if not path.is_file():
        raise DataFileError(f"{path} does not exist; give --data a folder holding So2Sat LCZ42's training.h5")
    n = check_file(path, SENSOR_KEYS[sensor])
    if n < batch_size:
        raise ConfigError(f"{path} has {n} samples, fewer than batch_size {batch_size}; lower batch_size")
    rows = np.sort(np.random.default_rng(batch_seed).choice(n, size=batch_size, replace=False))
    images, _ = read_rows(path, SENSOR_KEYS[sensor], rows)
    mean, std = band_stats(images)
    normalise_(images, mean, std)
    return torch.from_numpy(images), torch.from_numpy(read_labels(path)[rows]), is_synthetic(path)


def score_cell(
    cell: Cell, x: torch.Tensor, y: torch.Tensor, proxies: list[str], seed: int, **size: int
) -> dict[str, dict[str, float]]:
    """{proxy: {"raw", "score" (NASLib's form), "time_s"}} of `cell`'s network (weights from `seed`;
    `size`: `build_network`'s stem_channels, num_stacks, cells_per_stack)."""
    torch.manual_seed(seed)
    network = build_network(cell, in_channels=int(x.shape[1]), num_classes=NUM_CLASSES, **size)
    found = {}
    for name in proxies:
        torch.manual_seed(seed)  # zen draws its weights and inputs from the global generator
        began = time.perf_counter()
        raw = zero_cost_scores(network, x, y, [name])[name]
        found[name] = {"raw": raw, "score": naslib_form(name, raw), "time_s": time.perf_counter() - began}
    return found


def zc_job(cell: Cell, settings: dict[str, Any], out_dir: Path | None = None, resume: bool = True) -> dict[str, Any]:
    """The zero-cost record of `cell` (in NB101's labelling) under `settings`."""
    merged = zc_settings(settings)
    x, y, synthetic = zc_batch(merged["data_dir"], merged["sensor"], merged["batch_size"], merged["batch_seed"])
    labelled = cell.nb101()
    with torch.random.fork_rng():
        size = {k: merged[k] for k in ("stem_channels", "num_stacks", "cells_per_stack")}
        scores = score_cell(labelled, x, y, merged["proxies"], merged["seed"], **size)
    return {
        "format": FORMAT,
        "job": "zc",
        "cell": {"hash": labelled.hash, "matrix": labelled.matrix.tolist(), "ops": list(labelled.ops)},
        "metrics": {f"{ZERO_COST_PREFIX}{name}": s["score"] for name, s in scores.items()},
        "zero_cost": scores,
        "settings": {k: v for k, v in merged.items() if k not in RUNTIME_KEYS},
        "fingerprint": zc_fingerprint(settings),
        "data": {"bands": int(x.shape[1]), "classes": NUM_CLASSES, "batch_size": int(x.shape[0])},
        "training": {"device": "cpu (no training: untrained network)"},
        "versions": {"torch": torch.__version__},
        "synthetic": synthetic,
    }
