"""Vargha-Delaney A12, Holm's correction and their columns beside the Mann-Whitney tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eo_naslib.experiments.stats import (
    a12_magnitude,
    holm,
    mann_whitney,
    vargha_delaney_a12,
    with_effect_sizes,
)


def test_a12_known_values():
    assert vargha_delaney_a12([1, 2, 3], [1, 2, 3]) == 0.5
    assert vargha_delaney_a12([4, 5], [1, 2]) == 1.0
    assert vargha_delaney_a12([1, 2], [4, 5]) == 0.0
    assert vargha_delaney_a12([1, 3], [2]) == 0.5
    assert vargha_delaney_a12([2, 2], [2, 1]) == 0.75
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=40), rng.normal(0.5, size=35)
    assert vargha_delaney_a12(x, y) + vargha_delaney_a12(y, x) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        vargha_delaney_a12([], [1])
    assert [a12_magnitude(a) for a in (0.52, 0.4, 0.68, 0.05)] == ["negligible", "small", "medium", "large"]


def test_a12_is_u_over_nm():
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 5, 30), rng.integers(0, 6, 25)
    assert vargha_delaney_a12(x, y) == pytest.approx(mannwhitneyu(x, y).statistic / (30 * 25))


def test_holm_by_hand():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.9]), [1.0, 1.0])
    assert holm([]).shape == (0,)


def test_effect_sizes_beside_mann_whitney():
    rng = np.random.default_rng(2)
    rows = [
        {"configuration": name, "seed": s, "final": True, "evaluations": 100, "score": rng.normal(shift)}
        for name, shift in (("a", 1.0), ("b", 0.0), ("c", 0.0))
        for s in range(20)
    ]
    summary = pd.DataFrame(rows)
    tests = mann_whitney(summary, [("a", "b"), ("a", "c"), ("b", "c")], ["score"])
    out = with_effect_sizes(summary, tests)
    assert list(out.columns[: len(tests.columns)]) == list(tests.columns)
    np.testing.assert_allclose(out.A12, tests.U / 400)
    np.testing.assert_allclose(out.p_holm, holm(tests.p))
    assert (out.p_holm >= out.p).all()
