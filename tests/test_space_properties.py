"""Property-based tests of cell invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eo_naslib import Cell, InvalidCellError
from eo_naslib.space import OPS, nb101_hash, prune
from eo_naslib.space.encodings import LONG_SIZE

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def cells(draw) -> Cell:
    n = draw(st.integers(2, 7))
    iu = np.triu_indices(n, 1)
    while True:
        bits = draw(st.lists(st.integers(0, 1), min_size=len(iu[0]), max_size=len(iu[0])))
        matrix = np.zeros((n, n), dtype=int)
        matrix[iu] = bits
        ops = ["input"] + [draw(st.sampled_from(OPS)) for _ in range(n - 2)] + ["output"]
        try:
            return Cell(matrix, ops)
        except InvalidCellError:
            matrix[0, n - 1] = 1  # make a path, drop edges over the limit
            while matrix.sum() > 9:
                i, j = np.argwhere(matrix)[-1]
                matrix[i, j] = 0
                matrix[0, n - 1] = 1
            try:
                return Cell(matrix, ops)
            except InvalidCellError:
                continue


@SETTINGS
@given(cells(), st.randoms(use_true_random=False))
def test_hash_invariant_under_topological_relabelling(cell, random):
    n = cell.n_vertices
    indegree = cell.matrix.sum(axis=0).tolist()
    order, ready = [], [0]
    while ready:  # random topological order (input first, output last by construction)
        v = ready.pop(random.randrange(len(ready)))
        order.append(v)
        for w in np.flatnonzero(cell.matrix[v]):
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(int(w))
    assert order[0] == 0 and order[-1] == n - 1 and len(order) == n
    relabelled = cell.matrix[np.ix_(order, order)]
    other = Cell(relabelled, [cell.ops[v] for v in order])
    assert other.hash == cell.hash == nb101_hash(relabelled, other.labels)


@SETTINGS
@given(cells())
def test_pruning_is_idempotent(cell):
    matrix, ops = prune(cell.matrix, list(cell.ops))
    assert matrix.tolist() == cell.matrix.tolist() and tuple(ops) == cell.ops


@SETTINGS
@given(cells(), st.sampled_from(["adjacency_one_hot", "short", "long"]))
def test_decode_inverts_encode(cell, kind):
    assert Cell.decode(kind, cell.encode(kind)) == cell


@SETTINGS
@given(cells())
def test_edit_neighbours_are_valid_distinct_and_one_edit_away(cell):
    found = cell.neighbours("edit")
    hashes = [c.hash for c in found]
    assert cell.hash not in hashes and len(set(hashes)) == len(hashes)
    for other in found:  # same vertex order: one edge or one op differs before pruning
        if other.n_vertices == cell.n_vertices and other.ops != cell.ops:
            assert other.matrix.tolist() == cell.matrix.tolist()
            assert sum(a != b for a, b in zip(other.ops, cell.ops)) == 1
        else:
            assert abs(int(other.n_edges) - cell.n_edges) >= 1


@SETTINGS
@given(cells())
def test_hamming_neighbours_equal_literal_bit_flips(cell):
    bits = cell.encode("long")
    literal = set()
    for i in range(LONG_SIZE):
        flipped = bits.copy()
        flipped[i] ^= 1
        try:
            literal.add(Cell.decode("long", flipped).hash)
        except InvalidCellError:
            continue
    literal.discard(cell.hash)
    assert {c.hash for c in cell.neighbours("hamming")} == literal


@SETTINGS
@given(cells(), st.integers(0, 2**32 - 1))
def test_mutation_is_valid_and_different(cell, seed):
    child = cell.mutate(np.random.default_rng(seed))
    assert isinstance(child, Cell) and child != cell


@SETTINGS
@given(st.integers(0, 2**32 - 1))
def test_random_cells_are_valid_and_reproducible(seed):
    a = Cell.random(seed)
    assert a == Cell.random(seed)
    assert a.n_vertices <= 7 and a.n_edges <= 9
