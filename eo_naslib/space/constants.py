"""Constants of the NAS-Bench-101 cell space."""

from __future__ import annotations

import numpy as np

INPUT = "input"
OUTPUT = "output"
CONV3X3 = "conv3x3-bn-relu"
CONV1X1 = "conv1x1-bn-relu"
MAXPOOL3X3 = "maxpool3x3"

#: Interior operations in NB101's canonical order; an op's label is its index here.
OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)
OP_LABEL: dict[str, int] = {op: i for i, op in enumerate(OPS)}

#: Vertex labels used by NB101's graph hash (and by the seeds' integer op lists).
INPUT_LABEL = -1
OUTPUT_LABEL = -2
#: Label of an absent vertex in padded 7-vertex arrays.
PAD_LABEL = -3
#: Vertex name of every NB101 label (the inverse of `INPUT_LABEL`, `OUTPUT_LABEL` and `OP_LABEL`).
LABEL_OPS: dict[int, str] = {INPUT_LABEL: INPUT, OUTPUT_LABEL: OUTPUT, **dict(enumerate(OPS))}

MAX_VERTICES = 7
MAX_EDGES = 9
MAX_INTERIOR = MAX_VERTICES - 2

#: Size of the space: unique cells after pruning and isomorphism (NB101).
NUM_CELLS = 423_624

#: Bit of edge (i, j) of the padded 7 x 7 matrix in a representation key (`Cell.key`).
EDGE_BIT = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int64)
EDGE_BIT[np.triu_indices(MAX_VERTICES, 1)] = 1 << np.arange(MAX_VERTICES * (MAX_VERTICES - 1) // 2, dtype=np.int64)
