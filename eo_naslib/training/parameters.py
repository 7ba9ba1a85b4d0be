"""NB101's channel rules and the network's trainable parameter count, without building it (no torch).

`parameter_count` counts what `NB101Network` (network.py) holds, layer by layer: convolutions
without bias, batch norms with affine weight and bias, the dense classifier with its bias. It is
checked against the built network in tests/test_nb101_labelling.py and is what lets the tests
compare all 30,001 published counts in a second.
"""

from __future__ import annotations

import numpy as np

from ..space import Cell
from ..space.constants import CONV1X1, CONV3X3

_KERNEL_AREA = {CONV3X3: 9, CONV1X1: 1}


def compute_vertex_channels(in_channels: int, out_channels: int, matrix: np.ndarray) -> list[int]:
    """Channels of every vertex of a cell (NB101's `compute_vertex_channels`)."""
    n = matrix.shape[0]
    channels = [0] * n
    channels[0] = in_channels
    channels[n - 1] = out_channels
    if n == 2:
        return channels
    in_degree = matrix[1:].sum(axis=0)
    interior, correction = divmod(out_channels, int(in_degree[n - 1]))
    for v in range(1, n - 1):
        if matrix[v, n - 1]:
            channels[v] = interior + (1 if correction else 0)
            correction -= 1 if correction else 0
    for v in range(n - 3, 0, -1):
        if not matrix[v, n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v, dst]:
                    channels[v] = max(channels[v], channels[dst])
    return channels


def _conv_bn(c_in: int, c_out: int, kernel_area: int) -> int:
    return c_in * c_out * kernel_area + 2 * c_out


def cell_parameter_count(cell: Cell, c_in: int, c_out: int) -> int:
    """Trainable parameters of one NB101 module (cell) from `c_in` to `c_out` channels."""
    matrix = np.asarray(cell.matrix)
    n = matrix.shape[0]
    channels = compute_vertex_channels(c_in, c_out, matrix)
    total = _conv_bn(c_in, c_out, 1) if matrix[0, n - 1] else 0
    for t in range(1, n - 1):
        if matrix[0, t]:
            total += _conv_bn(c_in, channels[t], 1)
        if cell.ops[t] in _KERNEL_AREA:
            total += _conv_bn(channels[t], channels[t], _KERNEL_AREA[cell.ops[t]])
    return total


def parameter_count(
    cell: Cell,
    in_channels: int = 3,
    num_classes: int = 10,
    stem_channels: int = 128,
    num_stacks: int = 3,
    cells_per_stack: int = 3,
) -> int:
    """Trainable parameters of `NB101Network(cell, ...)` (NB101's `trainable_parameters` for 3, 10)."""
    total = _conv_bn(in_channels, stem_channels, 9)
    c_in = channels = stem_channels
    for stack in range(num_stacks):
        channels = channels * 2 if stack > 0 else channels
        for _ in range(cells_per_stack):
            total += cell_parameter_count(cell, c_in, channels)
            c_in = channels
    return total + channels * num_classes + num_classes
