"""Device and size limits, checked before anything is allocated.

- `check_device`: training and measuring need a device that computes: `cpu` or an existing `cuda:N`
  (`meta` only records shapes, so its "latency" would be a number for nothing).
- `estimate_bytes` / `check_memory`: every leaf module's output for one image (what autograd keeps
  for the backward pass), counted from the cell without building the network
  (`space.costs.module_output_elements`; equal to forward hooks on the built network, tested), and
  the analytic parameter count; the estimate is
  `parameters x 4 B x copies + batch x activations x 4 B`, where `copies` is 4 for training
  (weights, gradients, momentum, a spare for the optimizer step) and 1 for measuring (an upper
  bound there: inference frees activations as it goes). Checked on this CPU against the peak RSS of
  one SGD step (stem 32, batch 64: estimate 430 MiB, measured 418 MiB). It is compared with the
  device's free memory (CUDA: `torch.cuda.mem_get_info`; CPU: MemAvailable of /proc/meminfo) and
  refused in one line naming both figures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from ..errors import ConfigError
from ..space import Cell
from ..space.costs import module_output_elements, network_costs
from .parameters import parameter_count
from .so2sat import NUM_CLASSES, PATCH

#: device types that compute
COMPUTING_DEVICES = ("cpu", "cuda")
FLOAT_BYTES = 4


def check_device(device: torch.device) -> torch.device:
    """`device` if it computes and exists, else a `ConfigError` saying which ones do."""
    if device.type not in COMPUTING_DEVICES:
        raise ConfigError(
            f"device {str(device)!r} does not compute (it records shapes only or is not supported); "
            "use 'auto', 'cpu' or 'cuda[:N]'"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ConfigError(
            f"device {str(device)!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return device


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of the weights (with optimizer copies) and of one batch's activations."""

    parameters: int
    weights_bytes: int
    activation_bytes: int
    image_activation_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.activation_bytes

    def at(self, batch_size: int, training: bool) -> MemoryEstimate:
        """The same network's estimate for another batch size or mode (no new pass)."""
        copies = 4 if training else 1
        per_image = self.image_activation_bytes
        return MemoryEstimate(self.parameters, self.parameters * FLOAT_BYTES * copies, batch_size * per_image, per_image)


def estimate_bytes(
    cell: Cell,
    in_channels: int,
    stem_channels: int,
    num_stacks: int,
    cells_per_stack: int,
    batch_size: int,
    training: bool,
    num_classes: int = NUM_CLASSES,
    patch: tuple[int, int] = (PATCH, PATCH),
) -> MemoryEstimate:
    """Memory one step of the network needs, counted from the cell (nothing built or allocated)."""
    matrix, labels = cell.padded()
    costs = network_costs(matrix[None], labels[None], in_channels, num_classes, stem_channels, num_stacks, cells_per_stack, patch)
    elements = int(module_output_elements(costs, num_classes)[0])
    parameters = parameter_count(cell, in_channels, num_classes, stem_channels, num_stacks, cells_per_stack)
    return MemoryEstimate(parameters, 0, 0, elements * FLOAT_BYTES).at(batch_size, training)


def available_bytes(device: torch.device) -> int:
    """Free memory of `device`: CUDA's free bytes, or the host's MemAvailable."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(estimate: MemoryEstimate, device: torch.device, what: str) -> None:
    """Refuse `what` in one line when `estimate` exceeds the free memory of `device`."""
    limit = available_bytes(device)
    if estimate.total_bytes > limit:
        raise ConfigError(
            f"{what} needs about {_gib(estimate.total_bytes)} on {device} ({estimate.parameters:,} parameters: "
            f"{_gib(estimate.weights_bytes)}; activations: {_gib(estimate.activation_bytes)}), more than the "
            f"{_gib(limit)} free; lower the batch size or stem_channels"
        )


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:,.2f} GiB"
