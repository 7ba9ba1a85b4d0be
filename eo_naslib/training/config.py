"""`TrainConfig`: every setting of one training run, with the seeds' defaults and their sources.

Sources of the defaults:
- seed 001, section 4.3 (So2Sat pipeline): batch 256, SGD with momentum 0.9 and weight decay 5e-4;
  108 epochs (NB101's full budget, the seeds' final epoch); sensor Sentinel-2 (seeds 000/001).
- seed 002, section 5.4: train on P = 35% of the training file (`subset_fraction`), re-split
  80/20 (`val_fraction` 0.2); sensors s1 | s2 | fusion. What the held-out 20% is for is the
  `split_protocol` (`datasets.splits`): `seeds` (seed 002's test; the default), `holdout`
  (validation, what this package did before protocols had names) or `files`.
- NAS-Bench-101 (nasbench/lib/config.py, base_ops.py) where 001 is silent: learning rate 0.2
  (NB101's base 0.1 linearly scaled by its 2 TPU shards), cosine decay per step to 0, BN decay
  0.997 (PyTorch momentum 0.003) and epsilon 1e-5, stem 128 channels, 3 stacks x 3 cells.
- ours: metrics every 2 epochs (`eval_every`), seeds, checkpoint cadence, device options.
- data parallelism (seed 001, section 4.2): `processes` data-parallel processes per run (torchrun
  inside a creation job; 0: one per GPU of the node); `lr_scaling: linear` is seed 001's convention
  (`batch_size` per process, learning rate x processes: "batch_size=1024, gpus=1 and
  batch_size=256, gpus=4 are equivalent"); `none` keeps `batch_size` global and `lr` as given.
- divergence (seed 002 drops diverged runs): a NaN/inf loss always stops a run; with
  `chance_after_epochs` N > 0 a run whose training accuracy at epoch N is at most the majority
  class's share + `chance_margin` stops too; a creation job then retries with a fresh seed up to
  `divergence_retries` times (see `eo_naslib.creation.retries`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..errors import ConfigError, non_negative_int, positive_int, seed_int
from ..io import fingerprint
from .datasets.kinds import SO2SAT_KINDS, check_kind
from .datasets.splits import check_protocol

SENSORS = ("s1", "s2", "fusion")
PRECISIONS = ("auto", "fp32", "bf16")
#: how the learning rate and batch follow the data-parallel size (see the module docstring)
LR_SCALINGS = ("none", "linear")
#: what to do with NaN/inf pixels: refuse the file (default), or replace them by the band mean and count them
NONFINITE = ("refuse", "mask")
#: how `layout` may be set: auto (the reader decides or infers it), nhwc, nchw
LAYOUT_SETTINGS = ("auto", "nhwc", "nchw")
#: So2Sat patches are 32x32 and each stack after the first halves them (max-pool 2x2): log2(32) + 1
MAX_STACKS = 6


def _as_float(key: str, value: int | str) -> float:
    """Ints and numeric strings (YAML reads `5e-4` as a string) as floats."""
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"training setting {key}={value!r} must be a number") from None


def parse_bands(bands: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Band names from a comma-separated string or a list ("" or []: all bands)."""
    items = bands.split(",") if isinstance(bands, str) else list(bands)
    return tuple(name.strip() for name in items if name.strip())


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; `fingerprint()` identifies them (device options excluded)."""

    sensor: str = "s2"
    epochs: int = 108
    batch_size: int = 256
    lr: float = 0.2
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False
    schedule: str = "cosine"
    bn_momentum: float = 0.003
    bn_eps: float = 1e-5
    stem_channels: int = 128
    num_stacks: int = 3
    cells_per_stack: int = 3
    subset_fraction: float = 0.35
    val_fraction: float = 0.2
    split_seed: int = 0
    seed: int = 0
    eval_every: int = 2
    # where and how to run: not in the fingerprint (they do not change what is trained)
    data_dir: str = ""
    checkpoint_every: int = 1
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    compile: bool = False
    eval_batch_size: int = 1024
    latency_batch_size: int = 64
    latency_warmup: int = 10
    latency_repeats: int = 50
    nonfinite: str = "refuse"
    processes: int = 1
    lr_scaling: str = "none"
    chance_after_epochs: int = 0
    chance_margin: float = 0.02
    divergence_retries: int = 0
    # which data (eo_naslib.training.datasets): kind, bands by name ("" all), split protocol, file layout
    dataset: str = "so2sat"
    bands: str = ""
    split_protocol: str = "seeds"
    layout: str = "auto"

    #: keys that do not change what is trained (excluded from the fingerprint)
    RUNTIME_KEYS = frozenset(
        {
            "data_dir",
            "checkpoint_every",
            "device",
            "precision",
            "channels_last",
            "compile",
            "eval_batch_size",
            "latency_batch_size",
            "latency_warmup",
            "latency_repeats",
            # a file without NaN/inf trains the same either way, one with them is refused under
            # "refuse", and under "mask" the record's data section counts the masked pixels
            "nonfinite",
            # how many processes share a run, and when a run counts as diverged: a run that
            # finishes trains the same (its record states the world size and seed it ran with)
            "processes",
            "chance_after_epochs",
            "chance_margin",
            "divergence_retries",
        }
    )
    #: result keys left out of the fingerprint at this value, so runs made before they existed keep theirs
    #: (before split protocols had names, runs held the 20% out as validation: `holdout`)
    NEUTRAL_DEFAULTS = {"lr_scaling": "none", "dataset": "so2sat", "bands": "", "split_protocol": "holdout", "layout": "auto"}

    def __post_init__(self) -> None:
        if self.sensor not in SENSORS:
            raise ConfigError(f"sensor {self.sensor!r} is unknown; choose one of {list(SENSORS)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is unknown; choose one of {list(PRECISIONS)}")
        if self.nonfinite not in NONFINITE:
            raise ConfigError(f"nonfinite {self.nonfinite!r} is unknown; choose one of {list(NONFINITE)}")
        check_kind(self.dataset)
        check_protocol(self.split_protocol)
        if self.layout not in LAYOUT_SETTINGS:
            raise ConfigError(f"layout {self.layout!r} is unknown; choose one of {list(LAYOUT_SETTINGS)}")
        if self.schedule not in ("cosine", "constant"):
            raise ConfigError(f"schedule {self.schedule!r} is unknown; choose 'cosine' or 'constant'")
        if self.lr_scaling not in LR_SCALINGS:
            raise ConfigError(f"lr_scaling {self.lr_scaling!r} is unknown; choose one of {list(LR_SCALINGS)}")
        for key in ("processes", "chance_after_epochs", "divergence_retries"):
            non_negative_int(getattr(self, key), key)
        if not 0.0 <= self.chance_margin < 1.0:
            raise ConfigError(f"chance_margin must be in [0, 1), got {self.chance_margin!r}")
        for key in (
            "epochs",
            "batch_size",
            "stem_channels",
            "num_stacks",
            "cells_per_stack",
            "eval_every",
            "checkpoint_every",
            "eval_batch_size",
            "latency_batch_size",
            "latency_repeats",
        ):
            positive_int(getattr(self, key), key)
        for key in ("seed", "split_seed"):
            seed_int(getattr(self, key), key)
        if self.num_stacks > MAX_STACKS:
            raise ConfigError(
                f"num_stacks {self.num_stacks} is too deep for 32x32 patches: each stack after the first halves "
                f"them, so at most {MAX_STACKS} fit; lower num_stacks"
            )
        if not 0.0 < self.subset_fraction <= 1.0:
            raise ConfigError(f"subset_fraction must be in (0, 1], got {self.subset_fraction!r}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(
                f"val_fraction must be in [0, 1), got {self.val_fraction!r}; 0 holds nothing out (split_protocol files)"
            )
        for key, at_most in (("lr", math.inf), ("bn_eps", math.inf), ("weight_decay", math.inf), ("momentum", 1.0), ("bn_momentum", 1.0)):
            value = getattr(self, key)
            strict = key in ("lr", "bn_eps")
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not 0 <= value <= at_most
                or (strict and value == 0)
            ):
                bounds = f"{'above' if strict else 'at least'} 0" + ("" if at_most == math.inf else f" and at most {at_most}")
                raise ConfigError(f"{key} must be a finite number {bounds}, got {value!r}")

    @property
    def band_names(self) -> tuple[str, ...]:
        """The bands named by `bands` (empty: all of the dataset's, or of So2Sat's `sensor`)."""
        return parse_bands(self.bands)

    @property
    def in_channels(self) -> int:
        """So2Sat's input channels (`bands` or `sensor`); other datasets' come from their files."""
        if self.dataset not in SO2SAT_KINDS:
            raise ConfigError(f"dataset {self.dataset!r} gives its bands from its files; open it to count them")
        return len(self.band_names) or {"s1": 8, "s2": 10, "fusion": 18}[self.sensor]

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TrainConfig:
        """Build from a (YAML/JSON) dict; unknown keys are an error naming them."""
        if data is not None and not isinstance(data, Mapping):
            raise ConfigError(f"training settings must be a mapping of keys, e.g. {{'epochs': 4}}, got {data!r}")
        data = dict(data or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"unknown training setting(s) {unknown}; known: {sorted(known)}")
        if isinstance(data.get("bands"), (list, tuple)):  # YAML's list of names: one canonical form
            data["bands"] = ",".join(str(name) for name in data["bands"])
        for key, value in data.items():
            default = known[key].default
            if isinstance(default, float) and isinstance(value, (int, str)) and not isinstance(value, bool):
                data[key] = _as_float(key, value)
            elif type(value) is not type(default):
                raise ConfigError(
                    f"training setting {key}={value!r} must be of type {type(default).__name__}"
                )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainConfig:
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def result_dict(self) -> dict[str, Any]:
        """The settings that define the trained result (the fingerprint's input)."""
        return {
            k: v
            for k, v in self.to_dict().items()
            if k not in self.RUNTIME_KEYS and (k not in self.NEUTRAL_DEFAULTS or v != self.NEUTRAL_DEFAULTS[k])
        }

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of `result_dict()`."""
        return fingerprint(self.result_dict())

    def check_same(self, other: dict[str, Any], what: str) -> None:
        """Raise `ConfigError` naming the keys where `other` (a stored result_dict) differs."""
        mine = self.result_dict()
        changed = sorted(k for k in set(mine) | set(other) if mine.get(k) != other.get(k))
        if changed:
            detail = ", ".join(f"{k}: {other.get(k)!r} -> {mine.get(k)!r}" for k in changed)
            raise ConfigError(
                f"{what} was made with different settings ({detail}); use a new output directory "
                "or the original settings"
            )
