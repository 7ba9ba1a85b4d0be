"""Clustering initialisation (seed 003, Algorithm 4): centroids of a fitness-aware clustering.

For each sample size of a decreasing list (nested subsets of one sample), the sampled cells are
encoded (`short` or `long`, followed by their fitness at every available fidelity), reduced with
TruncatedSVD (2 components), clustered into `n` clusters (Bayesian Gaussian mixture by default;
k-means, DBSCAN, BIRCH, spectral) and scored with scikit-learn's silhouette, Calinski-Harabasz and
Davies-Bouldin scores. The loop stops at the first size whose clustering is not better than the
previous one (better: at least two of the three scores improve); the last better clustering's
centres, mapped to the nearest distinct sampled cells, are the start cells.

The sample is evaluated through the Evaluator (it counts against the budget; the fitness at lower
fidelities of the same cell comes with it, as NB101's learning curves do) unless `source` names a
benchmark: then it is queried there for free (seed 003's transfer from CIFAR-10 to So2Sat, and its
CIFAR-10 experiments, where the clustering sample was not counted in the search budget).
With a search domain (`Evaluator.domain`) the sample is drawn from the domain (from the source's
measured cells inside it when there are enough), so every start cell lies in the domain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import DBSCAN, Birch, KMeans, SpectralClustering
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.mixture import BayesianGaussianMixture

from ...benchmarks.base import Benchmark
from ...benchmarks.datasets import open_benchmark
from ...errors import ConfigError, positive_int
from ...space import CellTable
from ..evaluator import Evaluator
from ..objectives import Objective

#: clusterings shared by runs with a fixed `seed` and a `source` (see `ClusterInit`)
_SHARED: dict[tuple, ClusterReport] = {}

CLUSTERINGS = ("bgm", "kmeans", "dbscan", "birch", "spectral")
#: scikit-learn's scores and whether higher is better
SCORES = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False}


def cluster_features(
    space: CellTable, rows: np.ndarray, fitness: np.ndarray, encoding: str = "short"
) -> np.ndarray:
    """(k, d) clustering features: the cells' `short`/`long` encoding followed by their fitness."""
    if encoding not in ("short", "long"):
        raise ConfigError(f"search.cluster_encoding must be 'short' or 'long', got {encoding!r}")
    return np.concatenate(
        [space.encode(encoding, rows).astype(np.float64), np.atleast_2d(fitness).reshape(len(rows), -1)],
        axis=1,
    )


def make_clustering(algorithm: str, n_clusters: int, seed: int, max_iter: int = 500) -> Any:
    """A scikit-learn estimator with seed 003's Table 2 settings (DBSCAN's 'N init 200' is read
    as min_samples=200); `max_iter` caps the iterations of BGM, k-means and spectral's k-means."""
    if algorithm == "bgm":
        return BayesianGaussianMixture(
            n_components=n_clusters,
            max_iter=max_iter,
            weight_concentration_prior_type="dirichlet_distribution",
            covariance_type="full",
            random_state=seed,
        )
    if algorithm == "kmeans":
        return KMeans(
            n_clusters=n_clusters, max_iter=max_iter, n_init=50, init="k-means++", random_state=seed
        )
    if algorithm == "dbscan":
        return DBSCAN(eps=0.30, min_samples=200)
    if algorithm == "birch":
        return Birch(threshold=0.12, n_clusters=n_clusters)
    if algorithm == "spectral":
        return SpectralClustering(n_clusters=n_clusters, affinity="nearest_neighbors", random_state=seed)
    raise ConfigError(f"search.cluster_algorithm must be one of {list(CLUSTERINGS)}, got {algorithm!r}")


