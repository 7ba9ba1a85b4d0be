"""Exactness of the landscape core against brute force on small hand-built landscapes."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eo_naslib.errors import ConfigError
from eo_naslib.landscape import Landscape, NeighbourGraph, fdc, neutrality, optima, persistence, walks


def random_table(n: int, k: int, seed: int) -> np.ndarray:
    """An (n, k) -1 padded table of distinct neighbours (not symmetric), like the space's tables."""
    rng = np.random.default_rng(seed)
    table = np.full((n, k), -1, dtype=np.int32)
    for r in range(n):
        m = rng.integers(0, k + 1)
        choices = rng.choice(np.delete(np.arange(n), r), m, replace=False)
        table[r, :m] = np.sort(choices)
    return table


def brute_neighbours(table: np.ndarray, symmetric: bool) -> list[set[int]]:
    nbrs = [{int(x) for x in row if x >= 0} for row in table]
    if symmetric:
        for r, row in enumerate(list(nbrs)):
            for x in row:
                nbrs[x].add(r)
    return nbrs


def landscape_of(fitness, table, symmetric=True, maximise=True) -> Landscape:
    return Landscape(np.asarray(fitness, dtype=float), NeighbourGraph.from_table(table, symmetric), maximise)


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_graph_matches_brute_force(seed, symmetric):
    table = random_table(60, 5, seed)
    graph = NeighbourGraph.from_table(table, symmetric)
    expected = brute_neighbours(table, symmetric)
    for r in range(60):
        assert list(graph.indices[graph.indptr[r] : graph.indptr[r + 1]]) == sorted(expected[r])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000), symmetric=st.booleans(), maximise=st.booleans(), unknown=st.floats(0, 0.5)
)
def test_local_optima_match_brute_force(seed, symmetric, maximise, unknown):
    rng = np.random.default_rng(seed)
    n = 80
    table = random_table(n, 4, seed)
    fitness = rng.integers(0, 6, n).astype(float)  # many ties on purpose
    fitness[rng.random(n) < unknown] = np.nan
    land = landscape_of(fitness, table, symmetric, maximise)
    nbrs = brute_neighbours(table, symmetric)
    sign = 1 if maximise else -1
    expected = [
        not np.isnan(fitness[r])
        and not any(not np.isnan(fitness[y]) and sign * fitness[y] > sign * fitness[r] for y in nbrs[r])
        for r in range(n)
    ]
    assert optima.local_optima_mask(land).tolist() == expected
    if not np.isnan(fitness).any():
        assert optima.exact_local_optima(land)["count"] == sum(expected)


def test_exact_count_needs_complete_landscape():
    land = landscape_of([1.0, np.nan, 2.0], np.array([[1], [2], [0]]))
    with pytest.raises(ConfigError, match="surrogate=True"):
        optima.exact_local_optima(land)


def line_landscape() -> Landscape:
    """Three paths 0-1-...-6, 7-8-9 and 10-11-12 (symmetric): the plateau {0, 1} (5) and {3, 4, 5} (6)
    are optimal, 9 is a strict optimum, {7, 8} (2) is not (8 has the fitter neighbour 9) and 10-11-12
    is one equal plateau (all cells optima)."""
    fitness = [5, 5, 4, 6, 6, 6, 1, 2, 2, 3, 7, 7, 7]
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (7, 8), (8, 9), (10, 11), (11, 12)]
    table = np.full((13, 1), -1)
    for a, b in pairs:
        table[a, 0] = b
    return landscape_of(fitness, table)


def test_plateau_count_on_hand_built_line():
    land = line_landscape()
    assert np.flatnonzero(optima.local_optima_mask(land)).tolist() == [0, 1, 3, 4, 5, 7, 9, 10, 11, 12]
    exact = optima.exact_local_optima(land)
    assert exact["count"] == 10
    assert exact["plateaus"] == {
        "count": 4, "cells": 9, "optima_with_equal_neighbour": 9, "optima_off_plateaus": 1
    }


