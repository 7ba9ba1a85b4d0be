"""Fitness Landscape Footprint: distribution, FDC, ruggedness, local optima, persistence, neutrality."""

from .core import Landscape, from_benchmark
from .footprint import FootprintSettings, footprint, load, save
from .graph import NeighbourGraph

__all__ = ["FootprintSettings", "Landscape", "NeighbourGraph", "footprint", "from_benchmark", "load", "save"]
