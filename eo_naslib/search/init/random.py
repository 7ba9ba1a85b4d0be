"""Random initialisation: distinct cells drawn uniformly over the unique cells of the space (of
the search domain, when the evaluator has one)."""

from __future__ import annotations

import numpy as np

from ..evaluator import Evaluator


class RandomInit:
    """`n` distinct uniformly random cells (uniform over unique cells, unlike NASLib's matrix sampler)."""

    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray:
        return evaluator.random_rows(n, rng)
