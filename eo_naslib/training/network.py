"""The NAS-Bench-101 network in PyTorch, built from a `Cell`.

A faithful port of NB101's `model_builder.py` / `base_ops.py`: stem 3x3 conv-BN-ReLU
(`stem_channels`, 128), `num_stacks` (3) stacks of `cells_per_stack` (3) cells, a 2x2 stride-2
max-pool and channel doubling before every stack but the first, global average pooling and a
dense classifier. Inside a cell the output channels are split over the vertices feeding the
output (concatenated), other vertices take the max of their successors' channels, inputs from
earlier vertices are truncated to the vertex's channels, the cell input reaches a vertex through a
1x1 conv-BN-ReLU projection, vertex inputs are summed and an input->output edge adds a projection
of the cell input to the output. Convolutions have no bias; BN has affine weights, so for
`in_channels=3, num_classes=10` the trainable parameter count equals NB101's published
`trainable_parameters` (checked on 1,450 cells in tests/test_training_network.py, and through
`parameters.parameter_count` on all 30,001 subset cells in tests/test_nb101_labelling.py).

The network depends on the cell's vertex order; a cell given by hash is built from NB101's
labelling of it (the space's rows hold it), the one NB101 trained and published.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..space import Cell, all_cells
from ..space.constants import CONV1X1, CONV3X3, MAXPOOL3X3
from .parameters import compute_vertex_channels

#: NB101's batch-norm decay 0.997 as a PyTorch momentum, and its epsilon (base_ops.py)
NB101_BN_MOMENTUM = 0.003
NB101_BN_EPS = 1e-5


class ConvBNReLU(nn.Sequential):
    """kxk convolution (no bias, 'same' padding) + batch norm + ReLU, as NB101's `conv_bn_relu`."""

    def __init__(self, c_in: int, c_out: int, kernel: int, bn_momentum: float, bn_eps: float) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=bn_eps, momentum=bn_momentum),
            nn.ReLU(inplace=True),
        )


class NB101Cell(nn.Module):
    """One NB101 module (cell) with NB101's channel rules."""

    def __init__(self, cell: Cell, c_in: int, c_out: int, bn_momentum: float, bn_eps: float) -> None:
        super().__init__()
        matrix = np.asarray(cell.matrix)
        self.n = n = matrix.shape[0]
        self.matrix = matrix.tolist()
        self.channels = compute_vertex_channels(c_in, c_out, matrix)
        self.ops = nn.ModuleDict()
        self.projections = nn.ModuleDict()
        for t in range(1, n - 1):
            if matrix[0, t]:
                self.projections[str(t)] = ConvBNReLU(c_in, self.channels[t], 1, bn_momentum, bn_eps)
            op = cell.ops[t]
            if op == CONV3X3:
                self.ops[str(t)] = ConvBNReLU(self.channels[t], self.channels[t], 3, bn_momentum, bn_eps)
            elif op == CONV1X1:
                self.ops[str(t)] = ConvBNReLU(self.channels[t], self.channels[t], 1, bn_momentum, bn_eps)
            elif op == MAXPOOL3X3:
                self.ops[str(t)] = nn.MaxPool2d(3, stride=1, padding=1)
        self.out_inputs = [t for t in range(1, n - 1) if matrix[t, n - 1]]
        if matrix[0, n - 1]:
            self.projections[str(n - 1)] = ConvBNReLU(c_in, c_out, 1, bn_momentum, bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensors = [x]
        for t in range(1, self.n - 1):
            width = self.channels[t]
            summands = [tensors[s][:, :width] for s in range(1, t) if self.matrix[s][t]]
            if self.matrix[0][t]:
                summands.append(self.projections[str(t)](x))
            total = summands[0]
            for extra in summands[1:]:
                total = total + extra
            tensors.append(self.ops[str(t)](total))
        if not self.out_inputs:
            return self.projections[str(self.n - 1)](x)
        out = (
            tensors[self.out_inputs[0]]
            if len(self.out_inputs) == 1
            else torch.cat([tensors[t] for t in self.out_inputs], dim=1)
        )
        if self.matrix[0][self.n - 1]:
            out = out + self.projections[str(self.n - 1)](x)
        return out


class NB101Network(nn.Module):
    """The full NB101 network for one cell; input (N, in_channels, H, W), output logits."""

    def __init__(
        self,
        cell: Cell,
        in_channels: int = 3,
        num_classes: int = 10,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
        bn_momentum: float = NB101_BN_MOMENTUM,
        bn_eps: float = NB101_BN_EPS,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU(in_channels, stem_channels, 3, bn_momentum, bn_eps)]
        channels = stem_channels
        c_in = stem_channels
        for stack in range(num_stacks):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2))
                channels *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(cell, c_in, channels, bn_momentum, bn_eps))
                c_in = channels
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels, num_classes)
        if not any(p.is_meta for p in self.parameters()):
            self.reset_parameters()

    def reset_parameters(self) -> None:
        """NB101's initialisers: convs variance-scaling (truncated normal, fan-in), dense Glorot uniform."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
                std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
                nn.init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
        nn.init.xavier_uniform_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (what NB101 reports as `trainable_parameters`)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_network(
    cell: Cell | str, in_channels: int = 3, num_classes: int = 10, device: str | torch.device = "cpu", **kwargs
) -> NB101Network:
    """`NB101Network` on `device` ("meta" builds the shapes only, instantly, e.g. to count parameters).

    `cell` is a `Cell` (built in its own vertex order) or an NB101 hash (built in NB101's labelling).
    """
    if isinstance(cell, str):
        table = all_cells()
        cell = table.cell(table.index(cell))
    with torch.device(device):
        return NB101Network(cell, in_channels, num_classes, **kwargs)
