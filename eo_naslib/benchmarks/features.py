"""Surrogate feature sets: adjacency one-hot, path encoding, NB101 graph statistics and network costs.

`default_features(metric)` names the set a built store's column is completed with: the one-hot
features, plus the network's costs (`space.costs`, log1p-scaled) for device metrics, whose values
follow the work a network does (on a 2-core CPU at batch 1, 200 measured cells: latency CV
Spearman 0.879 one-hot, 0.946 with the costs; docs/device_profiles.md).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np

from ..space import CellTable
from ..space.costs import network_costs
from ..space.constants import MAX_VERTICES, OPS, PAD_LABEL
from ..space.encodings import PATH_SIZE
from .surrogate import cell_features

#: where the paths of each length (0..5 interior ops) start in the path encoding
PATH_OFFSETS = np.cumsum([0] + [len(OPS) ** k for k in range(MAX_VERTICES - 2)])

#: the per-cell statistics of `graph_statistics`, in column order
GRAPH_STATISTICS = (
    "conv3x3",
    "conv1x1",
    "maxpool3x3",
    "vertices",
    "edges",
    "depth",
    "width",
    "paths",
    "input_out_degree",
    "output_in_degree",
)


def graph_statistics(space: CellTable, rows: np.ndarray) -> np.ndarray:
    """(n, 10) float32 statistics of cells (top-left, topologically ordered matrices): op counts,
    vertices, edges, depth (longest input-output path, in edges), width (most vertices at one
    depth), number of input-output paths, input out-degree and output in-degree."""
    matrices = space.matrices[rows].astype(np.int64)
    labels = space.labels[rows].astype(np.int64)
    count, size = len(rows), matrices.shape[1]
    n = (labels != PAD_LABEL).sum(axis=1)
    depth = np.zeros((count, size), dtype=np.int64)
    paths = np.zeros((count, size), dtype=np.int64)
    paths[:, 0] = 1
    for j in range(1, size):
        edges = matrices[:, :j, j].astype(bool)
        depth[:, j] = np.where(edges.any(axis=1), np.where(edges, depth[:, :j] + 1, 0).max(axis=1), 0)
        paths[:, j] = (matrices[:, :j, j] * paths[:, :j]).sum(axis=1)
    last = n - 1
    interior = (np.arange(size) > 0) & (np.arange(size)[None, :] < last[:, None])
    level_counts = np.stack([((depth == d) & interior).sum(axis=1) for d in range(1, size)], axis=1)
    return np.column_stack(
        [
            *((labels == op).sum(axis=1) for op in (0, 1, 2)),
            n,
            matrices.sum(axis=(1, 2)),
            depth[np.arange(count), last],
            level_counts.max(axis=1),
            paths[np.arange(count), last],
            matrices[:, 0, :].sum(axis=1),
            matrices[np.arange(count), :, last].sum(axis=1),
        ]
    ).astype(np.float32)


def path_features(space: CellTable, rows: np.ndarray) -> np.ndarray:
    """(n, 364) NASLib path encoding of the cells (`encode(cell, "path")`, vectorised): one bit per
    op sequence of an input-to-output path. A path is an increasing vertex sequence (the matrices
    are topologically ordered), so the 32 subsets of interior positions 1..5 enumerate them all."""
    matrices = space.matrices[rows].astype(bool)
    labels = space.labels[rows].astype(np.int64)
    count = len(rows)
    cells = np.arange(count)
    output = (labels != PAD_LABEL).sum(axis=1) - 1
    out = np.zeros((count, PATH_SIZE), dtype=np.float32)
    for length in range(MAX_VERTICES - 1):
        for interior in combinations(range(1, MAX_VERTICES - 1), length):
            ok = np.ones(count, dtype=bool)
            for a, b in zip((0, *interior), interior):
                ok &= matrices[:, a, b]
            last = interior[-1] if interior else 0
            ok &= (output > last) & matrices[cells, last, output]
            index = np.zeros(count, dtype=np.int64)
            for vertex in interior:
                index = index * len(OPS) + labels[:, vertex].clip(0)
            out[cells[ok], PATH_OFFSETS[length] + index[ok]] = 1
    return out


def one_hot_features(space: CellTable, rows: np.ndarray) -> np.ndarray:
    """(n, 40) the completion surrogate's features: adjacency one-hot, op counts, edge count."""
    return cell_features(space, rows)


def one_hot_and_graph(space: CellTable, rows: np.ndarray) -> np.ndarray:
    """The completion features with the graph statistics appended."""
    return np.concatenate([one_hot_features(space, rows), graph_statistics(space, rows)], axis=1)


def cost_features(space: CellTable, rows: np.ndarray) -> np.ndarray:
    """(n, 10) log1p of the cells' network costs (`space.costs.network_costs`, NB101's default network:
    10 bands, 17 classes, stem 128, 3 stacks of 3 modules, 32 x 32; other widths and inputs scale
    every cell alike, so the features order cells the same way)."""
    return np.log1p(network_costs(space.matrices[rows], space.labels[rows])).astype(np.float32)


def one_hot_and_costs(space: CellTable, rows: np.ndarray) -> np.ndarray:
    """The completion features with the network costs appended."""
    return np.concatenate([one_hot_features(space, rows), cost_features(space, rows)], axis=1)


#: the completion surrogate's feature set unless its record names another
DEFAULT_FEATURES = "one-hot"
#: the feature set of device metrics (`default_features`)
DEVICE_FEATURES = "one-hot+costs"
#: metrics that measure what a network costs on a device (completed with `DEVICE_FEATURES`)
DEVICE_METRICS = frozenset(
    {
        "latency_ms", "latency_std_ms", "latency_median_ms", "latency_p95_ms", "latency_min_ms", "latency_batch_ms",
        "throughput_images_per_s", "peak_memory_mib", "energy_mj", "params", "size_kb", "macs",
    }
)  # fmt: skip

FEATURE_SETS: dict[str, Callable[[CellTable, np.ndarray], np.ndarray]] = {
    "one-hot": one_hot_features,
    "path": path_features,
    "graph-stats": graph_statistics,
    "one-hot+graph-stats": one_hot_and_graph,
    "costs": cost_features,
    DEVICE_FEATURES: one_hot_and_costs,
}


def default_features(column: str) -> str:
    """The feature set a store column (`metric` or `metric@epoch`) is completed with when no tuned
    record names one: `DEVICE_FEATURES` for device metrics, else `DEFAULT_FEATURES`."""
    return DEVICE_FEATURES if column.split("@")[0] in DEVICE_METRICS else DEFAULT_FEATURES
