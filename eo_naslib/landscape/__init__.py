"""Fitness Landscape Footprint: distribution, FDC, ruggedness, local optima, persistence, neutrality."""

from .core import Landscape, from_benchmark
from .footprint import Footprint, FootprintSettings, footprint, load, save
from .graph import NeighbourGraph

__all__ = ["Footprint",
    "FootprintSettings", "Landscape", "NeighbourGraph", "footprint", "from_benchmark", "load", "save"]
