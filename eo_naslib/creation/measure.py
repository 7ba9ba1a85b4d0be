"""The `measure` job kind: a device profile of one cell's network, no training (needs torch).

Settings (`MEASURE_DEFAULTS`; unknown keys and wrong types are refused): the network's input
and shape (sensor, stem_channels, num_stacks, cells_per_stack), where and how it runs (device,
runtime torch | onnxruntime, threads, precision, include_copy) and the timing (batch_size of the
second profile point, warmup, repeats). Every setting enters the job id: the same cell profiled
with other settings is another job. The record holds the flat metrics (`latency_ms` at batch 1,
... see `training.profile`), the profile's details and the device fingerprint; a finished record
is never measured again (the job layer skips it), so a killed plan resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError, non_negative_int, positive_int
from ..io import fingerprint
from ..space import Cell
from ..training import limits, loop
from ..training.config import SENSORS, TrainConfig
from ..training.job import versions
from ..training.profile import RUNTIMES, cell_macs, network_for_profile, profile_network
from ..training.so2sat import NUM_CLASSES, PATCH
from .jobs import JobKind, register_job_kind

MEASURE_FORMAT = "eo_naslib.creation.measure/1"
MEASURE_DEFAULTS: dict[str, Any] = {
    "sensor": "s2",
    "stem_channels": 128,
    "num_stacks": 3,
    "cells_per_stack": 3,
    "device": "cpu",
    "runtime": "torch",
    "threads": None,
    "precision": "auto",
    "include_copy": False,
    "batch_size": 32,
    "warmup": 5,
    "repeats": 20,
}
#: the record's benchmark metrics (`energy_mj` only where a counter was read)
METRIC_KEYS = (
    "latency_ms", "latency_std_ms", "latency_median_ms", "latency_p95_ms", "latency_min_ms", "latency_batch_ms",
    "throughput_images_per_s", "peak_memory_mib", "energy_mj", "params", "size_kb", "macs",
)  # fmt: skip
_NETWORK_KEYS = ("sensor", "stem_channels", "num_stacks", "cells_per_stack", "device", "precision")


def measure_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` over `MEASURE_DEFAULTS`, checked (one-line `ConfigError` naming the key)."""
    if not isinstance(settings, dict):
        raise ConfigError(f"measure settings must be a mapping, got {settings!r}")
    unknown = sorted(set(settings) - set(MEASURE_DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown measure setting(s) {unknown}; known: {sorted(MEASURE_DEFAULTS)}")
    merged = {**MEASURE_DEFAULTS, **settings}
    for key in ("stem_channels", "num_stacks", "cells_per_stack", "batch_size", "repeats"):
        merged[key] = positive_int(merged[key], f"measure setting {key}")
    merged["warmup"] = non_negative_int(merged["warmup"], "measure setting warmup")
    if merged["threads"] is not None:
        merged["threads"] = positive_int(merged["threads"], "measure setting threads")
    if merged["sensor"] not in SENSORS:
        raise ConfigError(f"measure setting sensor={merged['sensor']!r}; choose one of {list(SENSORS)}")
    if merged["runtime"] not in RUNTIMES:
        raise ConfigError(f"measure setting runtime={merged['runtime']!r}; choose one of {list(RUNTIMES)}")
    if not isinstance(merged["include_copy"], bool):
        raise ConfigError(f"measure setting include_copy={merged['include_copy']!r} must be true or false")
    network_config(merged)  # device, precision and shape checked by the training config
    if merged["runtime"] == "onnxruntime" and not str(merged["device"]).startswith("cpu"):
        raise ConfigError(f"measure setting runtime=onnxruntime times on the CPU, not device {merged['device']!r}; use device cpu")
    return merged


def network_config(settings: dict[str, Any]) -> TrainConfig:
    """The training config that builds the profiled network (its shape, device and precision)."""
    return TrainConfig.from_dict({k: settings[k] for k in _NETWORK_KEYS})


def measure_fingerprint(settings: dict[str, Any]) -> str:
    """Fingerprint of the checked settings (defaults filled in, so spelling a default changes nothing)."""
    return fingerprint({"job": "measure", **measure_settings(settings)})


def measure_job(cell: Cell, settings: dict[str, Any], out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """Profile `cell`'s network on the settings' device; the record of the module docstring."""
    checked = measure_settings(settings)
    config = network_config(checked)
    device = loop.resolve_device(config)
    estimate = limits.estimate_bytes(
        cell, config.in_channels, config.stem_channels, config.num_stacks, config.cells_per_stack, checked["batch_size"], training=False
    )
    limits.check_memory(estimate, device, f"measuring with batch_size {checked['batch_size']}")
    profile = profile_network(
        network_for_profile(cell, config),
        (config.in_channels, PATCH, PATCH),
        device,
        batch_size=checked["batch_size"],
        warmup=checked["warmup"],
        repeats=checked["repeats"],
        runtime=checked["runtime"],
        threads=checked["threads"],
        include_copy=checked["include_copy"],
        bf16=loop.use_bf16(config, device),
        channels_last=device.type == "cuda" and checked["runtime"] == "torch",
        macs=cell_macs(cell, config, config.in_channels, NUM_CLASSES, (PATCH, PATCH)),
    )
    return {
        "format": MEASURE_FORMAT,
        "job": "measure",
        "cell": {"hash": cell.hash, "matrix": cell.matrix.tolist(), "ops": list(cell.ops)},
        "fingerprint": measure_fingerprint(settings),
        "settings": checked,
        "metrics": {k: profile[k] for k in METRIC_KEYS if k in profile},
        "input_shape": profile["input_shape"],
        "profile": profile["profile"],
        "device": profile["device"],
        "versions": versions(),
    }


register_job_kind(JobKind("measure", measure_job, measure_fingerprint))
