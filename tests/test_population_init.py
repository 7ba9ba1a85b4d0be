"""The `lhs` and `clusters` initialisers: LHS stratification after repair (measured), clustering
scores equal scikit-learn's, budget accounting, and the initialisers inside the optimizers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from eo_naslib.errors import ConfigError
from eo_naslib.search import OPTIMIZERS, Evaluator
from eo_naslib.search.init import (
    CLUSTERINGS,
    INITIALISERS,
    ClusterInit,
    LatinHypercubeInit,
    build_initialiser,
    lhs_genotypes,
    stratification,
)
from eo_naslib.search.init.clusters import cluster_features, is_better, nearest_distinct
from eo_naslib.search.problem import N_EDGE_GENES, is_valid
from eo_naslib.testing import SyntheticBenchmark

SMALL = (300, 150, 75)


@pytest.fixture(scope="module")
def synthetic(space):
    return SyntheticBenchmark(space)


def test_registered_names():
    assert INITIALISERS == ("random", "lhs", "clusters", "surrogate_front")
    assert isinstance(build_initialiser("lhs"), LatinHypercubeInit)
    assert isinstance(build_initialiser("clusters", cluster_sizes=SMALL), ClusterInit)
    with pytest.raises(ConfigError, match="search.init"):
        build_initialiser("sobol")


def test_raw_lhs_is_exactly_stratified():
    """n = 60 (a multiple of 2 and 3): every stratum of every gene holds exactly its share."""
    X = lhs_genotypes(60, np.random.default_rng(0))
    for gene in range(X.shape[1]):
        counts = np.bincount(X[:, gene], minlength=2 if gene < N_EDGE_GENES else 3)
        assert (counts == (30 if gene < N_EDGE_GENES else 20)).all()
    assert stratification(X) == {"max_share_error_edges": 0.0, "max_share_error_ops": 0.0}


@pytest.mark.parametrize("n", [60, 600])
def test_lhs_after_repair(space, synthetic, n):
    """Measured: repair keeps the op genes' stratification exactly and changes ~2 % of the edge
    genes; the worst edge-bit share drifts by <= 0.15 from 1/2 (about 0.07-0.09 on average)."""
    evaluator = Evaluator(synthetic, ["val_accuracy"], space=space)
    init = LatinHypercubeInit()
    rows = init(evaluator, n, np.random.default_rng(1))
    assert len(rows) == n == len(set(rows.tolist())) and evaluator.n_evaluations == 0
    stats = init.last
    assert stats["raw_max_share_error_edges"] == 0.0 and stats["raw_max_share_error_ops"] == 0.0
    assert stats["repaired_max_share_error_ops"] == 0.0
    assert 0.0 < stats["repaired_max_share_error_edges"] <= 0.15
    assert 0.0 < stats["edge_genes_changed_by_repair"] < 0.05


def clusters_init(**kwargs) -> ClusterInit:
    return ClusterInit(**{"sizes": SMALL, "max_iter": 30, **kwargs})


def test_clusters_counts_its_sample_and_scores_equal_sklearn(space, synthetic):
    evaluator = Evaluator(synthetic, ["val_accuracy"], budget=1000, space=space)
    init = clusters_init()
    rows = init(evaluator, 19, np.random.default_rng(2))
    report = init.last
    assert evaluator.n_evaluations == SMALL[0] == report.evaluations  # the sample paid for itself
    assert report.chosen.size in SMALL and 1 <= report.chosen.n_clusters <= 19
    assert len(rows) == report.chosen.n_clusters == len(set(rows.tolist()))
    assert set(rows.tolist()) <= set(report.sample_rows.tolist()) <= set(evaluator.history_rows)
    labels, reduced = report.labels, report.reduced
    assert report.chosen.n_clusters == len(np.unique(labels))
    assert report.chosen.scores == {
        "silhouette": silhouette_score(reduced, labels),
        "calinski_harabasz": calinski_harabasz_score(reduced, labels),
        "davies_bouldin": davies_bouldin_score(reduced, labels),
    }
    # the stopping rule: every tried size but the last improved on the one before
    tried = report.tried
    assert all(is_better(b.scores, a.scores) for a, b in zip(tried[:-2], tried[1:-1]))
    assert tried[-1] == report.chosen or not is_better(tried[-1].scores, report.chosen.scores)


def test_clusters_from_a_source_benchmark_are_free_and_shared(space, synthetic):
    evaluator = Evaluator(synthetic, ["val_accuracy"], budget=100, space=space)
    source = SyntheticBenchmark(space, seed=7)
    first = clusters_init(source=source, algorithm="birch")(evaluator, 10, np.random.default_rng(3))
    assert evaluator.n_evaluations == 0 and 1 <= len(first) <= 10
    with pytest.raises(ConfigError, match="exceeds"):
        clusters_init()(evaluator, 10, np.random.default_rng(3))


@pytest.mark.parametrize("algorithm", [a for a in CLUSTERINGS if a != "bgm"])
def test_other_clusterings(space, synthetic, algorithm):
    evaluator = Evaluator(synthetic, ["val_accuracy"], space=space)
    init = ClusterInit(sizes=(200, 100), algorithm=algorithm, max_iter=50)
    rows = init(evaluator, 8, np.random.default_rng(4))
    assert 0 <= len(rows) <= 8 and len(set(rows.tolist())) == len(rows)
    assert init.last.chosen.n_clusters == len(rows)


def test_features_and_nearest_cells(space):
    rows = np.array([0, 1, 2])
    features = cluster_features(space, rows, np.array([[0.5], [0.6], [0.7]]), "short")
    assert features.shape == (3, 57) and (features[:, -1] == [0.5, 0.6, 0.7]).all()
    assert cluster_features(space, rows, np.zeros((3, 2)), "long").shape == (3, 291)
    points = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    np.testing.assert_array_equal(nearest_distinct(points, np.array([[0.1, 0.0], [0.2, 0.0]])), [0, 1])
    with pytest.raises(ConfigError, match="cluster_sizes"):
        ClusterInit(sizes=(100, 500))
    with pytest.raises(ConfigError, match="cluster_algorithm"):
        ClusterInit(algorithm="hdbscan")


@pytest.mark.parametrize("init", ["lhs", "clusters"])
@pytest.mark.parametrize("name", ["ga", "ea", "ae"])
def test_population_methods_start_from_the_initialiser(space, synthetic, init, name):
    evaluator = Evaluator(synthetic, ["val_accuracy"], budget=800, space=space)
    extra = {"cluster_sizes": list(SMALL), "cluster_algorithm": "birch"} if init == "clusters" else {}
    optimizer = OPTIMIZERS[name](evaluator, seed=0, init=init, **extra)
    optimizer.step()
    paid = SMALL[0] if init == "clusters" else 0
    assert len(optimizer.rows) == 19 and is_valid(optimizer.genotypes).all()
    assert optimizer.trace[0][0] == evaluator.n_evaluations <= paid + 19
    if init == "clusters":
        assert optimizer.init_report["chosen_size"] in SMALL
    optimizer.run()
    assert evaluator.n_evaluations == 800