def brute_neutral_reach(fitness, nbrs, start):
    """Cells reachable from `start` by moves between equally fit known neighbours (start included)."""
    seen, queue = {start}, deque([start])
    while queue:
        x = queue.popleft()
        for y in nbrs[x]:
            if y not in seen and fitness[y] == fitness[x]:
                seen.add(y)
                queue.append(y)
    return frozenset(seen)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000), symmetric=st.booleans(), maximise=st.booleans(), unknown=st.floats(0, 0.3)
)
def test_optimal_plateaus_match_brute_force(seed, symmetric, maximise, unknown):
    rng = np.random.default_rng(seed)
    n = 60
    table = random_table(n, 3, seed)
    fitness = rng.integers(0, 4, n).astype(float)  # many ties on purpose
    fitness[rng.random(n) < unknown] = np.nan
    land = landscape_of(fitness, table, symmetric, maximise)
    nbrs = [{y for y in row if not np.isnan(fitness[y])} for row in brute_neighbours(table, symmetric)]
    known = [r for r in range(n) if not np.isnan(fitness[r])]
    sign = 1 if maximise else -1
    improvable = {r for r in known if any(sign * fitness[y] > sign * fitness[r] for y in nbrs[r])}
    reach = {r: brute_neutral_reach(fitness, nbrs, r) for r in known}
    # optimal plateau: a neutral reach set that every member reaches exactly, with no improvable member
    plateaus = {
        reach[r] for r in known if all(reach[y] == reach[r] for y in reach[r]) and not reach[r] & improvable
    }
    cells = set().union(*plateaus)
    optimum_cells = set(known) - improvable
    result = optima.optimal_plateaus(land)
    assert result == {
        "count": len(plateaus),
        "cells": len(cells),
        "optima_with_equal_neighbour": sum(
            any(fitness[y] == fitness[r] for y in nbrs[r]) for r in optimum_cells
        ),
        "optima_off_plateaus": len(optimum_cells - cells),
    }


def brute_bils(fitness, nbrs, start):
    x, steps = start, 0
    while True:
        options = sorted(nbrs[x])
        best = max(options, key=lambda y: (fitness[y], -y), default=None)
        if best is None or fitness[best] <= fitness[x]:
            return x, steps
        x, steps = best, steps + 1


@pytest.mark.parametrize("seed", range(4))
def test_bils_matches_brute_force_steepest_ascent(seed):
    rng = np.random.default_rng(seed)
    table = random_table(150, 4, seed)
    fitness = rng.integers(0, 30, 150).astype(float)
    land = landscape_of(fitness, table)
    nbrs = brute_neighbours(table, True)
    result = optima.bils(land, np.arange(150))
    mask = optima.local_optima_mask(land)
    for s in range(150):
        assert (result["optima"][s], result["steps"][s]) == brute_bils(fitness, nbrs, s)
        assert mask[result["optima"][s]]
    assert np.allclose(result["improvement"], fitness[result["optima"]] - fitness)


@pytest.mark.parametrize("seed", range(3))
def test_basins_match_bils_from_every_cell(seed):
    rng = np.random.default_rng(seed)
    table = random_table(200, 4, seed)
    land = landscape_of(rng.integers(0, 40, 200).astype(float), table)
    exact = optima.exact_local_optima(land)
    reached = optima.bils(land, np.arange(200))["optima"]
    assert np.array_equal(optima.basins(optima.steepest_successor(land)), reached)
    assert np.isin(reached, exact["rows"]).all()
    share = np.unique(reached, return_counts=True)[1] / 200
    assert exact["basins"]["effective_number"] == pytest.approx(1 / np.sum(share**2))


def test_first_duplicate_and_birthday_formula():
    assert optima.first_duplicate(np.array([5, 3, 9, 3, 5])) == 4
    assert optima.first_duplicate(np.array([1, 2, 3])) is None
    # the classic birthday problem: P(shared birthday) = 0.5 at k = sqrt(2 ln 2 * 365)
    assert optima.birthday_estimate(np.sqrt(2 * np.log(2) * 365)) == pytest.approx(365)
    assert optima.birthday_estimate(94) == pytest.approx(94**2 / (2 * np.log(2)))  # 6374, the seeds' 6373


def sawtooth_ring(n_optima: int, width: int) -> Landscape:
    """A ring of n_optima * width cells; fitness rises along each segment, so every basin is equal."""
    n = n_optima * width
    rows = np.arange(n)
    table = np.stack([(rows - 1) % n, (rows + 1) % n], axis=1).astype(np.int32)
    return landscape_of((rows % width).astype(float), table)


