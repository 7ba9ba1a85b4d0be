"""A device profile of one network: latency statistics at batch 1 and at a stated batch, throughput,
peak memory, energy per inference and the device's fingerprint, on torch or ONNX Runtime.

Timing (`hardware.time_runs`): `warmup` forward passes, then `repeats` timed ones
(`time.perf_counter`, the device synchronised before and after each on CUDA), of an input already
on the device (the host-to-device copy is timed only with `include_copy`). The warm-up passes'
times are kept too (`warmup_ms`), so a profile shows whether its warm-up sufficed. Batch 1 gives
`latency_ms` (mean), `latency_std_ms`, `latency_median_ms`, `latency_p95_ms`, `latency_min_ms` (the
fastest pass: on a shared machine the figure that repeats best, docs/device_profiles.md); the stated batch
`latency_batch_ms` and `throughput_images_per_s`. A stated batch of 1 is the batch-1 point: one set
of timings serves both.

Peak memory, over the stated batch's passes: on CUDA the allocator's peak
(`torch.cuda.max_memory_allocated` after a reset: weights, input and activations); on CPU the
process's peak RSS growth above its RSS before the passes (`VmHWM` after resetting it through
`/proc/self/clear_refs`, glibc's free memory returned first by `malloc_trim`; else
`ru_maxrss`, which only sees growth above the process's earlier peak). The method is recorded.

Energy per inference (`energy_mj`, mJ per image at batch 1) where `energy.energy_counter` reads
one; otherwise absent, and `profile.energy.reason` says why.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import platform
import re
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError, non_negative_int, positive_int
from . import onnx_runtime
from ..space import Cell
from ..space.costs import network_costs, total_macs
from .config import TrainConfig
from .energy import POWERCAP, EnergyCounter, energy_counter, nvml_driver
from .hardware import count_macs, device_description, state_dict_kib, time_runs
from .network import NB101Network, build_network, count_parameters
from .so2sat import NUM_CLASSES

RUNTIMES = ("torch", "onnxruntime")
T = TypeVar("T")
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None


def latency_stats(times_ms: list[float]) -> dict[str, float]:
    """mean, std (sample), median, 95th percentile (linear interpolation) and minimum of timings in ms."""
    values = np.asarray(times_ms, dtype=float)
    return {
        "mean_ms": float(values.mean()),
        "std_ms": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "median_ms": float(np.median(values)),
        "p95_ms": float(np.percentile(values, 95)),
        "min_ms": float(values.min()),
    }


# ---------------------------------------------------------------------------------- memory
def _status_kib(field: str) -> int | None:
    with contextlib.suppress(OSError):
        for line in _STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return None


def _reset_peak_rss() -> bool:
    """Return freed heap memory to the OS and reset VmHWM to the current RSS; False if not possible.
    (No `gc.collect`: tensors are freed by reference counting, and a collection over a loaded cell
    table costs more than a cell's forward passes.)"""
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def peak_memory(run: Callable[[], T], device: torch.device) -> tuple[T, dict[str, Any]]:
    """`run()`'s result and its peak memory in MiB with how it was measured (module docstring)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        value = run()
        return value, {"peak_mib": torch.cuda.max_memory_allocated(device) / 2**20, "method": "CUDA allocator peak (torch.cuda.max_memory_allocated)"}
    if _reset_peak_rss():
        base = _status_kib("VmRSS") or 0
        value = run()
        return value, {"peak_mib": max(0, (_status_kib("VmHWM") or 0) - base) / 1024, "method": "peak RSS growth (VmHWM reset by /proc/self/clear_refs)"}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    value = run()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return value, {"peak_mib": grown / 1024, "method": "peak RSS growth above the process's earlier peak (ru_maxrss)"}


# ---------------------------------------------------------------------------------- network
def network_for_profile(
    cell: Cell, config: TrainConfig, in_channels: int | None = None, num_classes: int = NUM_CLASSES
) -> NB101Network:
    """`cell`'s NB101 network as `loop.build_model` builds it (same layers, shapes, parameters, size
    and MACs; `in_channels` by default the So2Sat sensor's bands), initialised in one draw per tensor
    for timing: conv weights normal with NB101's variance-scaling std clipped to +-2 std (NB101
    resamples outside it, which costs most of a build), BatchNorm reset, dense layer Glorot uniform, from `config.seed`. Dense kernels' speed
    does not depend on the values drawn (all finite, none denormal)."""
    model = build_network(
        cell, config.in_channels if in_channels is None else in_channels, num_classes, device="meta",
        stem_channels=config.stem_channels, num_stacks=config.num_stacks,
        cells_per_stack=config.cells_per_stack, bn_momentum=config.bn_momentum, bn_eps=config.bn_eps,
    ).to_empty(device="cpu")  # fmt: skip
    generator = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                std = (module.in_channels * module.kernel_size[0] * module.kernel_size[1]) ** -0.5 / 0.87962566103423978
                module.weight.normal_(0.0, std, generator=generator).clamp_(-2 * std, 2 * std)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
        bound = (6.0 / (model.classifier.in_features + model.classifier.out_features)) ** 0.5
        model.classifier.weight.uniform_(-bound, bound, generator=generator)
        model.classifier.bias.zero_()
    return model


def cell_macs(cell: Cell, config: TrainConfig, in_channels: int, num_classes: int, patch: tuple[int, int]) -> int:
    """MACs per image of `cell`'s network in `config`'s shape, counted from the cell (`space.costs`;
    equal to `count_macs` on the built network, tested) without a forward pass."""
    matrix, labels = cell.padded()
    costs = network_costs(
        matrix[None], labels[None], in_channels, num_classes, config.stem_channels, config.num_stacks, config.cells_per_stack, patch
    )
    return int(total_macs(costs)[0])


# ---------------------------------------------------------------------------------- device
def device_fingerprint(device: torch.device, runtime: str, dtype: str, threads: int) -> dict[str, Any]:
    """What the figures depend on: device name, driver/CUDA, torch and runtime versions, threads, dtype."""
    description = device_description(device)
    return {
        "type": device.type,
        "name": description["name"],
        "machine": platform.machine(),
        "os": f"{platform.system()} {platform.release()}",
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "driver": nvml_driver() if device.type == "cuda" else None,
        "runtime": runtime,
        "runtime_version": onnx_runtime.version() if runtime == "onnxruntime" else torch.__version__,
        "threads": threads,
        "dtype": dtype,
    }


def device_name(fingerprint: dict[str, Any]) -> str:
    """A benchmark name from a fingerprint, e.g. `cpu-intel-xeon-platinum-8375c-2t` (`-ort` for ONNX Runtime)."""
    name = re.sub(r"\((r|tm)\)|\bcpu\b|@.*$|\bnvidia\b", " ", str(fingerprint["name"]).lower())
    words = re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:40].strip("-") or "device"
    runtime = "-ort" if fingerprint["runtime"] == "onnxruntime" else ""
    return f"{fingerprint['type']}-{words}-{fingerprint['threads']}t{runtime}"


# ---------------------------------------------------------------------------------- profile
def _runner(
    model: nn.Module, input_shape: tuple[int, int, int], runtime: str, device: torch.device, threads: int, bf16: bool, channels_last: bool
) -> Callable[[torch.Tensor], Any]:
    """A function doing one forward pass of a batch already where the runtime reads it."""
    if runtime == "onnxruntime":
        if device.type != "cpu":
            raise ConfigError(f"the onnxruntime runtime times on the CPU, not {device}; use --device cpu or --runtime torch")
        sample = torch.randn((2, *input_shape), generator=torch.Generator().manual_seed(1))
        session = onnx_runtime.checked_session(model, sample, threads)
        return lambda x: session.run(None, {"x": x.numpy()})
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    def forward(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), autocast:
            return model(x)

    return forward


def _restores_torch_threads(function: Callable[..., T]) -> Callable[..., T]:
    """`function`, giving the caller's torch thread count back when it returns (a worker that runs
    several jobs keeps its own)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        previous = torch.get_num_threads()
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(previous)

    return wrapper


