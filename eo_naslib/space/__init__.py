"""The NAS-Bench-101 cell space: cells, NB101 hashing, encodings, moves and the enumerated space.

Layers, each importing only those above it: `constants` -> `hashing`, `labelling` -> `cell` (a leaf value) ->
`batch`, `encodings`, `neighbourhoods`, `moves` -> `table` -> `enumeration` -> `cache`.
"""

from .cache import all_cells, space_cache_path
from .cell import Cell, prune
from .constants import MAX_EDGES, MAX_VERTICES, NUM_CELLS, OPS
from .encodings import ENCODINGS, decode, encode, encode_many
from .hashing import hash_many, nb101_hash
from .moves import as_generator, mutate, neighbours, random_cell
from .neighbourhoods import NEIGHBOURHOODS, Neighbourhood, check_neighbourhood
from .table import CellTable

__all__ = [
    "ENCODINGS",
    "MAX_EDGES",
    "MAX_VERTICES",
    "NEIGHBOURHOODS",
    "NUM_CELLS",
    "OPS",
    "Cell",
    "CellTable",
    "Neighbourhood",
    "all_cells",
    "as_generator",
    "check_neighbourhood",
    "decode",
    "encode",
    "encode_many",
    "hash_many",
    "mutate",
    "nb101_hash",
    "neighbours",
    "prune",
    "random_cell",
    "space_cache_path",
]