def test_birthday_estimator_recovers_known_number_of_optima():
    """Tolerance: with T=300 trials the mean-k inversion is within 15% of the truth, and the
    seeds' k^2/(2 ln 2) within its known +13% bias +- 15%. Basins are wide (50 cells) so that
    drawing distinct starts barely changes the odds of a repeat (with w-cell basins the
    effective count is N w / (w - 1))."""
    true = 400
    land = sawtooth_ring(true, 50)
    exact = optima.exact_local_optima(land)
    assert exact["count"] == true and exact["basins"]["effective_number"] == pytest.approx(true)
    result = optima.birthday_local_optima(land, trials=300, runs=200, seed=7)
    assert result["failed_trials"] == 0
    assert result["estimate_mean_k"] == pytest.approx(true, rel=0.15)
    assert result["estimate"] == pytest.approx(true * (np.pi / 2) / (2 * np.log(2)), rel=0.15)


def test_birthday_trials_use_independent_streams():
    land = sawtooth_ring(400, 5)
    a = optima.birthday_local_optima(land, trials=6, runs=100, seed=3)
    b = optima.birthday_local_optima(land, trials=6, runs=100, seed=3)
    assert a == b
    ks = [t["first_repeat_k"] for t in a["per_trial"]]
    assert len(set(ks)) > 1


def brute_autocorrelation(f, k=1):
    n = len(f)
    m = sum(f) / n
    var = sum((x - m) ** 2 for x in f) / n
    return sum((f[i] - m) * (f[i + k] - m) for i in range(n - k)) / (n - k) / var


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=3, max_size=40), st.integers(1, 2))
def test_autocorrelation_matches_eq4(series, lag):
    f = np.array(series)
    if len(f) < lag + 2 or np.isclose(np.var(f), 0, atol=1e-9):
        return
    assert walks.autocorrelation(f, lag) == pytest.approx(
        brute_autocorrelation(list(f), lag), rel=1e-6, abs=1e-9
    )


def test_ruggedness_is_inverse_of_mean_rho():
    a, b = np.array([1.0, 2, 3, 2, 1, 2, 3, 4]), np.array([1.0, 3, 1, 3, 1, 2, 2, 5])
    rug = walks.ruggedness([a, b])
    mean = (brute_autocorrelation(list(a)) + brute_autocorrelation(list(b))) / 2
    assert rug["mean_rho1"] == pytest.approx(mean)
    assert rug["tau"] == pytest.approx(1 / mean)
    assert rug["tau_per_walk"][0] == pytest.approx(1 / brute_autocorrelation(list(a)))


def test_random_walks_step_to_neighbours_with_independent_streams():
    table = random_table(100, 6, 5)
    table[table < 0] = (np.arange(100)[:, None].repeat(6, 1)[table < 0] + 1) % 100  # every row has neighbours
    land = landscape_of(np.arange(100.0), table)
    nbrs = brute_neighbours(table, True)
    paths = walks.random_walks(land, 10, 50, seed=11)
    assert all(len(p) == 51 for p in paths)
    for p in paths:
        assert all(int(b) in nbrs[int(a)] for a, b in zip(p[:-1], p[1:]))
    assert len({tuple(p) for p in paths}) == 10  # not one sequence repeated
    again = walks.random_walks(land, 4, 50, seed=11)
    assert all(np.array_equal(x, y) for x, y in zip(again, paths[:4]))  # stream i is walk i's alone


def test_walks_stay_on_known_cells():
    table = random_table(200, 8, 1)
    fitness = np.arange(200.0)
    fitness[::3] = np.nan
    land = landscape_of(fitness, table)
    for p in walks.random_walks(land, 20, 30, seed=0):
        assert np.isfinite(fitness[p]).all()


def bfs_to_target(nbrs, target):
    reverse = [set() for _ in nbrs]
    for x, ys in enumerate(nbrs):
        for y in ys:
            reverse[y].add(x)
    dist = {target: 0}
    queue = deque([target])
    while queue:
        y = queue.popleft()
        for x in reverse[y]:
            if x not in dist:
                dist[x] = dist[y] + 1
                queue.append(x)
    return [dist.get(x, -1) for x in range(len(nbrs))]


