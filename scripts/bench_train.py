"""Training throughput of the median-parameter NB101 cell on So2Sat-shaped input, and the data path.

    python scripts/bench_train.py [--batch-size 256] [--steps N] [--warmup N] [--sensor s2] [--compile]

Median cell: the median trainable-parameter count of 201 seeded random cells (10 bands, 17 classes).
Timed: whole SGD steps (batch gathered from a tensor already on the device, forward, backward,
update), synchronised on CUDA; modes fp32 eager, bf16 autocast + channels_last, and with
`--compile` (default on CUDA) the latter under torch.compile. Ratios are to fp32 eager. The data
path is `so2sat.read_rows` on a synthetic So2Sat-layout file (35% selection, fusion bands) and,
for comparison, h5py per-row fancy indexing. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F

from eo_naslib.space import random_cell
from eo_naslib.training.config import TrainConfig
from eo_naslib.training.hardware import count_macs, device_description
from eo_naslib.training.loop import build_model
from eo_naslib.training.network import build_network, count_parameters
from eo_naslib.training.datasets.splits import stratified_subset
from eo_naslib.training.so2sat import read_labels, read_rows
from eo_naslib.training.synthetic import write_synthetic_so2sat


def median_cell(bands: int):
    rng = np.random.default_rng(0)
    cells = [random_cell(rng) for _ in range(201)]
    counts = [count_parameters(build_network(c, bands, 17, device="meta")) for c in cells]
    order = np.argsort(counts)
    return cells[order[100]], counts[order[100]]


def train_images_per_s(
    cell,
    config: TrainConfig,
    device: torch.device,
    batch: int,
    steps: int,
    warmup: int,
    bf16: bool,
    channels_last: bool,
    compiled: bool,
) -> float:
    model = build_model(cell, config, config.in_channels).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    step_fn = torch.compile(model) if compiled else model
    x = torch.randn(
        batch * 4, config.in_channels, 32, 32, device=device, dtype=torch.bfloat16 if bf16 else torch.float32
    )
    y = torch.randint(0, 17, (batch * 4,), device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    start = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        idx = torch.randint(0, batch * 4, (batch,), device=device)
        xb = x[idx]
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with autocast:
            loss = F.cross_entropy(step_fn(xb).float(), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return batch * steps / (time.perf_counter() - start)


def data_path(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_so2sat(Path(tmp), n, 16, 16, seed=0)
        path = folder / "training.h5"
        indices = stratified_subset(read_labels(path), 0.35, seed=0)
        start = time.perf_counter()
        read_rows(path, ("sen1", "sen2"), indices)
        chunked = len(indices) / (time.perf_counter() - start)
        few = indices[:500]
        start = time.perf_counter()
        with h5py.File(path) as handle:
            handle["sen1"][few]
            handle["sen2"][few]
        fancy = len(few) / (time.perf_counter() - start)
    return {
        "data_images_per_s": round(chunked),
        "data_fancy_index_images_per_s": round(fancy),
        "data_file_samples": n,
        "data_selected": len(indices),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 20 on CUDA, 2 on CPU)")
    parser.add_argument(
        "--warmup", type=int, default=None, help="untimed steps (default 5 on CUDA, 1 on CPU)"
    )
    parser.add_argument("--sensor", default="s2", choices=("s1", "s2", "fusion"))
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--data-samples", type=int, default=4096)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cuda = device.type == "cuda"
    steps = args.steps or (20 if cuda else 2)
    warmup = args.warmup if args.warmup is not None else (5 if cuda else 1)
    compiled = cuda if args.compile is None else args.compile
    config = TrainConfig(sensor=args.sensor)
    cell, params = median_cell(config.in_channels)
    result = {
        "device": device_description(device),
        "cell": cell.hash,
        "params": params,
        "macs_per_image": count_macs(
            build_network(cell, config.in_channels, 17, device="meta"), (config.in_channels, 32, 32)
        ),
        "batch_size": args.batch_size,
        "steps": steps,
        "warmup": warmup,
        "torch": torch.__version__,
    }
    modes = {"fp32_eager": (False, False, False), "bf16_channels_last": (True, True, False)}
    if compiled:
        modes["bf16_channels_last_compile"] = (True, True, True)
    for name, (bf16, channels_last, comp) in modes.items():
        rate = train_images_per_s(
            cell, config, device, args.batch_size, steps, warmup, bf16, channels_last, comp
        )
        result[f"train_images_per_s_{name}"] = round(rate, 1)
        print(f"{name}: {rate:,.1f} training images/s", flush=True)
    base = result["train_images_per_s_fp32_eager"]
    result["ratios_to_fp32_eager"] = {
        k[len("train_images_per_s_") :]: round(v / base, 3)
        for k, v in result.items()
        if k.startswith("train_images_per_s_")
    }
    result.update(data_path(args.data_samples))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
