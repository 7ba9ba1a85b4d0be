"""Latin hypercube initialisation (scipy.stats.qmc) over the 26-gene genotype of `..problem`.

Each gene's range is cut into equal strata (2 for edge bits, 3 for op indices) and an LHS of size
n puts n/2 (n/3) draws in each; the genotypes are then repaired to valid cells (repair changes edge
genes only, so op genes keep their stratification exactly; edge genes lose some: see
`stratification`) and de-duplicated by cell; missing cells are drawn from fresh hypercubes.
With a search domain (`Evaluator.domain`, e.g. `measured_only`) each repaired point becomes, in
order, the nearest domain cell not taken yet (Hamming distance over the 26 genes, ties to the
lowest row), unless its own cell is a domain cell not taken yet: fresh hypercubes would almost
never land in a small domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc

from ..evaluator import Evaluator
from ..problem import N_EDGE_GENES, N_GENES, UPPER, genotypes_of, repair, rows_of


def lhs_genotypes(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 26) raw (unrepaired) genotypes from one Latin hypercube of size n."""
    u = qmc.LatinHypercube(d=N_GENES, seed=rng).random(n)  # `seed`: scipy < 1.15 has no `rng` (same draws)
    return np.minimum(np.floor(u * (UPPER + 1)), UPPER).astype(np.int64)


def stratification(X: np.ndarray) -> dict[str, float]:
    """Largest deviation, over genes and strata, of a stratum's share from its LHS share (1/2 for
    edge bits, 1/3 for ops), separately for edge and op genes: 0 for a raw LHS whose n is a
    multiple of 6, up to 1/n otherwise."""
    X = np.atleast_2d(X)
    out = {}
    for part, genes in (("edges", slice(0, N_EDGE_GENES)), ("ops", slice(N_EDGE_GENES, N_GENES))):
        levels = int(UPPER[genes][0]) + 1
        shares = np.stack([(X[:, genes] == v).mean(axis=0) for v in range(levels)])
        out[f"max_share_error_{part}"] = float(np.abs(shares - 1 / levels).max())
    return out


def nearest_distinct_rows(X: np.ndarray, own: np.ndarray, rows: np.ndarray, genotypes: np.ndarray) -> np.ndarray:
    """For each genotype of `X` in order: its own cell's row `own` when that is a row of the sorted
    `rows` not taken yet, else the untaken row at the smallest Hamming distance from it (the rows'
    genotypes are `genotypes`, ties to the lowest row); `min(len(X), len(rows))` distinct rows."""
    taken = np.zeros(len(rows), dtype=bool)
    positions = np.searchsorted(rows, own).clip(max=len(rows) - 1)
    chosen = []
    for x, cell, i in zip(np.atleast_2d(X)[: len(rows)], own, positions):
        if rows[i] != cell or taken[i]:
            i = int(np.argmin(np.where(taken, N_GENES + 1, (genotypes != x).sum(axis=1))))
        taken[i] = True
        chosen.append(rows[i])
    return np.asarray(chosen, dtype=np.int64)


@dataclass
class LatinHypercubeInit:
    """Initialiser `lhs`: `n` distinct cells from a repaired Latin hypercube over the genotype.
    `last` keeps the stratification of the raw and the repaired sample of the last call."""

    last: dict[str, float] = field(default_factory=dict)

    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray:
        raw = lhs_genotypes(n, rng)
        repaired = repair(raw, rng)
        self.last = {
            **{f"raw_{k}": v for k, v in stratification(raw).items()},
            **{f"repaired_{k}": v for k, v in stratification(repaired).items()},
            "edge_genes_changed_by_repair": float((raw != repaired).mean(axis=0)[:N_EDGE_GENES].mean()),
        }
        if evaluator.domain is not None:
            own = rows_of(evaluator.space, repaired)
            self.last["moved_into_domain"] = float((~evaluator.allows(own)).mean())
            domain = evaluator.domain
            return nearest_distinct_rows(repaired, own, domain, genotypes_of(evaluator.space, domain))
        rows = list(dict.fromkeys(rows_of(evaluator.space, repaired).tolist()))
        self.last["duplicates_replaced"] = float(n - len(rows))
        seen = set(rows)
        while len(rows) < min(n, len(evaluator.space)):
            for row in rows_of(evaluator.space, repair(lhs_genotypes(n - len(rows), rng), rng)).tolist():
                if row not in seen and len(rows) < n:
                    seen.add(row)
                    rows.append(row)
        return np.asarray(rows, dtype=np.int64)