@pytest.mark.parametrize("symmetric", [True, False])
def test_fdc_matches_brute_force(symmetric):
    rng = np.random.default_rng(3)
    n = 120
    table = random_table(n, 3, 8)
    fitness = rng.random(n)
    land = landscape_of(fitness, table, symmetric)
    bits = rng.integers(0, 2, (n, 37)).astype(np.uint8)
    best = fdc.global_optimum(land)
    assert best == int(np.argmax(fitness))
    ham = fdc.hamming_distances(bits, best)
    assert ham.tolist() == [sum(int(a != b) for a, b in zip(bits[r], bits[best])) for r in range(n)]
    graph_d = fdc.graph_distances(land.graph, best)
    assert graph_d.tolist() == bfs_to_target(brute_neighbours(table, symmetric), best)
    record = fdc.fdc(land, ham)
    d, f = ham.astype(float), fitness
    slope = ((d - d.mean()) * (f - f.mean())).sum() / ((d - d.mean()) ** 2).sum()
    assert record["slope"] == pytest.approx(slope)
    assert record["gain_per_unit"] == pytest.approx(-slope)
    assert record["correlation"] == pytest.approx(np.corrcoef(d, f)[0, 1])
    assert sum(record["by_distance"]["count"]) == n


def test_nearest_neighbour_proxy_matches_brute_force():
    rng = np.random.default_rng(4)
    bits = rng.integers(0, 2, (40, 30))
    f = rng.random(40)
    result = optima.nearest_neighbour_proxy(f, bits, 5)
    count = 0
    for i in range(40):
        d = [(int((bits[i] != bits[j]).sum()), j) for j in range(40) if j != i]
        nearest = [j for _, j in sorted(d)[:5]]
        count += all(f[i] >= f[j] for j in nearest)
    assert result["count"] == count
    assert optima.ratio_estimate(7, 4, 6373)["estimate"] == pytest.approx(7 / 4 * 6373)


def test_persistence_hand_computed():
    # 8 cells, fidelities t0 < t1 < t2. Top 25% = 2 cells.
    t0 = np.array([8, 7, 6, 5, 4, 3, 2, 1.0])
    t1 = np.array([7, 8, 1, 6, 5, 4, 3, 2.0])  # top-2 set {0, 1} unchanged, order swapped
    t2 = np.array([8, 1, 7, 6, 5, 4, 3, 2.0])  # cell 1 drops out of the top-2
    table = np.stack([t0, t1, t2], axis=1)
    pos = persistence.persistence_curve(table, [25, 50], top=True)
    assert pos[0].tolist() == [1.0, 0.75]  # through t1: {0,1} kept; top-4 {0,1,2,3} -> {0,1,3,4}: 3 of 4
    assert pos[1].tolist() == [0.5, 0.5]  # through t2: only cell 0 stays top-2; top-4 at t2 {0,2,3,4}
    neg = persistence.persistence_curve(table, [25], top=False)
    assert neg[:, 0].tolist() == [0.5, 0.5]  # bottom-2 {6,7} -> {2,7} -> {1,7}
    # element-wise rank comparison (the seeds' bug) would give 0 for t1, the set overlap gives 1
    assert persistence.persistence_curve(np.stack([t0, t1], 1), [25])[0, 0] == 1.0


def test_persistence_record_and_auc():
    rng = np.random.default_rng(0)
    base = rng.random(1000)
    record = persistence.persistence([base, base + 0.0, base * 2], [4, 12, 36])
    assert record["positive"]["pi_25"] == 1.0 and record["negative"]["pi_25"] == 1.0
    assert record["positive"]["auc_25"] == pytest.approx(24.0)
    assert record["positive"]["auc_25_normalised"] == pytest.approx(1.0)
    flipped = persistence.persistence([base, -base], [4, 108])
    assert flipped["positive"]["pi_25"] == 0.0


def test_neutrality_matches_brute_force():
    rng = np.random.default_rng(9)
    table = random_table(70, 5, 2)
    fitness = np.round(rng.random(70), 1)
    fitness[:5] = np.nan
    land = landscape_of(fitness, table)
    degree, mean, count = neutrality.neighbour_stats(land, epsilon=0.05)
    nbrs = brute_neighbours(table, True)
    for r in range(70):
        known = [y for y in nbrs[r] if np.isfinite(fitness[y])]
        assert count[r] == len(known)
        if np.isfinite(fitness[r]):
            assert degree[r] == sum(abs(fitness[y] - fitness[r]) < 0.05 for y in known)
        if known:
            assert mean[r] == pytest.approx(np.mean(fitness[known]))
