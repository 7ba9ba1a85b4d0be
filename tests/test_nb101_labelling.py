"""NB101's labelling of every cell: published matrices, parameter counts built from the hash, users' cells.

Checked against every published matrix we hold (data-1k's 1,000, the EO data's 450) and every
published parameter count (30,001 CIFAR-10 subset cells; the So2Sat count of the 450 EO cells).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="building networks needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.benchmarks.formats.safe_pickle import safe_load  # noqa: E402
from eo_naslib.creation.plan import make_plan  # noqa: E402
from eo_naslib.errors import ConfigError  # noqa: E402
from eo_naslib.schema import seal  # noqa: E402
from eo_naslib.space import OPS, Cell  # noqa: E402
from eo_naslib.space.labelling import _interior_orders, nb101_codes  # noqa: E402
from eo_naslib.training.cli import cell_from_args  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.job import FORMAT, RECORD, read_record  # noqa: E402
from eo_naslib.training.live import LiveBenchmark  # noqa: E402
from eo_naslib.training.network import build_network, count_parameters  # noqa: E402
from eo_naslib.training.parameters import parameter_count  # noqa: E402

_NAMES = {-1: "input", -2: "output", 0: OPS[0], 1: OPS[1], 2: OPS[2]}
#: the issue's examples: (hash, in_channels, num_classes, published count, count of the labelling stored before)
ISSUE_EXAMPLES = [
    ("0001a2f6c8977346ccd12fa0c435bf42", 3, 10, 3_078_206, 3_079_371),
    ("653158f5c2566bcd9c97054af88c785f", 10, 17, 2_106_799, 2_110_265),
    ("f0f753e8d3cfd13c9cc907e9500a3991", 10, 17, 3_536_097, 3_531_993),
]
#: three parallel branches in a user's order (NB101's: conv3x3, conv1x1, maxpool); the last branch
#: gets the smaller share of an output width not divisible by 3, so the two networks differ
USER_CELL = Cell(
    [[0, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
    ["input", OPS[2], OPS[1], OPS[0], "output"],
)


def _data_1k_cells(folder):
    data = json.loads((folder / "data-1k.json").read_text())
    for key, adjacency, operations in zip(data["key"], data["adjacency"], data["operations"]):
        ops = [_NAMES[o] for o in operations if o != -3]
        yield key, np.asarray(adjacency, dtype=int)[: len(ops), : len(ops)], ops


def _eo_published(folder):
    database = safe_load(folder / "database_pickle_micro.pickle")
    return [(h, np.asarray(f["module_adjacency"]), list(f["module_operations"])) for h, (f, _) in database.items()]


def _same_labelling(space, published):
    wrong = []
    for cell_hash, matrix, ops in published:
        ours = space.cell(space.index(cell_hash))
        if not (np.array_equal(ours.matrix, matrix) and list(ours.ops) == ops):
            wrong.append(cell_hash)
    return wrong


def test_data_1k_matrices_are_the_spaces_labelling_of_their_hash(space, nb101_subset):
    published = list(_data_1k_cells(nb101_subset))
    assert len(published) == 1000
    assert _same_labelling(space, published) == []
    # the per-cell rule (vertex orders of one cell) agrees with the space's enumeration
    assert {Cell(m, ops).labelling for _, m, ops in published} == {"nb101"}


def test_eo_matrices_are_the_spaces_labelling_of_their_hash(space, eo_data):
    published = _eo_published(eo_data)
    assert len(published) == 450
    assert _same_labelling(space, published) == []
    assert {Cell(m, ops).labelling for _, m, ops in published} == {"nb101"}


def test_path_log_cells_give_the_published_labelling(space, eo_data):
    # the walks log NASLib-style 7 x 7 matrices; pruned, their NB101 labelling is the published one
    walks = json.loads((eo_data / "path_logs.json").read_text())
    published = {h: (m, ops) for h, m, ops in _eo_published(eo_data)}
    steps = [step for walk in walks for step in walk]
    assert len(steps) == 450
    for step in steps:
        cell = Cell(np.asarray(step["module_adjacency"]), step["module_operations"]).nb101()
        matrix, ops = published[step["unique_hash"]]
        assert np.array_equal(cell.matrix, matrix) and list(cell.ops) == ops


def test_space_rows_are_nb101_labelled_by_the_per_cell_rule(space):
    rows = np.random.default_rng(11).integers(0, len(space), 400)
    assert {space.cell(int(r)).labelling for r in rows} == {"nb101"}


def test_parameter_counter_equals_the_built_network(space):
    rng = np.random.default_rng(5)
    rows = np.concatenate([rng.choice(np.flatnonzero(space.n_vertices == n), 8) for n in range(2, 8)])
    for row in rows:
        cell = space.cell(int(row))
        for shape in ((3, 10, {}), (10, 17, {}), (4, 3, {"stem_channels": 16, "num_stacks": 2, "cells_per_stack": 1})):
            built = count_parameters(build_network(cell, shape[0], shape[1], device="meta", **shape[2]))
            assert parameter_count(cell, shape[0], shape[1], **shape[2]) == built, (row, shape)


def test_parameter_counts_from_the_hash_equal_nb101_on_all_30001_subset_cells(space, nb101_subset):
    published = {}
    for name in ("data-20k.json", "data-10k.json"):
        data = json.loads((nb101_subset / name).read_text())
        published.update(zip(data["key"], data["trainable_parameters"]))
    assert len(published) == 30_001
    wrong = [h for h, p in published.items() if parameter_count(space.cell(space.index(h)), 3, 10) != p]
    assert wrong == [], f"{len(wrong)} of 30,001 counts differ from NB101's, e.g. {wrong[:3]}"


def test_so2sat_counts_from_the_hash_equal_the_eo_data_on_all_450_cells(space, eo_data):
    results = json.loads((eo_data / "test_results_sampled_all_paths.json").read_text())
    assert len(results) == 450
    wrong = [
        name
        for name, entry in results.items()
        if parameter_count(space.cell(int(name.removeprefix("arch_"))), 10, 17) != entry["num_params"]
    ]
    assert wrong == [], f"{len(wrong)} of 450 So2Sat counts differ from num_params, e.g. {wrong[:3]}"


@pytest.mark.parametrize("example", ISSUE_EXAMPLES, ids=[e[0][:8] for e in ISSUE_EXAMPLES])
def test_issue_examples_build_the_published_network_from_the_hash(space, example):
    cell_hash, bands, classes, published, other = example
    assert count_parameters(build_network(cell_hash, bands, classes, device="meta")) == published
    # the same cell in another vertex order is another network: the one built before the fix
    cell = space.cell(space.index(cell_hash))
    counts = set()
    for order in _interior_orders(cell.n_vertices):
        matrix = cell.matrix[np.ix_(order, order)]
        if not np.any(np.tril(matrix)):
            relabelled = Cell(matrix, [cell.ops[v] for v in order])
            assert relabelled.hash == cell_hash and relabelled.nb101().labelling == "nb101"
            counts.add(parameter_count(relabelled, bands, classes))
    assert {published, other} <= counts


def test_a_users_cell_keeps_its_labelling_and_says_so():
    assert USER_CELL.labelling == "user" and "labelling='user'" in repr(USER_CELL)
    nb101 = USER_CELL.nb101()
    assert nb101.labelling == "nb101" and nb101.hash == USER_CELL.hash and nb101 == USER_CELL
    assert list(nb101.ops) == ["input", OPS[0], OPS[1], OPS[2], "output"]
    assert count_parameters(build_network(USER_CELL, device="meta")) != count_parameters(
        build_network(nb101, device="meta")
    )
    assert nb101.nb101() is nb101


def test_nb101_codes_follow_the_generators_order():
    # NB101's bit of edge x -> y is y(y-1)/2 + x: 0->1 is bit 0, 0->2 bit 1, 1->2 bit 2, 0->3 bit 3
    matrices = np.zeros((3, 4, 4), dtype=np.uint8)
    matrices[0, 0, 3] = matrices[1, 1, 2] = matrices[2, 0, 1] = 1
    labels = np.array([[-1, 0, 2, -2], [-1, 1, 0, -2], [-1, 2, 2, -2]])
    assert nb101_codes(matrices, labels).tolist() == [8 * 256 + 2, 4 * 256 + 3, 1 * 256 + 8]


def test_creation_jobs_hold_nb101_labelling(tmp_path):
    plan = make_plan({"name": "x", "sampler": {"kind": "lhs", "n": 12, "seed": 3}, "job": "noop"})
    cells = [Cell(job.matrix, job.ops) for job in plan.jobs]
    assert {c.labelling for c in cells} == {"nb101"} and [c.hash for c in cells] == [j.hash for j in plan.jobs]


def test_live_benchmark_trains_a_users_cell_in_nb101_labelling(tmp_path):
    live = LiveBenchmark(tmp_path / "data", cache_dir=tmp_path / "cache")
    cell = live._cell(USER_CELL)
    assert cell.labelling == "nb101" and cell.hash == USER_CELL.hash
    assert live._cell(USER_CELL.hash).matrix.tolist() == cell.matrix.tolist()


def test_train_and_measure_by_hash_use_nb101_labelling():
    cell_hash = ISSUE_EXAMPLES[0][0]
    cell = cell_from_args(argparse.Namespace(hash=cell_hash, matrix=None, ops=None))
    assert cell.labelling == "nb101" and parameter_count(cell, 3, 10) == ISSUE_EXAMPLES[0][3]


def test_a_record_of_another_vertex_order_is_not_returned_for_the_cell(tmp_path):
    config = TrainConfig()
    record = {"format": FORMAT, "fingerprint": config.fingerprint(), "settings": config.to_dict(), "metrics": {}}
    record["cell"] = {"hash": USER_CELL.hash, "matrix": USER_CELL.matrix.tolist(), "ops": list(USER_CELL.ops)}
    (tmp_path / RECORD).write_text(json.dumps(seal(record)))
    assert read_record(tmp_path, USER_CELL, config)["cell"]["hash"] == USER_CELL.hash
    with pytest.raises(ConfigError, match="another vertex order"):
        read_record(tmp_path, USER_CELL.nb101(), config)


def test_every_vertex_order_of_a_cell_has_the_same_nb101_labelling(space):
    rng = np.random.default_rng(8)
    for row in rng.choice(np.flatnonzero(space.n_vertices >= 5), 60, replace=False):
        cell = space.cell(int(row))
        for order in _interior_orders(cell.n_vertices):
            matrix = cell.matrix[np.ix_(order, order)]
            if not np.any(np.tril(matrix)):
                canonical = Cell(matrix, [cell.ops[v] for v in order]).nb101()
                assert canonical.matrix.tolist() == cell.matrix.tolist() and canonical.ops == cell.ops
