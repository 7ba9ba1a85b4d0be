"""Data parallelism in one run: the global batch and the peak learning rate for a world size.

`lr_scaling: none`: `batch_size` is the global batch, split into equal shards, and `lr` is used as
given. `lr_scaling: linear` (seed 001): `batch_size` is per process and the learning rate is
multiplied by the world size (Goyal et al.'s linear scaling rule for a global batch that grows).
"""

from __future__ import annotations

from .config import TrainConfig


def global_batch(config: TrainConfig, world_size: int) -> int:
    """Images per optimizer step over all processes."""
    return config.batch_size * world_size if config.lr_scaling == "linear" else config.batch_size


def peak_lr(config: TrainConfig, world_size: int) -> float:
    """The schedule's starting learning rate."""
    return config.lr * world_size if config.lr_scaling == "linear" else config.lr
