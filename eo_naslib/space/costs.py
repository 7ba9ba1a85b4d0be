"""What an NB101 network computes, counted from its cell without building it (numpy, vectorised over cells).

`network_costs` gives, per cell and per image, the work of `NB101Network(cell)` (stem, 3 stacks of
3 modules, max-pool between stacks, global average pool, dense classifier) split by kind:

- `conv3x3_macs`, `conv1x1_macs`: multiply-accumulates of the cell's convolution vertices;
- `projection_macs`: the 1x1 projections of a module's input to the vertices it feeds;
- `stem_and_classifier_macs`: the 3x3 stem and the dense layer (the same for every cell);
- `conv_layers`: conv-BN-ReLU layers (vertex convolutions and projections, stem included);
- `conv_output_elements`: the elements those layers write (what BN and ReLU read again);
- `maxpool_elements`: elements written by the cell's max-pool vertices;
- `add_elements`: elements summed where a vertex has several inputs, and where the projected
  input is added to the concatenated output;
- `concat_elements`: elements concatenated at module outputs fed by more than one vertex;
- `downsample_elements`: elements written by the 2x2 max-pools between stacks.

`module_output_elements` adds up what every leaf module (conv, BN, ReLU, max-pool, dense) outputs
for one image: the activations a training step keeps (`training.limits`).

The MAC columns add up to what `torch.utils.flop_counter` counts on the built network (tested).
Channels follow NB101's `compute_vertex_channels` (`training.parameters`, checked equal).
These are the inputs of the device-cost surrogate features (`benchmarks.features`): at batch 1
on a CPU, memory-bound work (pooling, BN/ReLU passes, adds, concatenation) costs as much as MACs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .constants import CONV1X1, CONV3X3, MAXPOOL3X3, OP_LABEL, PAD_LABEL

#: the columns of `network_costs`, in order
COST_COLUMNS = (
    "conv3x3_macs",
    "conv1x1_macs",
    "projection_macs",
    "stem_and_classifier_macs",
    "conv_layers",
    "conv_output_elements",
    "maxpool_elements",
    "add_elements",
    "concat_elements",
    "downsample_elements",
)
_MAC_COLUMNS = ("conv3x3_macs", "conv1x1_macs", "projection_macs", "stem_and_classifier_macs")


def vertex_channels(matrices: np.ndarray, n: int, c_in: int, c_out: int) -> np.ndarray:
    """(cells, n) channels of every vertex of `n`-vertex cells (`matrices`: (cells, n, n) upper
    triangular): NB101's rule. Output-fed vertices split `c_out` evenly (the first ones get the
    remainder); other interior vertices take the largest channels of the vertices they feed."""
    count = len(matrices)
    channels = np.zeros((count, n), dtype=np.int64)
    channels[:, 0], channels[:, n - 1] = c_in, c_out
    if n == 2:
        return channels
    feeds_output = matrices[:, :, n - 1].astype(bool)
    in_degree = feeds_output[:, 1:].sum(axis=1)
    interior, remainder = np.divmod(c_out, np.maximum(in_degree, 1))
    for v in range(1, n - 1):
        extra = remainder > 0
        channels[:, v] = np.where(feeds_output[:, v], interior + extra, 0)
        remainder = remainder - (feeds_output[:, v] & extra)
    for v in range(n - 3, 0, -1):
        fed = matrices[:, v, v + 1 : n - 1].astype(bool)
        widest = np.where(fed, channels[:, v + 1 : n - 1], 0).max(axis=1)
        channels[:, v] = np.where(feeds_output[:, v], channels[:, v], np.maximum(channels[:, v], widest))
    return channels


@dataclass(frozen=True)
class _Structure:
    """What the costs of `n`-vertex cells read from their graphs (float64 0/1 or counts, per interior vertex)."""

    matrices: np.ndarray
    n: int
    conv3: np.ndarray
    conv1: np.ndarray
    pool: np.ndarray
    from_input: np.ndarray
    input_to_output: np.ndarray
    extra_inputs: np.ndarray  # inputs beyond the first of each interior vertex (the projected input included)
    concatenates: np.ndarray  # 1 where more than one vertex feeds the output

    @classmethod
    def of(cls, matrices: np.ndarray, labels: np.ndarray, n: int) -> _Structure:
        ops = labels[:, 1 : n - 1]
        into_interior = matrices[:, :, 1 : n - 1].sum(axis=1, dtype=np.int64)
        return cls(
            matrices=matrices,
            n=n,
            conv3=(ops == OP_LABEL[CONV3X3]).astype(np.float64),
            conv1=(ops == OP_LABEL[CONV1X1]).astype(np.float64),
            pool=(ops == OP_LABEL[MAXPOOL3X3]).astype(np.float64),
            from_input=matrices[:, 0, 1 : n - 1].astype(np.float64),
            input_to_output=matrices[:, 0, n - 1].astype(np.float64),
            extra_inputs=np.maximum(into_interior - 1, 0).astype(np.float64),
            concatenates=(matrices[:, 1 : n - 1, n - 1].sum(axis=1, dtype=np.int64) > 1).astype(np.float64),
        )

    def module_costs(self, c_in: int, c_out: int, area: int) -> np.ndarray:
        """(cells, len(COST_COLUMNS)) costs of one module from `c_in` to `c_out` channels at `area`
        pixels (stem and classifier excluded)."""
        interior = vertex_channels(self.matrices, self.n, c_in, c_out)[:, 1 : self.n - 1].astype(np.float64)
        convs = self.conv3 + self.conv1
        to_output = self.input_to_output * c_out
        columns = {
            "conv3x3_macs": (self.conv3 * interior**2).sum(axis=1) * 9,
            "conv1x1_macs": (self.conv1 * interior**2).sum(axis=1),
            "projection_macs": ((self.from_input * interior).sum(axis=1) + to_output) * c_in,
            "stem_and_classifier_macs": np.zeros(len(interior)),
            "conv_layers": (convs + self.from_input).sum(axis=1) + self.input_to_output,
            "conv_output_elements": ((convs + self.from_input) * interior).sum(axis=1) + to_output,
            "maxpool_elements": (self.pool * interior).sum(axis=1),
            "add_elements": (self.extra_inputs * interior).sum(axis=1) + to_output,
            "concat_elements": self.concatenates * c_out,
            "downsample_elements": np.zeros(len(interior)),
        }
        return np.column_stack([columns[k] * (1 if k == "conv_layers" else area) for k in COST_COLUMNS])  # layers: a count


def network_costs(
    matrices: np.ndarray,
    labels: np.ndarray,
    in_channels: int = 10,
    num_classes: int = 17,
    stem_channels: int = 128,
    num_stacks: int = 3,
    cells_per_stack: int = 3,
    image_size: int | tuple[int, int] = 32,
) -> np.ndarray:
    """(cells, len(COST_COLUMNS)) float64 per-image costs (module docstring) of the NB101 networks of
    cells given as padded 7-vertex `matrices` (N, 7, 7) and `labels` (N, 7) (a `CellTable`'s arrays,
    or `Cell.padded()`); `image_size` is the side of a square input or its (height, width)."""
    matrices, labels = np.asarray(matrices), np.asarray(labels)
    image_height, image_width = (image_size, image_size) if isinstance(image_size, int) else image_size
    height, width = image_height, image_width
    sizes = (labels != PAD_LABEL).sum(axis=1)
    modules: Counter[tuple[int, int, int]] = Counter()  # (c_in, c_out, pixels) -> modules of that shape
    c_in = channels = stem_channels
    downsampled = 0
    for stack in range(num_stacks):
        if stack > 0:
            height, width = height // 2, width // 2
            downsampled += channels * height * width
            channels *= 2
        for _ in range(cells_per_stack):
            modules[c_in, channels, height * width] += 1
            c_in = channels
    out = np.zeros((len(matrices), len(COST_COLUMNS)), dtype=np.float64)
    for n in np.unique(sizes):
        rows = np.flatnonzero(sizes == n)
        structure = _Structure.of(matrices[rows][:, :n, :n], labels[rows][:, :n], int(n))
        out[rows] = sum(count * structure.module_costs(*shape) for shape, count in modules.items())
    stem_pixels = image_height * image_width
    out[:, COST_COLUMNS.index("stem_and_classifier_macs")] = in_channels * stem_channels * 9 * stem_pixels + channels * num_classes
    out[:, COST_COLUMNS.index("conv_layers")] += 1
    out[:, COST_COLUMNS.index("conv_output_elements")] += stem_channels * stem_pixels
    out[:, COST_COLUMNS.index("downsample_elements")] = downsampled
    return out


def total_macs(costs: np.ndarray) -> np.ndarray:
    """Multiply-accumulates per image of each row of `network_costs`."""
    return costs[:, [COST_COLUMNS.index(name) for name in _MAC_COLUMNS]].sum(axis=1)


def module_output_elements(costs: np.ndarray, num_classes: int) -> np.ndarray:
    """Elements every leaf module outputs for one image (each conv-BN-ReLU layer writes its output
    three times), of each row of `network_costs` for networks with `num_classes` classes."""
    column = {name: costs[:, i] for i, name in enumerate(COST_COLUMNS)}
    return 3 * column["conv_output_elements"] + column["maxpool_elements"] + column["downsample_elements"] + num_classes
