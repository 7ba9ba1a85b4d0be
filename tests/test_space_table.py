"""The enumerated space against the real data sets, batch forms and neighbour tables."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib import Cell, UnknownArchitectureError
from eo_naslib.space import NUM_CELLS, encode, neighbours


def test_space_has_exactly_the_nb101_cells(space):
    assert len(space) == NUM_CELLS
    assert len(np.unique(space.hashes)) == NUM_CELLS
    assert np.all(space.hashes[:-1] < space.hashes[1:])  # sorted: row == rank of the hash


def test_space_contains_every_subset_hash(space, nb101_subset):
    for name in ("data-20k.json", "data-10k.json", "data-1k.json"):
        keys = json.loads((nb101_subset / name).read_text())["key"]
        rows = space.indices(keys)
        assert space.hashes[rows].tolist() == keys


def test_eo_ids_are_ranks_in_sorted_hash_order(space, eo_data):
    steps = [s for walk in json.loads((eo_data / "path_logs.json").read_text()) for s in walk]
    assert space.indices([s["unique_hash"] for s in steps]).tolist() == [s["id"] for s in steps]


def test_unknown_hash_raises(space):
    with pytest.raises(UnknownArchitectureError, match="not the NB101 hash"):
        space.index("0" * 32)


def test_rows_rebuild_their_cells(space):
    for row in np.random.default_rng(1).integers(0, len(space), 50):
        cell = space.cell(int(row))
        assert Cell(cell.matrix, cell.ops).hash == space.hashes[row]


@pytest.mark.parametrize("kind", ["adjacency_one_hot", "short", "long"])
def test_batch_encodings_equal_single_ones(space, kind):
    rows = np.random.default_rng(2).integers(0, len(space), 40)
    batch = space.encode(kind, rows)
    for row, encoded in zip(rows, batch):
        assert np.array_equal(encode(space.cell(int(row)), kind), encoded)


@pytest.mark.parametrize("kind", ["edit", "hamming"])
def test_neighbour_table_equals_cell_neighbours(space, kind):
    table = space.neighbour_table(kind)
    for row in np.random.default_rng(3).integers(0, len(space), 40):
        expected = sorted(space.index(c.hash) for c in neighbours(space.cell(int(row)), kind))
        assert sorted(table[row][table[row] >= 0].tolist()) == expected


@pytest.mark.parametrize("kind", ["edit", "hamming"])
def test_search_relation_is_the_symmetric_closure_of_the_table(space, kind):
    table = space.neighbour_table(kind)
    for row in np.random.default_rng(4).integers(0, len(space), 40):
        out = set(table[row][table[row] >= 0].tolist())
        into = set(np.flatnonzero((table == row).any(axis=1)).tolist()) if row % 10 == 0 else None
        found = set(space.neighbours_of(int(row), kind).tolist())
        assert out <= found and row not in found
        if into is not None:
            assert found == out | into
        for other in found:  # symmetric: row is a neighbour of each of its neighbours
            assert row in set(space.neighbours_of(int(other), kind).tolist())


def test_row_of_a_cell_is_independent_of_its_vertex_order(space):
    cell = Cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
    swapped = Cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
    assert space.row_of(cell) == space.row_of(swapped) == space.index(cell.hash)
    assert space.hash_of(swapped) == cell.hash


def test_hash_prefix_keys_are_unique_and_sorted(space):
    keys = space.hash_keys
    assert len(np.unique(keys)) == len(space) and np.all(keys[1:] > keys[:-1])
    rows = np.array([0, 17, len(space) - 1])
    np.testing.assert_array_equal(space.indices(space.hashes[rows].tolist()), rows)
    with pytest.raises(UnknownArchitectureError):
        space.indices([space.hashes[5][:-1] + "x"])
