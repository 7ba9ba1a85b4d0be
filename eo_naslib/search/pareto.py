"""Pareto utilities on minimisation arrays `F` of shape (n, m): dominance, fronts, quality indicators.

Conventions
- Every function takes objective values in *minimisation form* (maximised objectives negated, or
  `1 - accuracy`); `objectives.minimisation_form` converts natural values.
- Dominance is strict Pareto dominance: `a` dominates `b` when `a` is no worse in every objective
  and better in at least one. Equal vectors do not dominate each other, so ties all stay on a front.
- Hypervolume is measured in a normalised box: `Bounds(lower, upper)` maps each objective to
  `(f - lower) / (upper - lower)` (0 = best bound, 1 = worst bound) and the reference point is
  `REFERENCE_POINT` (1.1 per objective) in those coordinates, so a dominating front always scores
  higher. Experiments take the bounds from the whole space's values (`Bounds.of`), fixed per study.
- moocore computes fronts and indicators where it installs (Python >= 3.10); elsewhere pymoo's
  equivalents do (same values, tested against each other; slower on large fronts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pymoo.indicators.hv import HV
from pymoo.indicators.igd import IGD
from pymoo.indicators.igd_plus import IGDPlus
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

try:
    import moocore
except ImportError:  # moocore needs Python >= 3.10: pymoo's equivalents stand in
    moocore = None

#: the hypervolume reference point in normalised coordinates (each objective)
REFERENCE_POINT = 1.1
#: pymoo's efficient non-dominated sort (O(n) memory; its default sort holds an n x n matrix)
_PYMOO_SORT = NonDominatedSorting(method="efficient_non_dominated_sort")
#: rows (the best by summed normalised objectives) whose front pre-filters pymoo's front of many rows
_PIVOTS = 2048


def _check(F: np.ndarray) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    if F.ndim != 2:
        raise ValueError(f"objective values must be an (n, m) array, got shape {F.shape}")
    if not np.isfinite(F).all():
        raise ValueError("objective values contain NaN or inf; query a surrogate-completed benchmark or drop those rows")
    return F


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether minimisation vector `a` strictly Pareto-dominates `b`."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(a <= b) and np.any(a < b))


def _pymoo_non_dominated(F: np.ndarray) -> np.ndarray:
    """pymoo's front mask after an exact pre-filter: a row that a front member of the `_PIVOTS`
    best-sum rows strictly dominates cannot be on the front, so pymoo sorts only the rest."""
    span = np.ptp(F, axis=0)
    order = np.argsort(((F - F.min(axis=0)) / np.where(span > 0, span, 1.0)).sum(axis=1), kind="stable")
    pivots = F[order[:_PIVOTS]]
    pivots = pivots[_PYMOO_SORT.do(pivots, only_non_dominated_front=True)]
    keep = np.empty(len(F), dtype=bool)
    step = max(1, 2**22 // (len(pivots) * F.shape[1]))
    for start in range(0, len(F), step):
        chunk = F[start : start + step, None, :]
        dominated = np.all(pivots <= chunk, axis=2) & np.any(pivots < chunk, axis=2)
        keep[start : start + step] = ~dominated.any(axis=1)
    rows = np.flatnonzero(keep)
    mask = np.zeros(len(F), dtype=bool)
    mask[rows[_PYMOO_SORT.do(F[rows], only_non_dominated_front=True)]] = True
    return mask


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of `F` that no other row strictly dominates (duplicates all kept).

    moocore's dimension sweep: O(n log n) for two and three objectives (faster than a numpy sweep);
    without moocore, `_pymoo_non_dominated` (about 0.1-0.4 s for the whole 423,624-cell space).
    """
    F = _check(F)
    if len(F) == 0:
        return np.zeros(0, dtype=bool)
    if moocore is None:
        return _pymoo_non_dominated(F)
    return moocore.is_nondominated(F, keep_weakly=True)


