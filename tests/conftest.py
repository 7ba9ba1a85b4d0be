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
