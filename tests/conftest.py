"""Shared fixtures: the real data in ../shared (skipped with a reason when absent) and the space."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EO_NASLIB_SHARED", REPO.parent / "shared")) / "data"
EO_DATA = SHARED_DATA / "eo_hwnas_so2sat"
NB101_SUBSET = SHARED_DATA / "nb101_cifar10_subset"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path} (the ../shared folder is absent in this checkout)")
    return path


@pytest.fixture(scope="session")
def eo_data() -> Path:
    return require(EO_DATA)


@pytest.fixture(scope="session")
def nb101_subset() -> Path:
    return require(NB101_SUBSET)


@pytest.fixture(scope="session")
def space():
    """The whole enumerated space, from $EO_NASLIB_CACHE (CI sets it) or the user cache."""
    from eo_naslib.space import all_cells

    return all_cells()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, eo_data, nb101_subset) -> Path:
    """A data dir with both real benchmarks imported (surrogates fitted), once per session."""
    from eo_naslib.benchmarks.install import install

    directory = tmp_path_factory.mktemp("eo_naslib_data")
    install(eo_data, directory)
    install(nb101_subset, directory)
    return directory


@pytest.fixture(scope="session")
def so2sat(data_dir):
    from eo_naslib.benchmarks import load_benchmark

    return load_benchmark("so2sat", data_dir)


@pytest.fixture(scope="session")
def cifar10(data_dir):
    from eo_naslib.benchmarks import load_benchmark

    return load_benchmark("cifar10", data_dir)
