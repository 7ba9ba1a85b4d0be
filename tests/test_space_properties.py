"""Property-based tests of cell invariants (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eo_naslib import Cell, InvalidCellError
from eo_naslib.space import OPS, decode, encode, mutate, nb101_hash, neighbours, prune, random_cell
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
    assert decode(kind, encode(cell, kind)) == cell


def vertex_orders(cell: Cell) -> list[tuple[np.ndarray, list[str]]]:
    """Every topological vertex order of `cell` (input first, output last), by brute force."""
    n = cell.n_vertices
    orders = []
    for interior in itertools.permutations(range(1, n - 1)):
        order = [0, *interior, n - 1]
        matrix = cell.matrix[np.ix_(order, order)]
        if not np.any(np.tril(matrix)):
            orders.append((matrix, [cell.ops[v] for v in order]))
    return orders


def brute_force_neighbours(cell: Cell, kind: str) -> set[str]:
    """Hashes one edge toggle (or, for edit, one op change) away from some vertex order of `cell`."""
    found = set()
    for matrix, ops in vertex_orders(cell):
        candidates = []
        for i, j in zip(*np.triu_indices(len(ops), 1)):
            toggled = matrix.copy()
            toggled[i, j] ^= 1
            candidates.append((toggled, ops))
        if kind == "edit":
            candidates += [(matrix, ops[:v] + [op] + ops[v + 1 :]) for v in range(1, len(ops) - 1) for op in OPS if op != ops[v]]
        for m, o in candidates:
            try:
                found.add(Cell(m, o).hash)
            except InvalidCellError:
                continue
    found.discard(cell.hash)
    return found


@settings(max_examples=25, deadline=None)
@given(cells(), st.sampled_from(["edit", "hamming"]))
def test_neighbours_equal_brute_force_over_every_vertex_order(cell, kind):
    found = neighbours(cell, kind)
    hashes = [c.hash for c in found]
    assert len(set(hashes)) == len(hashes)
    assert set(hashes) == brute_force_neighbours(cell, kind)


@settings(max_examples=25, deadline=None)
@given(cells(), st.randoms(use_true_random=False))
def test_a_cell_in_two_vertex_orders_has_one_neighbour_set(cell, random):
    matrix, ops = random.choice(vertex_orders(cell))
    relabelled = Cell(matrix, ops)
    assert relabelled == cell
    for kind in ("edit", "hamming"):
        assert {c.hash for c in neighbours(relabelled, kind)} == {c.hash for c in neighbours(cell, kind)}


@settings(max_examples=25, deadline=None)
@given(cells())
def test_hamming_neighbours_equal_literal_bit_flips_of_every_vertex_order(cell):
    literal = set()
    for matrix, ops in vertex_orders(cell):
        bits = encode(Cell(matrix, ops), "long")
        for i in range(LONG_SIZE):
            flipped = bits.copy()
            flipped[i] ^= 1
            try:
                literal.add(decode("long", flipped).hash)
            except InvalidCellError:
                continue
    literal.discard(cell.hash)
    assert {c.hash for c in neighbours(cell, "hamming")} == literal


@SETTINGS
@given(cells(), st.integers(0, 2**32 - 1))
def test_mutation_is_valid_and_different(cell, seed):
    child = mutate(cell, np.random.default_rng(seed))
    assert isinstance(child, Cell) and child != cell


@SETTINGS
@given(st.integers(0, 2**32 - 1))
def test_random_cells_are_valid_and_reproducible(seed):
    a = random_cell(seed)
    assert a == random_cell(seed)
    assert a.n_vertices <= 7 and a.n_edges <= 9
