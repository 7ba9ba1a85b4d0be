"""Landscape features on the real benchmarks (skipped when ../shared is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from eo_naslib.landscape import NeighbourGraph, from_benchmark, optima, persistence, walks


@pytest.fixture(scope="module")
def so2sat_tabular(data_dir):
    from eo_naslib.benchmarks import load_benchmark

    return load_benchmark("so2sat", data_dir, surrogate=False)


@pytest.mark.parametrize(
    ("metric", "mean", "tau"), [("val_accuracy_macro", 0.4113, 7.11), ("val_accuracy", 0.5868, 15.5)]
)
def test_so2sat_recorded_walks_ruggedness(so2sat_tabular, space, metric, mean, tau):
    land = from_benchmark(so2sat_tabular, metric, space=space)
    assert int(land.known.sum()) == 450
    assert np.nanmean(land.fitness) == pytest.approx(mean, abs=1e-4)
    rows = walks.recorded_walks(space, so2sat_tabular.walks())
    assert len(rows) == 30 and all(len(r) == 15 for r in rows)
    rug = walks.ruggedness(walks.walk_fitness(land, rows))
    assert rug["walks_used"] == 30
    assert rug["tau"] == pytest.approx(tau, rel=0.01)
    assert rug["tau"] == pytest.approx(1 / np.mean(rug["rho1"]))


def test_recorded_walk_steps_are_one_edit_of_some_vertex_order(so2sat_tabular, space):
    """Every step of the seeds' 30 walks is one edit move of some vertex order of its cell: all 420
    are in the space's one-way table (7 of them were missing while moves depended on the stored
    vertex order) and so in the symmetric relation search and landscapes use."""
    table = space.neighbour_table("edit")
    graph = NeighbourGraph.from_space(space, "edit", symmetric=True)
    steps = [
        (x, y) for w in walks.recorded_walks(space, so2sat_tabular.walks()) for x, y in zip(w[:-1], w[1:])
    ]
    assert len(steps) == 420
    assert all(y in graph.indices[graph.indptr[x] : graph.indptr[x + 1]] for x, y in steps)
    assert all(y in table[x] for x, y in steps)


def test_cifar10_persistence_over_four_budgets(cifar10):
    values = [cifar10.values("val_accuracy", e) for e in (4, 12, 36, 108)]
    masks = [cifar10.measured_mask("val_accuracy", e) for e in (4, 12, 36, 108)]
    measured = np.all(masks, axis=0)
    record = persistence.persistence([v[measured] for v in values], [4, 12, 36, 108])
    assert record["cells"] == 30_001
    assert 0 < record["negative"]["pi_25"] < record["positive"]["pi_25"] < 1


def test_exact_local_optima_on_completed_cifar10(cifar10, space):
    land = from_benchmark(cifar10, "val_accuracy", 36, space=space)
    assert land.complete
    exact = optima.exact_local_optima(land)
    assert 0 < exact["count"] < len(space) // 10
    reached = optima.bils(land, np.random.default_rng(0).choice(len(space), 100, replace=False))["optima"]
    assert np.isin(reached, exact["rows"]).all()
