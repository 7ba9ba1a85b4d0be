"""GA, (mu + lambda) EA and Aging Evolution (seed 003) on the 26-gene genotype: the genotype and
its repair, small known landscapes, determinism, and resume after a kill."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib.errors import ConfigError, InvalidCellError
from eo_naslib.search import OPTIMIZERS, Evaluator
from eo_naslib.search import problem as genotype
from eo_naslib.search.evolution import AgingEvolution, GeneticAlgorithm, MuPlusLambda
from eo_naslib.space import CellTable, decode
from eo_naslib.space.batch import keys_of, prune_many
from eo_naslib.testing import SyntheticBenchmark

POPULATION = ("ga", "ea", "ae")


class KnownLandscape(SyntheticBenchmark):
    """Accuracy = 0.8 * (conv3x3 ops / 5) + 0.2 * (edges / 9): the unique maximum 1.0 is reached by
    the 7-vertex cells with five conv3x3 ops and 9 edges; no noise."""

    name = "known"

    def __init__(self, space: CellTable) -> None:
        super().__init__(space)
        labels = space.labels.astype(int)
        edges = space.matrices.reshape(len(space), -1).sum(axis=1)
        self._values["val_accuracy"] = 0.8 * (labels == 0).sum(axis=1) / 5 + 0.2 * edges / 9


@pytest.fixture(scope="module")
def synthetic(space):
    return SyntheticBenchmark(space)


@pytest.fixture(scope="module")
def known(space):
    return KnownLandscape(space)


# --------------------------------------------------------------------------- genotype
def test_genotype_round_trip_and_short_encoding(space):
    rng = np.random.default_rng(0)
    rows = rng.choice(len(space), 300, replace=False)
    X = genotype.genotypes_of(space, rows, rng)
    assert X.shape == (300, genotype.N_GENES) and genotype.is_valid(X).all()
    np.testing.assert_array_equal(genotype.rows_of(space, X), rows)
    for x, row in zip(X[:50], rows[:50]):
        assert decode("short", genotype.to_short(x)[0]).hash == space.hashes[row]


def test_repair_gives_valid_cells_and_only_touches_edges(space):
    rng = np.random.default_rng(1)
    raw = rng.integers(0, genotype.UPPER + 1, (3000, genotype.N_GENES))
    invalid = ~genotype.is_valid(raw)
    assert invalid.any()
    for x, bad in zip(raw[:400], invalid[:400]):  # is_valid agrees with the Cell validator
        try:
            genotype.decode_genotype(x)
            assert not bad
        except InvalidCellError:
            assert bad
    fixed = genotype.repair(raw, rng)
    assert genotype.is_valid(fixed).all()
    np.testing.assert_array_equal(fixed[~invalid], raw[~invalid])
    np.testing.assert_array_equal(fixed[:, genotype.N_EDGE_GENES :], raw[:, genotype.N_EDGE_GENES :])
    matrices, labels, valid = prune_many(genotype.matrices_of(fixed), genotype.labels_of(fixed))
    assert valid.all()
    np.testing.assert_array_equal(genotype.cell_keys(fixed), keys_of(matrices, labels))
    with pytest.raises(ConfigError, match="repair"):
        genotype.rows_of(space, raw[invalid][:1])


def test_mutation_flips_bits_and_rotates_ops():
    rng = np.random.default_rng(2)
    X = np.zeros((1, genotype.N_GENES), dtype=np.int64)
    X[0, genotype.N_EDGE_GENES :] = [0, 1, 2, 0, 1]
    child = genotype.mutate_genotypes(X, 1.0, rng)[0]
    assert (child[: genotype.N_EDGE_GENES] == 1).all()
    assert child[genotype.N_EDGE_GENES :].tolist() == [1, 2, 0, 1, 2]
    np.testing.assert_array_equal(genotype.mutate_genotypes(X, 0.0, rng), X)


# --------------------------------------------------------------------------- optimizers
def test_registered_with_seed_003_parameters():
    assert (
        OPTIMIZERS["ga"] is GeneticAlgorithm
        and OPTIMIZERS["ea"] is MuPlusLambda
        and OPTIMIZERS["ae"] is AgingEvolution
    )
    assert {k: GeneticAlgorithm.defaults[k] for k in ("pop_size", "cx_p", "mut_p", "ind_pb")} == {
        "pop_size": 19,
        "cx_p": 0.5,
        "mut_p": 0.2,
        "ind_pb": 0.05,
    }
    assert {k: MuPlusLambda.defaults[k] for k in ("pop_size", "lambda_", "mut_p", "ind_pb")} == {
        "pop_size": 19,
        "lambda_": 19,
        "mut_p": 0.8,
        "ind_pb": 0.1,
    }
    assert AgingEvolution.defaults["sample_size"] == 10


@pytest.mark.parametrize("name", POPULATION)
def test_find_the_known_optimum(space, known, name):
    """Every method gets within one op or two edges of the unique optimum (1.0) in 2,000 distinct
    evaluations, beats the random start's best, and spends exactly the budget."""
    evaluator = Evaluator(known, ["val_accuracy"], budget=2000, space=space)
    optimizer = OPTIMIZERS[name](evaluator, seed=0)
    optimizer.run()
    values = evaluator.history_values[:, 0]
    assert evaluator.n_evaluations == 2000 == len(set(evaluator.history_rows))
    assert values.max() >= 1.0 - 2 * 0.2 / 9 - 1e-9
    assert values.max() > values[:19].max()
    trace = np.asarray(optimizer.trace)
    assert (
        trace[0, 0] == 19
        and (np.diff(trace[:, 0]) >= 0).all()
        and (trace[:, 2] <= trace[:, 1] + 1e-12).all()
        and (trace[:, 1] <= trace[:, 3] + 1e-12).all()
    )


