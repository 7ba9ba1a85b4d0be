"""The training loop: seeded, resumable (latest checkpoint), metrics every `eval_every` epochs.

Plain PyTorch (no Lightning: the loop is a few dozen lines and a framework would add overhead to a
hot path that is already short). The selected splits are tensors; on CUDA they are moved to the
device once (bf16 when training in bf16) and batches are gathered there. On CPU a run is
deterministic for a given thread count: the model is initialised from `seed` and the epoch-`e`
permutation from `(seed, e)`, so a resumed run replays exactly the batches an uninterrupted one
would. Data-parallel runs (`dist`) split every global batch into equal contiguous shards; its
size and the peak learning rate follow `lr_scaling` (see `parallel`).

Divergence: a non-finite training loss in an epoch, or (with `chance_after_epochs` N) a training
accuracy at epoch N of at most the majority class's share + `chance_margin` (a network that
predicts one class), stops the run with `TrainingDivergedError`. Both figures are summed over
every process first, so all ranks stop together.

At an evaluated epoch the training figures are NB101's: an eval-mode pass over the training images
after the epoch (`train_accuracy`, `train_loss`, `train_accuracy_macro`, ...); the running
train-mode figures of the epoch's batches are kept as `train_accuracy_running` / `train_loss_running`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as torch_dist
import torch.nn.functional as F
from torch import nn
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_cohen_kappa

from ..errors import ConfigError, TrainingDivergedError
from ..space import Cell
from .checkpoint import check_checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .limits import check_device
from .network import NB101Network
from .datasets.base import DataSplits
from .parallel import global_batch, peak_lr
from .so2sat import NUM_CLASSES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    """Rank and world size of a data-parallel run (world 1: a plain run)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


#: a plain, one-process run
SINGLE = DistInfo()


def resolve_device(config: TrainConfig) -> torch.device:
    if config.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(config.device)
    except RuntimeError:
        raise ConfigError(
            f"device {config.device!r} is not a torch device; use 'auto', 'cpu' or 'cuda[:N]'"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device {config.device!r} asked for but CUDA is not available; use 'cpu' or 'auto'"
        )
    return check_device(device)


def use_bf16(config: TrainConfig, device: torch.device) -> bool:
    """bf16 autocast only on CUDA ('auto' turns it on there); 'bf16' on CPU is refused."""
    if config.precision == "bf16" and device.type != "cuda":
        raise ConfigError("precision 'bf16' is for CUDA devices; use 'auto' or 'fp32' on CPU")
    return device.type == "cuda" and config.precision in ("auto", "bf16")


def build_model(cell: Cell, config: TrainConfig, in_channels: int, num_classes: int = NUM_CLASSES) -> NB101Network:
    """The network of `config` for the data's bands and classes, initialised from `config.seed`."""
    torch.manual_seed(config.seed)
    return NB101Network(
        cell,
        in_channels,
        num_classes,
        config.stem_channels,
        config.num_stacks,
        config.cells_per_stack,
        config.bn_momentum,
        config.bn_eps,
    )


def learning_rate(config: TrainConfig, step: int, total_steps: int, world_size: int = 1) -> float:
    """NB101's cosine decay by step (to 0 at the last step), or a constant rate, from `peak_lr`."""
    peak = peak_lr(config, world_size)
    if config.schedule == "constant":
        return peak
    return 0.5 * peak * (1.0 + math.cos(math.pi * step / total_steps))


def check_not_at_chance(
    config: TrainConfig, cell: Cell, epoch: int, accuracy: float, labels: torch.Tensor
) -> None:
    """`TrainingDivergedError` when epoch `epoch` is the `chance_after_epochs` check and the
    training `accuracy` is at most the majority class's share of `labels` + `chance_margin`."""
    if not config.chance_after_epochs or epoch != config.chance_after_epochs:
        return
    majority = float(torch.bincount(labels.cpu()).max()) / len(labels)
    if accuracy <= majority + config.chance_margin:
        raise TrainingDivergedError(
            f"cell {cell.hash}: training accuracy {accuracy:.4f} after {epoch} epochs is at chance (the majority "
            f"class's share {majority:.4f} + margin {config.chance_margin}); no record is written"
        )


def classification_metrics(logits: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
    """Loss, overall (micro) and class-averaged (macro) accuracy, Cohen's kappa, per-class accuracy
    (the classes are the logits' columns)."""
    logits = logits.float()
    num_classes = logits.shape[1]
    preds = logits.argmax(dim=1)
    per_class = multiclass_accuracy(preds, target, num_classes, average="none")
    present = torch.bincount(target, minlength=num_classes) > 0
    return {
        "loss": float(F.cross_entropy(logits, target)),
        "accuracy": float(multiclass_accuracy(preds, target, num_classes, average="micro")),
        "accuracy_macro": float(per_class[present].mean()),
        "kappa": float(multiclass_cohen_kappa(preds, target, num_classes)),
        "per_class_accuracy": [float(a) if p else None for a, p in zip(per_class.tolist(), present.tolist())],
    }


def _autocast(bf16: bool, device: torch.device) -> contextlib.AbstractContextManager:
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    device: torch.device,
    bf16: bool,
    channels_last: bool,
) -> dict[str, Any]:
    model.eval()
    outputs = []
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size].to(device, non_blocking=True)
        if channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        with _autocast(bf16, device):
            outputs.append(model(batch).float().cpu())
    model.train()
    return classification_metrics(torch.cat(outputs), y.cpu())


