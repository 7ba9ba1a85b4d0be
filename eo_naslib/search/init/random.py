"""Random initialisation: distinct cells drawn uniformly over the unique cells of the space."""

from __future__ import annotations

import numpy as np

from ..evaluator import Evaluator


def random_rows(n_rows: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """`min(n, n_rows)` distinct rows of a space of `n_rows` cells, uniformly at random."""
    return rng.choice(n_rows, size=min(n, n_rows), replace=False)


class RandomInit:
    """`n` distinct uniformly random cells (uniform over unique cells, unlike NASLib's matrix sampler)."""

    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray:
        return random_rows(len(evaluator.space), n, rng)
