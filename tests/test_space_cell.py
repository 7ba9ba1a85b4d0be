"""Cell validation, pruning, NB101 hashing (against real hashes) and encodings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib import Cell, InvalidCellError
from eo_naslib.space import OPS, decode, encode, hash_many, hashing, nb101_hash, random_cell
from eo_naslib.space.constants import PAD_LABEL

C3, C1, MP = OPS
INTERIOR_NAMES = {0: C3, 1: C1, 2: MP}


def _walk_steps(eo_data):
    walks = json.loads((eo_data / "path_logs.json").read_text())
    return [step for walk in walks for step in walk]


def _subset_cells(nb101_subset):
    data = json.loads((nb101_subset / "data-1k.json").read_text())
    for ops, adjacency, key in zip(data["operations"], data["adjacency"], data["key"]):
        n = ops.index(-2) + 1  # -3 pads after the output vertex
        names = ["input"] + [INTERIOR_NAMES[o] for o in ops[1 : n - 1]] + ["output"]
        matrix = np.array(adjacency, dtype=int)[:n, :n]
        yield Cell(matrix, names), key


def _padded_arrays(cells: list[Cell]) -> tuple[np.ndarray, np.ndarray]:
    matrices = np.zeros((len(cells), 7, 7), dtype=np.uint8)
    labels = np.full((len(cells), 7), PAD_LABEL)
    for i, cell in enumerate(cells):
        matrices[i], labels[i] = cell.padded()
    return matrices, labels


def test_eo_walk_hashes_reproduced(eo_data):
    steps = _walk_steps(eo_data)
    assert len(steps) == 450
    assert [Cell.from_spec(s).hash for s in steps] == [s["unique_hash"] for s in steps]


def test_nb101_subset_hashes_reproduced(nb101_subset):
    pairs = list(_subset_cells(nb101_subset))
    assert len(pairs) == 1000
    assert [cell.hash for cell, _ in pairs] == [key for _, key in pairs]


def test_hash_many_matches_single_hash(eo_data):
    cells = [Cell.from_spec(s) for s in _walk_steps(eo_data)]
    matrices, labels = _padded_arrays(cells)
    expected = [nb101_hash(c.matrix, c.labels) for c in cells]
    assert hash_many(matrices, labels, processes=1).tolist() == expected


def test_pruning_drops_vertices_off_the_input_output_path():
    matrix = np.zeros((5, 5), dtype=int)
    matrix[0, 1] = matrix[1, 4] = 1  # input -> conv -> output
    matrix[0, 2] = 1  # dead end: 2 never reaches the output
    matrix[3, 4] = 1  # 3 is not reachable from the input
    cell = Cell(matrix, ["input", C3, C1, MP, "output"])
    assert cell.ops == ("input", C3, "output")
    assert cell.matrix.tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert cell == Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"])


def test_more_than_nine_edges_counted_after_pruning():
    matrix = np.triu(np.ones((7, 7), dtype=int), 1)
    with pytest.raises(InvalidCellError, match="21 edges after pruning"):
        Cell(matrix, ["input", C3, C3, C3, C3, C3, "output"])


@pytest.mark.parametrize(
    ("matrix", "ops", "message"),
    [
        ([[0, 1, 0], [0, 0, 1]], ["input", C3, "output"], "square"),
        ([[0, 1], [1, 0]], ["input", "output"], "upper triangular"),
        ([[0, 2], [0, 0]], ["input", "output"], "0 or 1"),
        ([[0, 1], [0, 0]], ["input", C3, "output"], "one op per vertex"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"], "unknown op 'conv5x5'"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, "output"], "must start with 'input'"),
        ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", C3, "output"], "no path from the input"),
        (np.triu(np.ones((8, 8), dtype=int), 1) * 0 + np.eye(8, k=1, dtype=int), ["input"] + [C3] * 6 + ["output"], "at most 7"),
    ],
)
def test_invalid_cells_raise_with_a_named_problem(matrix, ops, message):
    with pytest.raises(InvalidCellError, match=message):
        Cell(matrix, ops)


@pytest.mark.parametrize("kind", ["adjacency_one_hot", "short", "long"])
def test_encodings_round_trip_real_cells(eo_data, kind):
    for step in _walk_steps(eo_data)[::7]:
        cell = Cell.from_spec(step)
        assert decode(kind, encode(cell, kind)) == cell


def test_encoding_sizes_and_fitness_suffix():
    cell = Cell([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", MP, "output"])
    assert encode(cell, "adjacency_one_hot").shape == (36,)
    assert encode(cell, "path").shape == (364,)
    assert encode(cell, "short").shape == (56,)
    assert encode(cell, "long").shape == (289,)
    assert encode(cell, "short", fitness=[0.5, 0.7])[-2:].tolist() == [0.5, 0.7]


def test_long_encoding_follows_the_seed_node_order():
    # input -> maxpool at position 1 -> output; input -> output
    cell = Cell([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", MP, "output"])
    expanded = encode(cell, "long").reshape(17, 17)
    maxpool_pos1 = 11  # seed 003 Table 3: 'l' = MaxPool at node index 1
    assert expanded[0, maxpool_pos1] == expanded[maxpool_pos1, 16] == expanded[0, 16] == 1
    assert expanded.sum() == 3


def test_path_encoding_counts_input_output_paths():
    cell = Cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C3, C1, "output"])
    encoding = encode(cell, "path")
    assert encoding.sum() == 2
    assert encoding[1 + OPS.index(C3)] == encoding[1 + OPS.index(C1)] == 1


def test_long_decode_rejects_two_ops_at_one_position():
    bits = np.zeros((17, 17), dtype=int)
    bits[0, 1] = bits[1, 16] = bits[0, 6] = bits[6, 16] = 1  # conv1x1 and conv3x3 both at position 1
    with pytest.raises(InvalidCellError, match="two ops"):
        decode("long", bits.ravel())


def test_path_encoding_is_not_decodable():
    with pytest.raises(ValueError, match="not injective"):
        decode("path", np.zeros(364))


def test_hash_many_parallel_chunked_path_matches_single_hash(monkeypatch):
    """Enough cells for worker processes and several vectorised chunks, with repeats."""
    monkeypatch.setattr(hashing, "_CHUNK_CELLS", 500)
    rng = np.random.default_rng(7)
    cells = [random_cell(rng) for _ in range(12_000)]
    cells += cells[:9_000]  # repeats, which must not change any hash
    matrices, labels = _padded_arrays(cells)
    expected = [nb101_hash(c.matrix, c.labels) for c in cells]
    assert hash_many(matrices, labels, processes=2).tolist() == expected
