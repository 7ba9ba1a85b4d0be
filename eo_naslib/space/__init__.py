"""The NAS-Bench-101 cell space: cells, NB101 hashing, encodings, moves and the enumerated space."""

from .cell import Cell, prune
from .constants import MAX_EDGES, MAX_VERTICES, NUM_CELLS, OPS
from .encodings import ENCODINGS, decode, encode
from .enumeration import CellTable, all_cells
from .hashing import hash_many, nb101_hash
from .moves import NEIGHBOURHOODS, as_generator, mutate, neighbours, random_cell

__all__ = [
    "ENCODINGS",
    "MAX_EDGES",
    "MAX_VERTICES",
    "NEIGHBOURHOODS",
    "NUM_CELLS",
    "OPS",
    "Cell",
    "CellTable",
    "all_cells",
    "as_generator",
    "decode",
    "encode",
    "hash_many",
    "mutate",
    "nb101_hash",
    "neighbours",
    "prune",
    "random_cell",
]
