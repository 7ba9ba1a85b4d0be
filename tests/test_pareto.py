"""Pareto utilities: strict dominance, fronts, sorting, hypervolume (checked against pymoo), IGD(+),
mean Pareto distance; moocore's and pymoo's implementations (the fallback below Python 3.10) agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pymoo.indicators.hv import HV

from eo_naslib.search import pareto
from eo_naslib.search.objectives import Objective, minimisation_form
from eo_naslib.search.pareto import (
    REFERENCE_POINT,
    Bounds,
    best_values,
    dominates,
    hypervolume,
    igd,
    igd_plus,
    mean_pareto_distance,
    non_dominated,
    non_dominated_sort,
    normalised_hypervolume,
)

try:
    import moocore
except ImportError:  # moocore needs Python >= 3.10
    moocore = None


def brute_force_non_dominated(F: np.ndarray) -> np.ndarray:
    return np.array([not any(dominates(b, a) for b in F) for a in F], dtype=bool)


points = st.integers(2, 4).flatmap(
    lambda m: arrays(np.float64, st.tuples(st.integers(1, 40), st.just(m)), elements=st.integers(0, 5).map(float))
)


def indicators(F: np.ndarray, reference: np.ndarray) -> tuple[list[bool], list[int], float, float, float]:
    ref = np.full(F.shape[1], 4.5)  # some points lie outside the box
    return (
        non_dominated(F).tolist(),
        non_dominated_sort(F).tolist(),
        hypervolume(F, ref),
        igd(F, reference),
        igd_plus(F, reference),
    )


def test_strict_dominance_keeps_equal_vectors():
    F = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0], [1.0, 2.0]])
    assert non_dominated(F).tolist() == [True, True, False, False]
    assert not dominates(F[0], F[1])
    assert dominates(F[0], F[3]) and not dominates(F[3], F[0])


@settings(max_examples=200, deadline=None)
@given(points)
def test_non_dominated_matches_brute_force(F):
    assert non_dominated(F).tolist() == brute_force_non_dominated(F).tolist()


@settings(max_examples=100, deadline=None)
@given(points)
def test_non_dominated_sort_peels_fronts(F):
    ranks = non_dominated_sort(F)
    remaining = np.arange(len(F))
    for rank in range(ranks.max() + 1):
        front = remaining[brute_force_non_dominated(F[remaining])]
        assert sorted(np.flatnonzero(ranks == rank)) == sorted(front)
        remaining = np.setdiff1d(remaining, front)
    assert len(remaining) == 0


@pytest.mark.skipif(moocore is None, reason="moocore is not installed (it needs Python >= 3.10); pymoo's path runs alone")
@settings(max_examples=100, deadline=None)
@given(points, st.data())
def test_moocore_and_pymoo_give_the_same_fronts_and_indicators(F, data):
    reference = data.draw(
        arrays(np.float64, st.tuples(st.integers(1, 10), st.just(F.shape[1])), elements=st.floats(0, 5))
    )
    with_moocore = indicators(F, reference)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pareto, "moocore", None)
        with_pymoo = indicators(F, reference)
    assert with_moocore[:2] == with_pymoo[:2]
    assert with_moocore[2:] == pytest.approx(with_pymoo[2:], rel=1e-12, abs=1e-12)


@pytest.mark.skipif(moocore is None, reason="moocore is not installed (it needs Python >= 3.10); pymoo's path runs alone")
@pytest.mark.parametrize("m", [2, 3])
def test_moocore_and_pymoo_agree_on_large_inputs(m):
    """Tens of thousands of rows (more than the fallback's pre-filter pivots), with ties and without."""
    rng = np.random.default_rng(m)
    for F in (rng.random((30_000, m)), np.round(rng.random((30_000, m)), 2)):
        F[:, 1] += 0.5 * F[:, 0]  # correlated objectives, as accuracy and cost are
        reference = F[np.argsort(F.sum(axis=1))[:50]]
        with_moocore = (non_dominated(F), normalised_hypervolume(F, Bounds.of(F)), igd_plus(F, reference))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pareto, "moocore", None)
            with_pymoo = (non_dominated(F), normalised_hypervolume(F, Bounds.of(F)), igd_plus(F, reference))
        assert with_moocore[0].tolist() == with_pymoo[0].tolist()
        assert with_moocore[1:] == pytest.approx(with_pymoo[1:], rel=1e-12)


def test_hypervolume_hand_computed_and_pymoo():
    F = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    assert hypervolume(F, [4.0, 4.0]) == pytest.approx(3 + 2 + 1)
    assert hypervolume(F, [4.0, 4.0]) == pytest.approx(HV(ref_point=np.array([4.0, 4.0]))(F))
    assert hypervolume(np.array([[5.0, 0.0], [4.0, 1.0]]), [4.0, 4.0]) == 0.0  # outside the box adds nothing
    assert hypervolume(np.array([[0.0, 0.0, 0.0]]), [1.0, 2.0, 3.0]) == pytest.approx(6.0)


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 30), st.just(2)), elements=st.floats(0, 1)),
    st.floats(0.001, 0.1),
)
def test_a_dominating_front_has_a_larger_hypervolume(F, shift):
    better = F - shift  # every point improved in every objective: dominates F
    ref = np.full(2, REFERENCE_POINT)
    assert hypervolume(better, ref) > hypervolume(F, ref)
    assert hypervolume(F, ref) == pytest.approx(HV(ref_point=ref)(F))


def test_normalised_hypervolume_rewards_higher_accuracy():
    objectives = [Objective("val_accuracy", True), Objective("train_time_s", False)]
    space = minimisation_form(np.array([[0.5, 100.0], [0.95, 1000.0], [0.7, 300.0]]), objectives)
    bounds = Bounds.of(space)
    good = minimisation_form(np.array([[0.9, 200.0]]), objectives)
    worse = minimisation_form(np.array([[0.8, 300.0]]), objectives)
    assert normalised_hypervolume(good, bounds) > normalised_hypervolume(worse, bounds)
    ideal = np.array([bounds.lower])
    assert normalised_hypervolume(ideal, bounds) == pytest.approx(REFERENCE_POINT**2)


def test_igd_and_igd_plus_hand_values():
    reference = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert igd(reference, reference) == 0.0
    assert igd(np.array([[0.5, 0.5]]), reference) == pytest.approx(np.sqrt(0.5))
    assert igd_plus(np.array([[0.5, 0.5]]), reference) == pytest.approx(0.5)
    assert igd_plus(np.array([[0.0, 0.0]]), reference) == 0.0  # better than the reference: no shortfall


def test_mean_pareto_distance_uses_every_pair():
    encodings = np.array([[0, 0], [1, 1], [1, 0]])
    assert mean_pareto_distance(encodings) == pytest.approx((2 + 1 + 1) / 3)
    assert mean_pareto_distance(encodings[:1]) == 0.0


def test_best_values_and_bad_input():
    assert best_values(np.array([[1.0, 5.0], [2.0, 3.0]])).tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="NaN"):
        non_dominated(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="one value per objective"):
        hypervolume(np.array([[1.0, 1.0]]), [2.0])
