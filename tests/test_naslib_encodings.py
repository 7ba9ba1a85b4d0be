"""NASLib's NB101 encodings: hand-checked values, and equality with NASLib's own functions on
every real cell (that part skips where NASLib is not importable, e.g. in CI)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from eo_naslib import ConfigError
from eo_naslib.naslib_compat.encodings import NB101_ENCODINGS, PATH_SIZE, encode, encode_spec, naslib_spec
from eo_naslib.space import Cell
from eo_naslib.space import encode as eo_encode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import naslib_bridge  # noqa: E402

NASLIB_MISSING = naslib_bridge.unavailable_reason()
needs_naslib = pytest.mark.skipif(NASLIB_MISSING is not None, reason=f"NASLib not importable: {NASLIB_MISSING}")

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
CHAIN3 = Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"])
#: input -> 1 (conv1x1) -> 2 (maxpool) -> output, plus input -> output
DIAMOND = Cell([[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C1, MP, "output"])


def test_short_cells_are_padded_as_naslib_pads_them():
    spec = naslib_spec(CHAIN3)
    assert spec["ops"] == ["input", C3, C3, C3, C3, C3, "output"]
    assert spec["matrix"].shape == (7, 7)
    assert np.argwhere(spec["matrix"]).tolist() == [[0, 1], [1, 6]]


def test_adjacency_one_hot_by_hand():
    bits = encode(DIAMOND, "adjacency_one_hot")
    assert isinstance(bits, list) and len(bits) == 36
    upper = np.zeros((7, 7), dtype=int)
    upper[0, 1] = upper[1, 2] = upper[0, 6] = upper[2, 6] = 1
    assert bits[:21] == upper[np.triu_indices(7, 1)].tolist()
    # conv1x1 001, maxpool 100, then three padding vertices read as conv3x3 010
    assert bits[21:] == [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]


def test_path_indices_put_the_first_op_in_the_least_significant_digit():
    vector = encode(DIAMOND, "path")
    assert vector.shape == (PATH_SIZE,) and vector.dtype == np.float64
    # paths: [] -> 0; [conv1x1, maxpool] -> 3**0 * 2 + 3**1 * 3 = 11
    assert np.flatnonzero(vector).tolist() == [0, 11]
    assert np.flatnonzero(encode(CHAIN3, "path")).tolist() == [1]


def test_graph_encodings_by_hand():
    gcn = encode(CHAIN3, "gcn")
    assert gcn["num_vertices"] == 7 and gcn["val_acc"] == 0.0 and gcn["mask"].tolist() == [1.0] * 7
    assert gcn["operations"].argmax(axis=1).tolist() == [1, 2, 2, 2, 2, 2, 0]  # output, input, conv3x3, ...
    seminas = encode(CHAIN3, "seminas")
    assert seminas["operations"] == [0, 2, 2, 2, 2, 2, 1]
    bonas = encode(CHAIN3, "bonas")
    adjacency, operations = bonas["adjacency"], bonas["operations"]
    assert adjacency.shape == (8, 8) and operations.shape == (8, 6) and adjacency.dtype == np.float32
    assert np.all(np.diag(adjacency) == 1) and np.all(adjacency[7, :7] == 1)  # transposed: global node row
    assert adjacency[1, 0] == 1 and adjacency[0, 1] == 0
    assert operations.argmax(axis=1).tolist() == [0, 1, 1, 1, 1, 1, 4, 5]


def test_encodings_naslib_has_only_for_other_spaces_raise_as_naslib_does():
    for kind in ("adjacency_mix", "compact"):
        with pytest.raises(NotImplementedError, match="only for other search spaces"):
            encode(CHAIN3, kind)
        with pytest.raises(ConfigError):
            encode(CHAIN3, kind)
    with pytest.raises(ConfigError, match="unknown encoding 'onehot'"):
        encode(CHAIN3, "onehot")


def test_adjacency_equals_ours_on_seven_vertex_cells_and_differs_only_in_padding(space):
    rows = np.flatnonzero(space.n_vertices == 7)[::97]
    for row in rows:
        cell = space.cell(int(row))
        assert encode(cell, "adjacency_one_hot") == eo_encode(cell, "adjacency_one_hot").tolist()
    assert encode(CHAIN3, "adjacency_one_hot")[21:] != eo_encode(CHAIN3, "adjacency_one_hot")[21:].tolist()


def _naslib_encode(spec: dict, kind: str):
    encodings = importlib.import_module("naslib.search_spaces.nasbench101.encodings")
    encoding_type = importlib.import_module("naslib.utils.encodings").EncodingType
    return encodings.encode_101_spec(spec, encoding_type(kind))


def _naslib_spec(cell: Cell) -> dict:
    """NASLib's own padding of the benchmark's pruned matrix (`convert_to_cell`)."""
    stock = importlib.import_module("naslib.search_spaces.nasbench101.graph").NasBench101SearchSpace
    return stock.convert_to_cell(None, cell.matrix.astype(np.int64), list(cell.ops))


def _equal(ours, theirs) -> bool:
    if isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(_equal(ours[k], theirs[k]) for k in theirs)
    a, b = np.asarray(ours), np.asarray(theirs)
    return a.shape == b.shape and a.dtype.kind == b.dtype.kind and np.array_equal(a, b)


@needs_naslib
def test_equal_to_naslib_on_every_real_cell(so2sat, cifar10, space):
    hashes = sorted(set(so2sat.measured_hashes().tolist()) | set(cifar10.measured_hashes().tolist()))
    assert len(hashes) >= 1450
    mismatches = {kind: 0 for kind in NB101_ENCODINGS}
    for cell_hash in hashes:
        cell = space.cell(space.index(cell_hash))
        spec = _naslib_spec(cell)
        for kind in NB101_ENCODINGS:
            mismatches[kind] += not _equal(encode(cell, kind), _naslib_encode(spec, kind))
    assert mismatches == {kind: 0 for kind in NB101_ENCODINGS}


@needs_naslib
def test_equal_to_naslib_on_a_sample_of_the_whole_space(space):
    for row in range(0, len(space), 997):
        cell = space.cell(row)
        spec = _naslib_spec(cell)
        for kind in NB101_ENCODINGS:
            assert _equal(encode_spec(naslib_spec(cell), kind), _naslib_encode(spec, kind)), (row, kind)
    for kind in ("adjacency_mix", "compact"):
        with pytest.raises(NotImplementedError):
            _naslib_encode(_naslib_spec(CHAIN3), kind)
