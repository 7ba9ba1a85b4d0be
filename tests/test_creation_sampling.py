"""Samplers of benchmark creation: seeded, distinct, valid; walks independent (SEED_PITFALLS)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import binomtest, fisher_exact

from eo_naslib.creation.sampling import (
    cell_from_point,
    hash_sample,
    lhs_sample,
    random_walk_sample,
    random_walks,
    sample,
    uniform_sample,
    walk_neighbours,
)
from eo_naslib.errors import ConfigError, UnknownArchitectureError
from eo_naslib.space import Cell, neighbours


@pytest.fixture(scope="module")
def seed_walks():
    return random_walks(30, 14, seed=42)


def test_seed_walk_design_is_reproducible_and_walks_are_independent(seed_walks):
    walks = seed_walks
    assert len(walks) == 30 and all(len(w) == 15 for w in walks)
    again = random_walks(30, 14, seed=42)
    assert [[c.hash for c in w] for w in walks] == [[c.hash for c in w] for w in again]
    # the seeds' defect: every walk re-seeded identically took the same steps; ours differ
    assert len({w[0].hash for w in walks}) == 30
    assert len({tuple(c.hash for c in w[1:4]) for w in walks}) == 30
    assert [c.hash for c in random_walks(1, 14, seed=43)[0]] != [c.hash for c in walks[0]]


def test_walk_steps_are_the_seeds_hamming_steps_and_reach_450_cells(seed_walks):
    for walk in seed_walks:
        for here, there in zip(walk, walk[1:]):
            assert there.hash in {c.hash for c in walk_neighbours(here)}
    assert len({c.hash for w in seed_walks for c in w}) == 450  # the seed's 30 + 30 x 14 distinct cells
    small = random_walks(3, 4, seed=5)
    hashes = [c.hash for c in random_walk_sample(3, 4, seed=5)]
    assert hashes == list(dict.fromkeys(c.hash for w in small for c in w))


def _recorded_walks(eo_data) -> list[list[Cell]]:
    logs = json.loads((eo_data / "path_logs.json").read_text())
    return [[Cell(np.array(c["module_adjacency"]), c["module_operations"]) for c in walk] for walk in logs]


def _walk_statistics(walks: list[list[Cell]]) -> dict[str, int]:
    steps = [(a, b) for w in walks for a, b in zip(w, w[1:])]
    return {
        "steps": len(steps),
        "hamming": sum(b.hash in {c.hash for c in neighbours(a, "hamming")} for a, b in steps),
        "adds": sum(b.n_edges > a.n_edges for a, b in steps),
        "op_changes": sum(sorted(a.ops) != sorted(b.ops) for a, b in steps),
        "vertex_changes": sum(a.n_vertices != b.n_vertices for a, b in steps),
        "walks": len(walks),
        "starts_of_7": sum(w[0].n_vertices == 7 for w in walks),
    }


ALPHA = 0.01  # significance level of the walk comparison


def test_walks_match_the_seeds_recorded_walks_statistically(seed_walks, eo_data, space):
    """Seed 000's 30 recorded walks against ours (key 42), at significance ALPHA: Fisher's exact
    test on each 2 x 2 table (step adds or removes an edge; step changes an op or not; step changes
    the vertex count or not; walk starts at 7 vertices or fewer), and a binomial test of each
    sample's 7-vertex starts against the uniform law over the space's cells."""
    ours, recorded = _walk_statistics(seed_walks), _walk_statistics(_recorded_walks(eo_data))
    assert recorded["hamming"] == recorded["steps"] == 420 and recorded["op_changes"] == recorded["vertex_changes"] == 0
    assert ours["hamming"] == ours["steps"] == 420
    for count, total in (("adds", "steps"), ("op_changes", "steps"), ("vertex_changes", "steps"), ("starts_of_7", "walks")):
        table = [[s[count], s[total] - s[count]] for s in (ours, recorded)]
        assert fisher_exact(table).pvalue > ALPHA, (count, table)
    uniform_7 = float(np.mean(space.n_vertices == 7))
    for s in (ours, recorded):
        assert binomtest(s["starts_of_7"], s["walks"], uniform_7).pvalue > ALPHA, s


def test_lhs_is_seeded_distinct_valid_and_repairs_points():
    cells = lhs_sample(200, seed=3)
    assert len({c.hash for c in cells}) == 200
    assert [c.hash for c in cells] == [c.hash for c in lhs_sample(200, seed=3)]
    assert [c.hash for c in cells] != [c.hash for c in lhs_sample(200, seed=4)]
    assert all(isinstance(c, Cell) and c.n_edges <= 9 for c in cells)
    # all edges wanted (a full DAG has 21): repaired to at most 9 edges on input-output paths
    full = cell_from_point(np.r_[np.linspace(0.0, 0.4, 21), [0.1, 0.5, 0.9, 0.1, 0.5]])
    assert 1 <= full.n_edges <= 9
    # no edge wanted: the strongest edges are added until input reaches output
    empty = cell_from_point(np.r_[np.linspace(0.6, 0.99, 21), [0.1] * 5])
    assert empty.n_edges >= 1
    with pytest.raises(ConfigError, match="26 coordinates"):
        cell_from_point(np.zeros(3))


def test_uniform_and_explicit_samples(space):
    cells = uniform_sample(50, seed=1, space=space)
    assert len({c.hash for c in cells}) == 50
    hashes = [c.hash for c in cells[:5]]
    assert [c.hash for c in hash_sample(hashes + hashes[:2], space=space)] == hashes
    with pytest.raises(UnknownArchitectureError):
        hash_sample(["0" * 32], space=space)
    with pytest.raises(ConfigError, match="unknown sampler"):
        sample("grid")
    with pytest.raises(ConfigError, match="bad settings"):
        sample("lhs", count=3)


def test_the_benchmark_sampler_gives_its_measured_cells(so2sat, data_dir):
    cells = sample("benchmark", name="so2sat", data_dir=str(data_dir))
    assert len(cells) == 450 and [c.hash for c in cells] == so2sat.measured_hashes().tolist()
    with pytest.raises(ConfigError, match="bad settings"):
        sample("benchmark", n=3)