def feasible_first(F: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Mask of the rows no other row beats under feasibility-first comparison (Deb's constrained
    dominance): a feasible row (violation 0) beats an infeasible one, of two infeasible rows the
    smaller violation wins, equals compare by Pareto dominance. With feasible rows: the feasible
    non-dominated ones; without: the non-dominated rows of least violation."""
    F, violation = _check(F), np.asarray(violation, dtype=float)
    mask = np.zeros(len(F), dtype=bool)
    if len(F) == 0:
        return mask
    best = np.flatnonzero(violation == violation.min())
    mask[best[non_dominated(F[best])]] = True
    return mask


def non_dominated_sort(F: np.ndarray) -> np.ndarray:
    """Pareto rank of every row (0 = the non-dominated front, 1 = the front once 0 is removed, ...)."""
    F = _check(F)
    if len(F) == 0:
        return np.zeros(0, dtype=int)
    if moocore is None:
        return np.asarray(_PYMOO_SORT.do(F, return_rank=True)[1], dtype=int)
    return np.asarray(moocore.pareto_rank(F), dtype=int)


def best_values(F: np.ndarray) -> np.ndarray:
    """Best (least) value of each objective (m,) in minimisation form."""
    return _check(F).min(axis=0)


@dataclass(frozen=True)
class Bounds:
    """Normalisation of minimisation values: `lower` maps to 0, `upper` to 1, per objective."""

    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, F: np.ndarray) -> Bounds:
        """The per-objective least and greatest values of `F` (e.g. the whole space), NaN rows ignored."""
        F = np.asarray(F, dtype=float)
        lower, upper = np.nanmin(F, axis=0), np.nanmax(F, axis=0)
        return cls(lower, np.where(upper > lower, upper, lower + 1.0))

    def normalise(self, F: np.ndarray) -> np.ndarray:
        return (np.asarray(F, dtype=float) - self.lower) / (self.upper - self.lower)

    def denormalise(self, F: np.ndarray) -> np.ndarray:
        return self.lower + np.asarray(F, dtype=float) * (self.upper - self.lower)


def hypervolume(F: np.ndarray, ref_point: np.ndarray | Sequence[float]) -> float:
    """Volume dominated by the rows of `F` and bounded by `ref_point` (minimisation).

    Rows that do not strictly dominate `ref_point` in every objective add nothing.
    """
    F = _check(F)
    ref = np.asarray(ref_point, dtype=float)
    if ref.shape != (F.shape[1],):
        raise ValueError(f"ref_point must have one value per objective ({F.shape[1]}), got {ref.tolist()}")
    inside = F[np.all(F < ref, axis=1)]
    if len(inside) == 0:
        return 0.0
    if moocore is None:
        return float(HV(ref_point=ref, nds=False)(inside[non_dominated(inside)]))
    return float(moocore.hypervolume(inside, ref=ref))


def normalised_hypervolume(F: np.ndarray, bounds: Bounds) -> float:
    """Hypervolume of `F` normalised by `bounds`, reference point REFERENCE_POINT per objective."""
    F = _check(F)
    return hypervolume(bounds.normalise(F), np.full(F.shape[1], REFERENCE_POINT))


def igd(F: np.ndarray, reference_front: np.ndarray) -> float:
    """Inverted generational distance: mean Euclidean distance of each reference point to `F`."""
    if moocore is None:
        return float(IGD(_check(reference_front))(_check(F)))
    return float(moocore.igd(_check(F), ref=_check(reference_front)))


def igd_plus(F: np.ndarray, reference_front: np.ndarray) -> float:
    """IGD+ (Ishibuchi et al. 2015): like IGD with only the shortfall in each objective counted."""
    if moocore is None:
        return float(IGDPlus(_check(reference_front))(_check(F)))
    return float(moocore.igd_plus(_check(F), ref=_check(reference_front)))


def mean_pareto_distance(encodings: np.ndarray) -> float:
    """Mean hamming distance over all pairs of distinct front members (seed 000's Pareto distance
    average), from their binary encodings (n, bits); 0 for fronts of fewer than two cells."""
    X = np.asarray(encodings, dtype=np.float32)
    n = len(X)
    if n < 2:
        return 0.0
    ones = X.sum(axis=1)
    shared = X @ X.T
    distances = ones[:, None] + ones[None, :] - 2.0 * shared  # hamming of 0/1 vectors
    return float(distances.sum() / (n * (n - 1)))
