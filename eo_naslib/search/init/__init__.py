"""Initialisers: where a search starts. Each is a callable `(evaluator, n, rng) -> rows` that
proposes up to `n` distinct rows of the evaluator's space. Only `clusters` evaluates on the
evaluator itself (its sample counts against the budget unless it comes from a `source`
benchmark); the others evaluate nothing there: the optimizer does, and pays the budget.
`build_initialiser` makes one from the `search:` keys shared by the optimizers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ...errors import ConfigError
from ..evaluator import Evaluator
from ..objectives import Objective
from .clusters import CLUSTERINGS, ClusterInit, ClusterReport, cluster_scores
from .lhs import LatinHypercubeInit, lhs_genotypes, stratification
from .random import RandomInit
from .surrogate_front import SurrogateFront, predicted_front


class Initialiser(Protocol):
    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray: ...


#: initialiser names accepted by `search.init`
INITIALISERS = ("random", "lhs", "clusters", "surrogate_front")

#: the `search:` keys `build_initialiser` reads, with defaults (optimizers merge them into theirs)
INIT_DEFAULTS = {
    "init": "random",
    "source": None,
    "source_objectives": None,
    "n_train": 2000,
    "source_data_dir": None,
    "cluster_sizes": [10000, 5000, 2500, 1000, 500, 100],
    "cluster_encoding": "short",
    "cluster_algorithm": "bgm",
    "n_components": 2,
    "cluster_max_iter": 100,
    "cluster_seed": None,
}


def build_initialiser(
    init: str = "random",
    source: str | None = None,
    source_objectives: Sequence[str | Objective] | None = None,
    n_train: int = 2000,
    source_data_dir: str | None = None,
    cluster_sizes: Sequence[int] = (10000, 5000, 2500, 1000, 500, 100),
    cluster_encoding: str = "short",
    cluster_algorithm: str = "bgm",
    n_components: int = 2,
    cluster_max_iter: int = 100,
    cluster_seed: int | None = None,
) -> Initialiser:
    """The initialiser named `init`. `source`: the benchmark surrogate_front learns from
    (default cifar10) or clusters samples for free (default: none, the evaluator pays);
    `cluster_seed`: a fixed clustering shared by all runs (with a `source`)."""
    if init == "random":
        return RandomInit()
    if init == "lhs":
        return LatinHypercubeInit()
    if init == "clusters":
        return ClusterInit(
            cluster_sizes,
            cluster_encoding,
            cluster_algorithm,
            int(n_components),
            source,
            None,
            source_data_dir,
            int(cluster_max_iter),
            cluster_seed,
        )
    if init == "surrogate_front":
        return SurrogateFront(source or "cifar10", source_objectives, int(n_train), source_data_dir)
    raise ConfigError(f"search.init must be one of {list(INITIALISERS)}, got {init!r}")


__all__ = [
    "CLUSTERINGS",
    "INITIALISERS",
    "INIT_DEFAULTS",
    "ClusterInit",
    "ClusterReport",
    "Initialiser",
    "LatinHypercubeInit",
    "RandomInit",
    "SurrogateFront",
    "build_initialiser",
    "cluster_scores",
    "lhs_genotypes",
    "predicted_front",
    "stratification",
]