def test_ea_keeps_the_best_mu(space, known):
    """(mu + lambda) survival is elitist: the population's best never gets worse."""
    evaluator = Evaluator(known, ["val_accuracy"], budget=600, space=space)
    optimizer = MuPlusLambda(evaluator, seed=3)
    optimizer.run()
    best = np.asarray(optimizer.trace)[:, 3]
    assert (np.diff(best) >= 0).all()
    assert best[-1] == pytest.approx(evaluator.history_values[:, 0].max())


def run_rows(benchmark, space, name: str, seed: int, budget: int = 400, **search) -> list[int]:
    evaluator = Evaluator(benchmark, ["val_accuracy", "train_time_s:min"], budget=budget, space=space)
    OPTIMIZERS[name](evaluator, seed=seed, **search).run()
    return evaluator.history_rows


@pytest.mark.parametrize("name", POPULATION)
@pytest.mark.parametrize("init", ["random", "lhs"])
def test_same_seed_same_run(space, synthetic, name, init):
    first = run_rows(synthetic, space, name, 5, init=init)
    assert first == run_rows(synthetic, space, name, 5, init=init)
    assert first != run_rows(synthetic, space, name, 6, init=init)


def resumed_rows(benchmark, space, name: str, budget: int, kill_at: int, **search) -> list[int]:
    """Run until `kill_at` evaluations, keep only the JSON checkpoints, rebuild everything from
    them (another seed: the state must override it) and finish the run."""
    evaluator = Evaluator(benchmark, ["val_accuracy", "train_time_s:min"], budget=budget, space=space)
    optimizer = OPTIMIZERS[name](evaluator, seed=11, **search)
    while evaluator.n_evaluations < kill_at:
        optimizer.step()
    saved = json.loads(json.dumps({"evaluator": evaluator.state_dict(), "optimizer": optimizer.state_dict()}))
    del evaluator, optimizer
    evaluator = Evaluator(benchmark, ["val_accuracy", "train_time_s:min"], budget=budget, space=space)
    evaluator.load_state_dict(saved["evaluator"])
    optimizer = OPTIMIZERS[name](evaluator, seed=999, **search)
    optimizer.load_state_dict(saved["optimizer"])
    optimizer.run()
    return evaluator.history_rows


@pytest.mark.parametrize("name", POPULATION)
@pytest.mark.parametrize("kill_at", [1, 150])
def test_resume_after_kill_gives_the_same_run(space, synthetic, name, kill_at):
    assert resumed_rows(synthetic, space, name, 400, kill_at) == run_rows(synthetic, space, name, 11)


def test_bad_search_keys(space, synthetic):
    evaluator = Evaluator(synthetic, ["val_accuracy"], budget=10, space=space)
    with pytest.raises(ConfigError, match="init"):
        GeneticAlgorithm(evaluator, init="grid")
    with pytest.raises(ConfigError, match="mut_p"):
        GeneticAlgorithm(evaluator, mut_p=1.5)
    with pytest.raises(ConfigError, match="cx_p"):
        MuPlusLambda(evaluator, cx_p=0.5, mut_p=0.8)
    with pytest.raises(ConfigError, match="pop_size"):
        AgingEvolution(evaluator, pop_size=0)
    with pytest.raises(ConfigError, match="unknown search key"):
        AgingEvolution(evaluator, tournament=3)