def cluster_labels(
    algorithm: str, reduced: np.ndarray, n_clusters: int, seed: int, max_iter: int = 500
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Labels (-1: DBSCAN noise) and the centre of each non-empty cluster (the mixture's mean for
    BGM, the members' mean otherwise)."""
    model = make_clustering(algorithm, n_clusters, seed, max_iter)
    labels = np.asarray(model.fit_predict(reduced), dtype=np.int64)
    centres = {}
    for label in np.unique(labels[labels >= 0]):
        centres[int(label)] = (
            model.means_[label] if algorithm == "bgm" else reduced[labels == label].mean(axis=0)
        )
    return labels, centres


def cluster_scores(reduced: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """scikit-learn's three scores of a clustering (noise points left out); NaN when fewer than
    two clusters or no point left over."""
    keep = labels >= 0
    n_labels = len(np.unique(labels[keep]))
    if not 2 <= n_labels < keep.sum():
        return dict.fromkeys(SCORES, float("nan"))
    x, y = reduced[keep], labels[keep]
    return {
        "silhouette": float(silhouette_score(x, y)),
        "calinski_harabasz": float(calinski_harabasz_score(x, y)),
        "davies_bouldin": float(davies_bouldin_score(x, y)),
    }


def is_better(new: dict[str, float], old: dict[str, float]) -> bool:
    """At least two of the three scores improve (NaN never improves)."""
    wins = sum((new[k] > old[k]) if higher else (new[k] < old[k]) for k, higher in SCORES.items())
    return wins >= 2


def nearest_distinct(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest point to each centre, each point used once (centres in order)."""
    taken = np.zeros(len(points), dtype=bool)
    chosen = []
    for centre in centres:
        distance = np.linalg.norm(points - centre, axis=1)
        distance[taken] = np.inf
        best = int(np.argmin(distance))
        taken[best] = True
        chosen.append(best)
    return np.asarray(chosen, dtype=np.int64)


@dataclass(frozen=True)
class Clustering:
    """One tried sample size: its scores and non-empty clusters."""

    size: int
    scores: dict[str, float]
    n_clusters: int


@dataclass(frozen=True)
class ClusterReport:
    """What the last call chose: the size, every tried size, the start rows, the sample."""

    chosen: Clustering
    tried: tuple[Clustering, ...]
    rows: np.ndarray  #: the start cells (rows of the space), one per non-empty cluster
    sample_rows: np.ndarray  #: the chosen sample
    reduced: np.ndarray  #: its 2-D (n_components) features
    labels: np.ndarray  #: its cluster labels
    evaluations: int  #: evaluations spent on the target evaluator

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen_size": self.chosen.size,
            "scores": self.chosen.scores,
            "n_clusters": self.chosen.n_clusters,
            "tried": [{"size": c.size, "n_clusters": c.n_clusters, **c.scores} for c in self.tried],
            "evaluations": self.evaluations,
        }


@dataclass
class ClusterInit:
    """Initialiser `clusters` (see the module docstring). `metric` defaults to the evaluator's
    first objective; `source` None evaluates the sample through the evaluator. `max_iter` caps
    BGM's iterations (seed 003: 500; BGM's cost is per iteration, ~0.1-0.3 s here, so the default
    is 100). With a `source` and a fixed `seed`, the sample and clustering depend on neither the
    run nor its seed: they are computed once per process and every run starts from the same
    centroids, as in seed 003 (one clustering, 100 runs)."""

    sizes: Sequence[int] = (10000, 5000, 2500, 1000, 500, 100)
    encoding: str = "short"
    algorithm: str = "bgm"
    n_components: int = 2
    source: str | Benchmark | None = None
    metric: str | None = None
    data_dir: str | None = None
    max_iter: int = 100
    seed: int | None = None
    last: ClusterReport | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        sizes = [int(s) for s in self.sizes]
        if not sizes or any(s < 2 for s in sizes) or sizes != sorted(sizes, reverse=True):
            raise ConfigError(
                f"search.cluster_sizes must be a decreasing list of sizes >= 2, got {list(self.sizes)}"
            )
        make_clustering(self.algorithm, 2, 0)
        positive_int(self.max_iter, "search.cluster_max_iter")
        if self.encoding not in ("short", "long"):
            raise ConfigError(f"search.cluster_encoding must be 'short' or 'long', got {self.encoding!r}")
        self.sizes = tuple(sizes)

    def _sample(self, evaluator: Evaluator, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
        """(rows, fitness at each fidelity, evaluations spent) of the largest sample."""
        size = self.sizes[0]
        metric = Objective.parse(self.metric or evaluator.objectives[0]).metric
        if self.source is None:
            if size > evaluator.remaining:
                raise ConfigError(
                    f"search.cluster_sizes[0]={size} exceeds the {evaluator.remaining} evaluations left; "
                    "lower it, raise the budget, or set search.source to sample another benchmark for free"
                )
            benchmark = evaluator.benchmark
            before = evaluator.n_evaluations
            rows = evaluator.random_rows(size, rng)
            evaluator.evaluate_many(rows)
            spent = evaluator.n_evaluations - before
            top = evaluator.epoch or getattr(benchmark, "default_epoch", None)
            fidelities = [f for f in benchmark.fidelities if top is None or f <= top]
        else:
            benchmark = (
                self.source
                if not isinstance(self.source, str)
                else evaluator.benchmark
                if getattr(evaluator.benchmark, "name", None) == self.source
                else open_benchmark(self.source, self.data_dir)
            )
            measured = evaluator.space.indices(benchmark.measured_hashes())
            measured = measured[evaluator.allows(measured)]
            pool = measured if len(measured) >= size else evaluator.domain_rows()
            rows = rng.choice(pool, size=min(size, len(pool)), replace=False)
            spent, fidelities = 0, list(benchmark.fidelities)
        fitness = np.stack(
            [np.asarray(benchmark.query_rows(rows, metric, f), dtype=float) for f in fidelities], axis=1
        )
        return rows, np.nan_to_num(fitness), spent

    def __call__(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.seed is not None and isinstance(self.source, str):
            key = (
                self.source,
                self.data_dir,
                self.metric or Objective.parse(evaluator.objectives[0]).metric,
                self.sizes,
                self.encoding,
                self.algorithm,
                self.n_components,
                self.max_iter,
                self.seed,
                n,
                None if evaluator.domain is None else hashlib.sha1(evaluator.domain.tobytes()).hexdigest(),
            )
            if key not in _SHARED:
                _SHARED[key] = self._cluster(evaluator, n, np.random.default_rng(self.seed))
            self.last = _SHARED[key]
            return self.last.rows.copy()
        self.last = self._cluster(
            evaluator, n, rng if self.seed is None else np.random.default_rng(self.seed)
        )
        return self.last.rows.copy()

    def _cluster(self, evaluator: Evaluator, n: int, rng: np.random.Generator) -> ClusterReport:
        rows, fitness, spent = self._sample(evaluator, rng)
        features = cluster_features(evaluator.space, rows, fitness, self.encoding)
        tried: list[Clustering] = []
        best = None
        for size in self.sizes:
            size = min(size, len(rows))
            seed = int(rng.integers(2**31))
            reduced = TruncatedSVD(n_components=self.n_components, random_state=seed).fit_transform(
                features[:size]
            )
            labels, centres = cluster_labels(self.algorithm, reduced, min(n, size), seed, self.max_iter)
            clustering = Clustering(size, cluster_scores(reduced, labels), len(centres))
            tried.append(clustering)
            if best is not None and not is_better(clustering.scores, best[0].scores):
                break
            best = (clustering, reduced, labels, centres)
        chosen, reduced, labels, centres = best
        picks = nearest_distinct(
            reduced, np.array([centres[k] for k in sorted(centres)]).reshape(-1, reduced.shape[1])
        )
        return ClusterReport(
            chosen, tuple(tried), rows[: chosen.size][picks], rows[: chosen.size], reduced, labels, spent
        )
