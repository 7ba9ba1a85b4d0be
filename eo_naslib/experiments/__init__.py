"""Multi-seed search experiments: configurations x seeds, scores, Mann-Whitney tests, plots."""

from .config import Configuration, Experiment, load_experiment, parse_experiment
from .runner import run_experiment, summarise

__all__ = ["Configuration", "Experiment", "load_experiment", "parse_experiment", "run_experiment", "summarise"]
