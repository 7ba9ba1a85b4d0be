"""NB101's labelling of a cell: the vertex order NAS-Bench-101's own generator keeps.

NB101's network of a cell depends on its vertex order (which vertex feeding the output gets the
extra channel), so one hash has several networks; the published one is built from the labelling
NB101's `generate_graphs` met first. That generator walks vertex counts 2..7, for each the
adjacency bit patterns in increasing order, and for each pattern the op labellings in
`itertools.product` order, keeping the first (matrix, labels) it meets per hash. Its bit of edge
x -> y (x < y) is y (y - 1) / 2 + x, column by column of the upper triangle (not row-major), and
its labelling index reads the interior ops as base-3 digits, the first interior vertex most
significant. So, among the vertex orders of one cell (all with the same vertex count), NB101 keeps
the one of least `nb101_codes` = edge bits * 256 + labelling index.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np

from .constants import MAX_VERTICES

#: Bit of edge (x, y), x < y, in NB101's generator (`y * (y - 1) // 2 + x`); independent of n.
NB101_EDGE_BIT = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int64)
_X, _Y = np.triu_indices(MAX_VERTICES, 1)
NB101_EDGE_BIT[_X, _Y] = np.left_shift(1, _Y * (_Y - 1) // 2 + _X)
#: 3 ** 5 labellings of 5 interior vertices fit below this factor
_LABELLING_SPAN = 256


def nb101_codes(matrices: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """NB101 generator position (edge bits * 256 + labelling index) of many representations.

    matrices: (K, m, m) 0/1 upper-triangular with each cell top-left (m <= 7, e.g. padded 7 x 7);
    labels: (K, m) ints, interior ops 0..2 and negative labels elsewhere (input, output, padding).
    Codes compare as NB101's enumeration order among representations of the same vertex count.
    """
    m = matrices.shape[-1]
    bits = np.zeros(len(matrices), dtype=np.int64)
    for x, y in zip(*np.triu_indices(m, 1)):
        bits |= matrices[:, x, y].astype(np.int64) * NB101_EDGE_BIT[x, y]
    labelling = np.zeros(len(labels), dtype=np.int64)
    for v in range(m):
        interior = labels[:, v] >= 0
        labelling = np.where(interior, labelling * 3 + labels[:, v], labelling)
    return bits * _LABELLING_SPAN + labelling


@cache
def _interior_orders(n: int) -> np.ndarray:
    """(P, n) every vertex order of an n-vertex cell with the input first and the output last."""
    permutations = list(itertools.permutations(range(1, n - 1)))
    middle = np.array(permutations, dtype=np.int64).reshape(len(permutations), n - 2)
    ends = np.ones((len(middle), 1), dtype=np.int64)
    return np.concatenate([0 * ends, middle, (n - 1) * ends], axis=1)


def nb101_order(matrix: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The vertex order of NB101's labelling of a pruned cell: `order[k]` is the vertex that NB101's
    labelling puts at position k (so its matrix is `matrix[np.ix_(order, order)]`)."""
    orders = _interior_orders(len(labels))
    permuted = matrix[orders[:, :, None], orders[:, None, :]]
    topological = ~np.tril(np.ones(matrix.shape, dtype=bool)) | (permuted == 0)
    valid = topological.reshape(len(orders), -1).all(axis=1)
    codes = nb101_codes(permuted[valid], np.asarray(labels, dtype=np.int64)[orders[valid]])
    return orders[valid][int(np.argmin(codes))]