def _rng_generator(seed: int, epoch: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def train_model(
    cell: Cell, data: DataSplits, config: TrainConfig, checkpoint: Path | None, dist: DistInfo = SINGLE
) -> dict[str, Any]:
    """Train one cell; returns curves, final metrics, timings and the trained model's settings."""
    device = resolve_device(config)
    bf16 = use_bf16(config, device)
    channels_last = config.channels_last and device.type == "cuda"
    n_train = len(data.x_train)
    batch_size = global_batch(config, dist.world_size)
    if batch_size > n_train:
        raise ConfigError(
            f"batch_size {batch_size} (over {dist.world_size} process(es)) exceeds the {n_train} training samples; lower it"
        )
    if batch_size % dist.world_size:
        raise ConfigError(
            f"batch_size {config.batch_size} is not divisible by the {dist.world_size} processes"
        )
    model = build_model(cell, config, data.in_channels, data.num_classes).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        nesterov=config.nesterov,
    )
    steps_per_epoch = n_train // batch_size
    total_steps = steps_per_epoch * config.epochs
    start_epoch, curves, train_time = 0, [], 0.0
    def check(saved: dict[str, Any]) -> None:
        check_checkpoint(saved, checkpoint, config, cell, model, optimizer)

    state = load_checkpoint(checkpoint, check) if checkpoint is not None and dist.is_main else None
    if dist.world_size > 1:  # rank 0 sets a corrupt checkpoint aside before the others read it
        torch_dist.barrier()
        if not dist.is_main and checkpoint is not None:
            state = load_checkpoint(checkpoint, check)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, curves, train_time = state["epoch"], state["curves"], state["train_time_s"]
        log.info("resuming %s from epoch %d of %d (%s)", cell.hash, start_epoch, config.epochs, checkpoint)
    net: nn.Module = model
    if dist.world_size > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if config.compile and device.type == "cuda":
        net = torch.compile(net)
    x_train, y_train = data.x_train, data.y_train
    if device.type == "cuda":
        x_train = x_train.to(device, dtype=torch.bfloat16 if bf16 else torch.float32)
        y_train = y_train.to(device)
    shard = batch_size // dist.world_size
    wall_start = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        epoch_start = time.perf_counter()
        perm = torch.randperm(n_train, generator=_rng_generator(config.seed, epoch)).to(x_train.device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for step in range(steps_per_epoch):
            lr = learning_rate(config, epoch * steps_per_epoch + step, total_steps, dist.world_size)
            for group in optimizer.param_groups:
                group["lr"] = lr
            begin = step * batch_size + dist.rank * shard
            idx = perm[begin : begin + shard]
            xb = x_train[idx].to(device, non_blocking=True)
            yb = y_train[idx].to(device, non_blocking=True)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            with _autocast(bf16, device):
                logits = net(xb)
                loss = F.cross_entropy(logits.float(), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            correct += (logits.detach().argmax(dim=1) == yb).sum()
        if dist.world_size > 1:  # training loss/accuracy over all shards
            torch_dist.all_reduce(loss_sum)
            torch_dist.all_reduce(correct)
            loss_sum /= dist.world_size
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_time += time.perf_counter() - epoch_start
        done = epoch + 1
        if not torch.isfinite(loss_sum):  # one check per epoch: the sum is non-finite once any step was
            raise TrainingDivergedError(
                f"cell {cell.hash}: the training loss became {float(loss_sum)} in epoch {done} "
                f"(lr {peak_lr(config, dist.world_size)}); no record is written; lower lr or check the data"
            )
        check_not_at_chance(config, cell, done, float(correct) / (steps_per_epoch * batch_size), y_train)
        if done % config.eval_every == 0 or done == config.epochs:
            point: dict[str, Any] = {
                "epoch": done,
                "train_loss_running": float(loss_sum) / steps_per_epoch,
                "train_accuracy_running": float(correct) / (steps_per_epoch * shard * dist.world_size),
                "train_time_s": train_time,
            }
            if dist.is_main:
                for split, (x, y) in (
                    ("train", (x_train, y_train)),  # NB101's train_accuracy: an evaluation pass after the epoch
                    ("val", (data.x_val, data.y_val)),
                    ("test", (data.x_test, data.y_test)),
                ):
                    scores = evaluate(model, x, y, config.eval_batch_size, device, bf16, channels_last)
                    point.update({f"{split}_{k}": v for k, v in scores.items()})
            point["wall_time_s"] = time.perf_counter() - wall_start
            curves.append(point)
            log.info(
                "%s epoch %d/%d: %s",
                cell.hash[:8],
                done,
                config.epochs,
                {k: round(v, 4) for k, v in point.items() if isinstance(v, float)},
            )
        if dist.world_size > 1:
            torch_dist.barrier()
        if (
            checkpoint is not None
            and dist.is_main
            and (done % config.checkpoint_every == 0 or done == config.epochs)
        ):
            save_checkpoint(
                checkpoint,
                {
                    "settings": config.result_dict(),
                    "cell_hash": cell.hash,
                    "cell_matrix": cell.matrix.tolist(),
                    "cell_ops": list(cell.ops),
                    "epoch": done,
                    "curves": curves,
                    "train_time_s": train_time,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                },
            )
    return {
        "model": model,
        "curves": curves,
        "train_time_s": train_time,
        "device": device,
        "bf16": bf16,
        "channels_last": channels_last,
        "steps_per_epoch": steps_per_epoch,
        "resumed_from_epoch": start_epoch,
        "global_batch": batch_size,
        "peak_lr": peak_lr(config, dist.world_size),
    }
