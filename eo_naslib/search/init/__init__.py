"""Initialisers: where a search starts. Each is a callable `(evaluator, n, rng) -> rows` that
proposes `n` distinct rows of the evaluator's space (it may query other benchmarks to choose them,
but evaluates nothing on the evaluator itself: the optimizer does, and pays the budget)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..evaluator import Evaluator
from .random import RandomInit, random_rows
from .surrogate_front import SurrogateFront, predicted_front


class Initialiser(Protocol):
    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray: ...


#: initialiser names accepted by `search.init`
INITIALISERS = ("random", "surrogate_front")

__all__ = ["INITIALISERS", "Initialiser", "RandomInit", "SurrogateFront", "predicted_front", "random_rows"]