@_restores_torch_threads
def profile_network(
    model: nn.Module,
    input_shape: tuple[int, int, int],
    device: torch.device,
    batch_size: int = 32,
    warmup: int = 5,
    repeats: int = 20,
    runtime: str = "torch",
    threads: int | None = None,
    include_copy: bool = False,
    bf16: bool = False,
    channels_last: bool = False,
    powercap: Path = POWERCAP,
    macs: int | None = None,
) -> dict[str, Any]:
    """The device profile of `model` (module docstring): flat metrics, `profile` details, `device`.
    `macs` per image is counted by running the model (`count_macs`) unless given (`cell_macs`)."""
    batch_size, repeats = positive_int(batch_size, "batch_size"), positive_int(repeats, "repeats")
    warmup = non_negative_int(warmup, "warmup")
    if runtime not in RUNTIMES:
        raise ConfigError(f"runtime {runtime!r} is not offered; choose one of {list(RUNTIMES)}")
    if threads is not None:
        torch.set_num_threads(positive_int(threads, "threads"))
    threads = torch.get_num_threads()
    model = model.to(device).eval()
    result: dict[str, Any] = {
        "params": count_parameters(model),
        "size_kb": state_dict_kib(model),
        "macs": count_macs(model, input_shape) if macs is None else macs,
        "input_shape": list(input_shape),
    }
    forward = _runner(model, input_shape, runtime, device, threads, bf16, channels_last)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    counter, reason = energy_counter(device, powercap)

    def pass_of(n: int) -> Callable[[], Any]:
        """One forward pass of a seeded batch of `n` images (copied to the device each time with include_copy)."""
        host = torch.randn((n, *input_shape), generator=torch.Generator().manual_seed(0))
        if include_copy and device.type == "cuda":
            pinned = host.pin_memory()
            return lambda: forward(pinned.to(device, non_blocking=True))
        ready = host.to(device)
        if channels_last and runtime == "torch":
            ready = ready.contiguous(memory_format=torch.channels_last)
        return lambda: forward(ready)

    if batch_size == 1:
        (warm_one, single, energy_one), memory = peak_memory(lambda: _timed(pass_of(1), warmup, repeats, sync, counter), device)
        warm_batch, batch_times, energy_batch = warm_one, single, energy_one
    else:
        warm_one, single, energy_one = _timed(pass_of(1), warmup, repeats, sync, counter)
        run_batch = pass_of(batch_size)
        (warm_batch, batch_times, energy_batch), memory = peak_memory(lambda: _timed(run_batch, warmup, repeats, sync, counter), device)
    batched = latency_stats(batch_times)
    stats = latency_stats(single)
    result.update(
        latency_ms=stats["mean_ms"], latency_std_ms=stats["std_ms"], latency_median_ms=stats["median_ms"], latency_p95_ms=stats["p95_ms"], latency_min_ms=stats["min_ms"],
        latency_batch_ms=batched["mean_ms"], throughput_images_per_s=batch_size / (batched["mean_ms"] / 1000.0),
        peak_memory_mib=memory["peak_mib"],
    )  # fmt: skip
    energy: dict[str, Any] = {"available": False, "reason": reason}
    if counter is not None:
        if energy_one > 0:
            result["energy_mj"] = energy_one / repeats
            energy = {"available": True, "source": counter.source, "mj_per_image_batch_1": energy_one / repeats,
                      "mj_per_image_batch": energy_batch / (repeats * batch_size), "scope": "whole device during the timed window"}  # fmt: skip
        else:
            energy["reason"] = f"{counter.source} did not advance during the {sum(single):.1f} ms timed window; raise repeats"
    dtype = "bf16-autocast" if bf16 else "fp32"
    result["profile"] = {
        "runtime": runtime,
        "window": "forward pass incl. host-to-device copy" if include_copy and device.type == "cuda" else "forward pass only, input already on the device",
        "warmup": warmup,
        "repeats": repeats,
        "batch_1": {**stats, "warmup_ms": warm_one},
        "batch": {"batch_size": batch_size, **batched, "throughput_images_per_s": result["throughput_images_per_s"], "warmup_ms": warm_batch},
        "memory": {**memory, "batch_size": batch_size},
        "energy": energy,
        "channels_last": channels_last,
    }
    result["device"] = device_fingerprint(device, runtime, dtype, threads)
    return result


def _timed(
    run: Callable[[], Any], warmup: int, repeats: int, sync: Callable[[], None], counter: EnergyCounter | None
) -> tuple[list[float], list[float], float]:
    """(warm-up times, timed times in ms, mJ the energy counter saw over the timed runs; 0 without one)."""
    warm, _ = time_runs(run, warmup, 0, sync)
    before = counter.read() if counter is not None else None
    _, times = time_runs(run, 0, repeats, sync)
    energy = counter.delta_mj(before, counter.read()) if counter is not None else 0.0
    return warm, times, energy
