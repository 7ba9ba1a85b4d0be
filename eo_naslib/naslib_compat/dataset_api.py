"""`get_dataset_api(search_space, dataset)`: NASLib's entry point, backed by a registry plugins extend."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Optional

from ..benchmarks.datasets import DATASETS, is_dataset, open_dataset
from ..errors import ConfigError
from . import nb101_api
from .answers import AnswerTally

SEARCH_SPACE_ALIASES = {"nasbench101": "nasbench101", "eo_nasbench101": "nasbench101"}

DatasetApiFactory = Callable[[str, Optional[str], bool], dict[str, Any]]  # Optional: evaluated at runtime
_REGISTRY: dict[tuple[str, str], DatasetApiFactory] = {}


def register_dataset_api(search_space: str, dataset: str, factory: DatasetApiFactory) -> None:
    """Register `factory(dataset, data_dir, measured_only) -> dataset_api` for a (search space, dataset) pair."""
    _REGISTRY[(search_space, dataset)] = factory


def canonical_search_space(name: str) -> str:
    try:
        return SEARCH_SPACE_ALIASES[name]
    except KeyError:
        raise ConfigError(f"search_space {name!r} is unknown; allowed: {sorted(SEARCH_SPACE_ALIASES)}") from None


def _nb101_api(dataset: str, data_dir: str | None, measured_only: bool = False) -> dict[str, Any]:
    """Our keys (`benchmark`, `space`, `dataset`, `macro`, `measured_only`, `answers`) and NASLib's
    stock NB101 keys (`api`: the nb101_api module, `nb101_data`: a NASBench over the benchmark).
    `measured_only`: the benchmark is tabular-only and `nb101_data` holds only the measured cells."""
    spec = DATASETS[dataset]
    benchmark, space = open_dataset(dataset, data_dir, surrogate=not measured_only)
    answers = AnswerTally(benchmark, dataset)
    return {
        "benchmark": benchmark,
        "space": space,
        "dataset": dataset,
        "macro": spec.macro,
        "measured_only": measured_only,
        "answers": answers,
        "api": nb101_api,
        "nb101_data": nb101_api.NASBench(benchmark, space, macro=spec.macro, measured_only=measured_only, answers=answers),
    }


for _dataset in DATASETS:
    register_dataset_api("nasbench101", _dataset, _nb101_api)


def get_dataset_api(
    search_space: str | None = None,
    dataset: str | None = None,
    data_dir: str | os.PathLike | None = None,
    measured_only: bool = False,
) -> dict[str, Any]:
    """The dataset API for a search space and dataset (a shipped one, or a store built with
    `eo-naslib build` in `data_dir` under its own name): `{"benchmark", "space", "dataset", "macro",
    "measured_only", "answers"}` plus NASLib's NB101 keys `api` and `nb101_data` (see `nb101_api`).
    `measured_only`: only measured cells exist (sampling, mutation, neighbours, the arch iterator)
    and only measured values are answered; `answers` counts the answers that were predictions."""
    space = canonical_search_space(search_space or "nasbench101")
    dataset = dataset or "cifar10"
    if (space, dataset) not in _REGISTRY and space == "nasbench101" and is_dataset(dataset, data_dir):
        register_dataset_api(space, dataset, _nb101_api)  # a store built with `eo-naslib build`
    factory = _REGISTRY.get((space, dataset))
    if factory is None:
        known = sorted(d for s, d in _REGISTRY if s == space)
        raise ConfigError(f"dataset {dataset!r} is not available for search_space {space!r}; allowed: {known}")
    return factory(dataset, None if data_dir is None else str(data_dir), bool(measured_only))
