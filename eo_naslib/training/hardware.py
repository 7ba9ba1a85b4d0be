"""Hardware metrics of one network on the current device: latency, throughput, size, MACs.

Latency (`time_runs`, the one timer of training records and device profiles): `warmup` forward
passes, then `repeats` timed ones of a batch already on the device (host-to-device copy excluded
unless `include_copy`), each timed with `time.perf_counter` and the device synchronised before and
after it on CUDA; the warm-up passes are timed too, so a record shows whether they sufficed.
bf16 autocast and channels_last only on CUDA. MACs are counted by `torch.utils.flop_counter` (convolutions and matrix products; FLOPs/2)
for one image; `ptflops_macs` is an independent cross-check (module hooks) over the same layers.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..errors import ConfigError, non_negative_int, positive_int
from .network import count_parameters

try:  # optional: only the MAC cross-check needs it
    from ptflops import get_model_complexity_info
except ImportError:  # pragma: no cover - depends on the environment
    get_model_complexity_info = None


def count_macs(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """Multiply-accumulates of one forward pass of one image (convolutions + dense)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros((1, *input_shape), device=device))
    model.train(was_training)
    return counter.get_total_flops() // 2


def ptflops_macs(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """MACs of the convolution and dense layers by ptflops (BN, ReLU and pooling ignored)."""
    if get_model_complexity_info is None:
        raise ConfigError("the MAC cross-check needs ptflops; install it with `pip install ptflops`")
    macs, _ = get_model_complexity_info(
        model,
        input_shape,
        as_strings=False,
        print_per_layer_stat=False,
        backend="pytorch",
        ignore_modules=[nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d],
        backend_specific_config={"count_functional": False},
    )
    return int(macs)


class _ByteCounter:
    """A write-only stream that counts the bytes written to it and keeps none."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def state_dict_kib(model: nn.Module) -> float:
    """Size of the saved weights (`torch.save` of the state dict) in KiB, counted as it is written."""
    counter = _ByteCounter()
    torch.save(model.state_dict(), counter)
    return counter.written / 1024


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_runs(run: Callable[[], Any], warmup: int, repeats: int, sync: Callable[[], None]) -> tuple[list[float], list[float]]:
    """(milliseconds of the `warmup` passes, of the `repeats` timed ones) of calls of `run`, each
    between two `sync()` calls."""
    sync()
    warm: list[float] = []
    timed: list[float] = []
    for i in range(warmup + repeats):
        begin = time.perf_counter()
        run()
        sync()
        (warm if i < warmup else timed).append((time.perf_counter() - begin) * 1000.0)
    return warm, timed


def measure_latency(
    model: nn.Module,
    input_shape: tuple[int, int, int],
    device: torch.device,
    batch_size: int = 64,
    warmup: int = 10,
    repeats: int = 50,
    bf16: bool = False,
    channels_last: bool = False,
    include_copy: bool = False,
) -> dict[str, Any]:
    """Latency mean/std (ms) and throughput (images/s) of forward passes in eval mode."""
    batch_size, repeats = positive_int(batch_size, "batch_size"), positive_int(repeats, "repeats")
    warmup = non_negative_int(warmup, "warmup")
    model = model.to(device).eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    host = torch.randn((batch_size, *input_shape), generator=torch.Generator().manual_seed(0))
    if device.type == "cuda" and include_copy:
        host = host.pin_memory()
    on_device = host.to(device)
    if channels_last:
        on_device = on_device.contiguous(memory_format=torch.channels_last)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    def forward() -> None:
        with torch.no_grad(), autocast:
            model(host.to(device, non_blocking=True) if include_copy else on_device)

    _, times = time_runs(forward, warmup, repeats, lambda: _sync(device))
    mean = statistics.fmean(times)
    return {
        "latency_ms": mean,
        "latency_std_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
        "throughput_images_per_s": batch_size / (mean / 1000.0),
        "latency_batch_size": batch_size,
        "latency_repeats": repeats,
        "latency_warmup": warmup,
        "latency_dtype": "bf16-autocast" if bf16 else "fp32",
        "latency_channels_last": channels_last,
        "latency_window": "forward pass incl. host-to-device copy"
        if include_copy
        else "forward pass only, input already on the device",
    }


def device_description(device: torch.device) -> dict[str, Any]:
    """Name and basic facts of the device the metrics were measured on."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return {
            "type": "cuda",
            "name": props.name,
            "memory_gib": round(props.total_memory / 2**30, 1),
            "capability": f"{props.major}.{props.minor}",
        }
    return {"type": device.type, "name": _cpu_name(), "threads": torch.get_num_threads()}


def _cpu_name() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "cpu"


def hardware_metrics(
    model: nn.Module, input_shape: tuple[int, int, int], device: torch.device, **latency_options: Any
) -> dict[str, Any]:
    """params, size_kb, macs (per image) and latency/throughput of `model` on `device`;
    `latency_options` are `measure_latency`'s (batch_size, warmup, repeats, bf16, ...)."""
    result: dict[str, Any] = {
        "params": count_parameters(model),
        "size_kb": state_dict_kib(model),
        "macs": count_macs(model.to(device), input_shape),
        "input_shape": list(input_shape),
    }
    result.update(measure_latency(model, input_shape, device, **latency_options))
    result["device"] = device_description(device)
    return result
