"""TFRecord framing, CRC-32C, the protobuf decoder and the NB101 readers, on files written here."""

from __future__ import annotations

import base64
import json
import os
import pickle
import struct

import numpy as np
import pytest

from eo_naslib.benchmarks.formats import nasbench, tfrecord
from eo_naslib.benchmarks.formats.nasbench import (
    read_nasbench_tfrecord,
    read_naslib_pickle,
    validate_layout,
)
from eo_naslib.benchmarks.formats.safe_pickle import safe_loads
from eo_naslib.benchmarks.formats.tfrecord import crc32c, iter_records, mask_crc, write_records
from eo_naslib.errors import DataFileError

OP_NAMES = {-1: "input", -2: "output", 0: "conv3x3-bn-relu", 1: "conv1x1-bn-relu", 2: "maxpool3x3"}


# --- a minimal protobuf encoder, for writing fixtures ---------------------------------------------

def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _double(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", value)


def _message(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _evaluation(epoch: float, time: float, train: float, valid: float, test: float) -> bytes:
    return (_double(1, epoch) + _double(2, time) + _double(3, train) + _double(4, valid)
            + _double(5, test) + _message(6, b"/tmp/model.ckpt-123"))


def _model_metrics(params: int, evaluations: list[bytes]) -> bytes:
    body = b"".join(_message(1, e) for e in evaluations)
    return body + _key(2, 0) + _varint(params) + _double(3, 1234.5)


def _record(module_hash: str, epochs: int, matrix: np.ndarray, ops: list[str], params: int,
            final: tuple[float, float, float, float]) -> bytes:
    """An official-format record: halfway entry, then the final one (time, train, valid, test)."""
    time, train, valid, test = final
    metrics = _model_metrics(params, [_evaluation(0, 0, 0.1, 0.1, 0.1),
                                      _evaluation(epochs / 2, time / 2, 0.5, 0.5, 0.5),
                                      _evaluation(epochs, time, train, valid, test)])
    raw_adjacency = "".join(str(int(v)) for v in np.asarray(matrix).reshape(-1))
    payload = [module_hash, epochs, raw_adjacency, ",".join(ops), base64.b64encode(metrics).decode()]
    return json.dumps(payload).encode()


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_cells(nb101_subset):
    """Two real cells (hash, int matrix, op names) from the subset, hashes checked by the space."""
    from eo_naslib.space import Cell

    raw = json.loads((nb101_subset / "data-1k.json").read_text())
    cells = []
    for i in (0, 1):
        matrix = np.asarray(raw["adjacency"][i], dtype=int)
        ops = [OP_NAMES[c] for c in raw["operations"][i] if c != -3]
        matrix = matrix[: len(ops), : len(ops)]
        assert Cell(matrix, ops).hash == raw["key"][i]
        cells.append((raw["key"][i], matrix, ops, int(raw["trainable_parameters"][i])))
    return cells


@pytest.fixture()
def nb_file(tmp_path, two_cells):
    """2 cells x 2 epochs x 3 repeats in the official format, plus the expected layout."""
    records, expected = [], {}
    for c, (module_hash, matrix, ops, params) in enumerate(two_cells):
        expected[module_hash] = ({"module_adjacency": matrix.tolist(), "module_operations": ops,
                                  "trainable_parameters": params}, {})
        for epochs in (4, 108):
            for r in range(3):
                final = (100.0 * epochs + r, 0.9 - r / 100, 0.8 + c / 10, 0.7 + r / 1000)
                records.append(_record(module_hash, epochs, matrix, ops, params, final))
                expected[module_hash][1].setdefault(epochs, []).append(dict(zip(
                    ("final_training_time", "final_train_accuracy", "final_validation_accuracy",
                     "final_test_accuracy"), final)))
    path = tmp_path / "nasbench_tiny.tfrecord"
    write_records(path, records)
    return path, records, expected


# --- CRC-32C and TFRecord framing -----------------------------------------------------------------

def test_crc32c_vectors():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(b"\x00" * 32) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E


@pytest.mark.parametrize("gather_bytes", [4 << 20, 1000])
def test_numpy_crc_matches_bytewise_and_library(monkeypatch, gather_bytes):
    monkeypatch.setattr(tfrecord, "_GATHER_BYTES", gather_bytes)
    rng = np.random.default_rng(0)
    sizes = [0, 1, 3, 4, 5, 8, 9, 63, 64, 65, 1000, 4096, 4097, 70_000, *rng.integers(0, 600, 200)]
    buffers = [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in sizes]
    expected = [tfrecord._crc32c_small(b) for b in buffers]
    lengths = np.array(sizes, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    data = np.frombuffer(b"".join(buffers), dtype=np.uint8)
    assert tfrecord._crc32c_spans_numpy(data, starts, lengths).tolist() == expected
    assert tfrecord.crc32c_many(buffers) == expected
    assert tfrecord.crc32c_many([]) == []


@pytest.mark.parametrize("length", [4096 + 1, 3 * 64 + 2, 5 * 64 + 7, 4 * 64])
def test_numpy_crc_long_spans_in_chunks(monkeypatch, length):
    monkeypatch.setattr(tfrecord, "_CHUNK_LEVEL", 1)  # chunks of 128 bytes
    data = np.frombuffer(os.urandom(length + 10), dtype=np.uint8)
    assert tfrecord._crc32c_long(data, 5, length) == tfrecord._crc32c_small(data[5:5 + length].tobytes())
    if tfrecord._LIBRARY_CRC is not None:
        assert tfrecord._LIBRARY_CRC(data[5:5 + length].tobytes()) == tfrecord._crc32c_long(data, 5, length)


def test_mask_crc():
    crc = 0x12345678
    assert mask_crc(crc) == ((((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def test_records_round_trip(tmp_path):
    records = [b"", b"a", b"abc", b"hello world", os.urandom(5000)]
    path = tmp_path / "r.tfrecord"
    write_records(path, records)
    assert path.stat().st_size == sum(len(r) + 16 for r in records)
    assert list(iter_records(path)) == records
    assert list(iter_records(path, check_crc=False)) == records


def test_empty_file(tmp_path):
    path = tmp_path / "empty.tfrecord"
    path.write_bytes(b"")
    assert list(iter_records(path)) == []


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="check the path"):
        list(iter_records(tmp_path / "absent.tfrecord"))


def _corrupt(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_corrupt_data_names_record(tmp_path):
    records = [b"first record", b"second record", b"third record"]
    path = tmp_path / "r.tfrecord"
    write_records(path, records)
    second = len(records[0]) + 16
    _corrupt(path, second + 12 + 3)
    with pytest.raises(DataFileError, match=f"record 1 at byte {second}: data CRC mismatch.*re-download"):
        list(iter_records(path))
    assert list(iter_records(path, check_crc=False))[1] == b"sec" + bytes([ord("o") ^ 1]) + b"nd record"


def test_corrupt_length_crc(tmp_path):
    path = tmp_path / "r.tfrecord"
    write_records(path, [b"x" * 10, b"y" * 10])
    _corrupt(path, 26 + 9)
    with pytest.raises(DataFileError, match="record 1 at byte 26: length CRC mismatch"):
        list(iter_records(path))


@pytest.mark.parametrize("delta", [1, 1000])
def test_corrupt_length_field_reports_crc(tmp_path, delta):
    """A length field made larger reads as an overrun; the length CRC names the real culprit."""
    path = tmp_path / "r.tfrecord"
    write_records(path, [b"x" * 10, b"y" * 10, b"z" * 10])
    raw = bytearray(path.read_bytes())
    struct.pack_into("<Q", raw, 26, 10 + delta)
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match="record 1 at byte 26: length CRC mismatch"):
        list(iter_records(path))
    with pytest.raises(DataFileError, match="truncated"):
        list(iter_records(path, check_crc=False))


def test_earliest_bad_record_reported(tmp_path):
    path = tmp_path / "r.tfrecord"
    write_records(path, [b"x" * 10, b"y" * 10, b"z" * 10])
    _corrupt(path, 12 + 2)  # data of record 0
    _corrupt(path, 52 + 3)  # length field of record 2
    with pytest.raises(DataFileError, match="record 0 at byte 0: data CRC mismatch"):
        list(iter_records(path))


@pytest.mark.parametrize("cut", [1, 4, 10, 20])
def test_truncated_file(tmp_path, cut):
    path = tmp_path / "r.tfrecord"
    write_records(path, [b"x" * 10, b"y" * 10])
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(DataFileError, match=r"record 1 at byte 26: truncated.*re-download"):
        list(iter_records(path))


def test_many_records_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(tfrecord, "_BATCH_BYTES", 100)
    records = [bytes([i % 256]) * (i % 37) for i in range(500)]
    path = tmp_path / "r.tfrecord"
    write_records(path, records)
    assert list(iter_records(path)) == records
    _corrupt(path, sum(len(r) + 16 for r in records[:321]) + 13)
    with pytest.raises(DataFileError, match="record 321 at byte"):
        list(iter_records(path))


# --- protobuf decoder -----------------------------------------------------------------------------

def test_protobuf_round_trip_skips_unknown_fields():
    evaluation = (_key(99, 0) + _varint(300) + _evaluation(108, 1768.9, 1.0, 0.93, 0.92)
                  + _key(98, 5) + b"\x01\x02\x03\x04" + _message(97, b"nested") + _key(96, 1) + b"8bytes!!")
    metrics = _key(50, 0) + _varint(2**40) + _model_metrics(8555530, [evaluation])
    evaluations, params = nasbench.parse_model_metrics(metrics)
    assert params == 8555530 and evaluations == [evaluation]
    assert nasbench.parse_evaluation_data(evaluation) == {
        "final_train_accuracy": 1.0, "final_validation_accuracy": 0.93,
        "final_test_accuracy": 0.92, "final_training_time": 1768.9}
    fields = list(nasbench.iter_fields(evaluation))
    assert fields[0] == (99, 0, 300) and fields[-1] == (96, 1, b"8bytes!!")


def test_protobuf_negative_int32_and_errors():
    assert nasbench.parse_model_metrics(_key(2, 0) + _varint(-5))[1] == -5
    with pytest.raises(ValueError, match="truncated varint"):
        list(nasbench.iter_fields(b"\x08\x80"))
    with pytest.raises(ValueError, match="past the end"):
        list(nasbench.iter_fields(_key(1, 2) + _varint(10) + b"abc"))
    with pytest.raises(ValueError, match="wire type 3"):
        list(nasbench.iter_fields(_key(1, 3)))
    with pytest.raises(ValueError, match="expected a double"):
        nasbench.parse_evaluation_data(_key(3, 0) + _varint(1))


# --- NB101 TFRecord -------------------------------------------------------------------------------

def test_read_nasbench_tfrecord(nb_file):
    path, _, expected = nb_file
    data = read_nasbench_tfrecord(path)
    assert data == expected
    assert list(data[next(iter(data))][1]) == [4, 108]


def test_read_nasbench_tfrecord_progress(nb_file):
    path, _, expected = nb_file
    assert read_nasbench_tfrecord(path, progress=True) == expected


def test_nasbench_corrupt_record(nb_file):
    path, records, _ = nb_file
    offset = sum(len(r) + 16 for r in records[:7])
    _corrupt(path, offset + 12 + 50)
    with pytest.raises(DataFileError, match=f"record 7 at byte {offset}: data CRC mismatch"):
        read_nasbench_tfrecord(path)


def test_nasbench_bad_payload(tmp_path, nb_file):
    _, records, _ = nb_file
    path = tmp_path / "bad.tfrecord"
    write_records(path, [records[0], b"not json", records[1]])
    with pytest.raises(DataFileError, match="record 1 is not a NAS-Bench-101 record"):
        read_nasbench_tfrecord(path)
    write_records(path, [json.dumps(["h", 108, "0110", "input,output", "!!"]).encode()])
    with pytest.raises(DataFileError, match="record 0 is not a NAS-Bench-101 record"):
        read_nasbench_tfrecord(path)


# --- NASLib pickle --------------------------------------------------------------------------------

def _numpy_layout(expected):
    """The expected layout with numpy scalars, as NASLib's pickle may hold them."""
    out = {}
    for module_hash, (fixed, computed) in expected.items():
        fixed = {**fixed, "trainable_parameters": np.int64(fixed["trainable_parameters"]),
                 "module_adjacency": [[np.int8(v) for v in row] for row in fixed["module_adjacency"]]}
        computed = {np.int64(e): [{**{k: np.float64(v) for k, v in run.items()},
                                   "halfway_test_accuracy": np.float32(0.5)} for run in runs]
                    for e, runs in computed.items()}
        out[module_hash] = (fixed, computed)
    return out


def test_read_naslib_pickle(tmp_path, nb_file):
    _, _, expected = nb_file
    path = tmp_path / "nasbench_only108.pkl"
    path.write_bytes(pickle.dumps(_numpy_layout(expected)))
    data = read_naslib_pickle(path)
    for _, computed in data.values():  # extra keys are kept, as Python floats
        for runs in computed.values():
            for run in runs:
                assert type(run.pop("halfway_test_accuracy")) is float
    assert data == expected
    fixed, computed = next(iter(data.values()))
    assert type(fixed["trainable_parameters"]) is int
    assert type(fixed["module_adjacency"][0][0]) is int
    assert all(type(e) is int for e in computed)
    assert type(computed[108][0]["final_test_accuracy"]) is float


def test_naslib_pickle_forbidden_global(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"h": (os.system, {})}))
    with pytest.raises(DataFileError, match="is not allowed"):
        read_naslib_pickle(path)


@pytest.mark.parametrize("bad, message", [
    ([1, 2], "expected a dict"),
    ({}, "no entries"),
    ({"h": {"a": 1}}, "entry h: expected \\(fixed, computed\\) tuple"),
    ({"h": ({"module_adjacency": []}, {108: []})}, "entry h: fixed lacks module_operations"),
    ({"h": ({k: 0 for k in nasbench.FIXED_KEYS}, {108: [{"final_test_accuracy": 1.0}]})},
     "entry h: epochs 108: a run lacks final_train_accuracy"),
    ({"h": ({"module_adjacency": [[0]], "module_operations": ["input"], "trainable_parameters": "x"},
            {108: [dict.fromkeys(nasbench.FINAL_KEYS, 0.5)]})},
     "entry h: trainable_parameters: expected int, got str"),
])
def test_naslib_pickle_bad_layout(tmp_path, bad, message):
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(bad))
    with pytest.raises(DataFileError, match=message):
        read_naslib_pickle(path)


def test_validate_layout_names_source():
    with pytest.raises(DataFileError, match="^somewhere: expected a dict"):
        validate_layout(None, "somewhere")


# --- size caps of the restricted unpickler --------------------------------------------------------

class _Reduce:
    """Pickles as `function(*arguments)`: lets a test write a hostile pickle by hand."""

    def __init__(self, function, arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


@pytest.mark.parametrize(
    "hostile",
    [
        _Reduce(np.ndarray, ((10**6, 10**6), np.dtype("u1"))),
        _Reduce(np._core.multiarray._reconstruct, (np.ndarray, (10**12,), b"b")),
        _Reduce(np._core.multiarray._reconstruct, (np.ndarray, (-1,), b"b")),
        _Reduce(np._core.numeric._frombuffer, (b"\0" * 8, np.dtype("u1"), (10**6, 10**6), "C")),
        _Reduce(np._core.multiarray.scalar, (np.dtype("O"), b"x")),
    ],
    ids=["ndarray-call", "reconstruct-terabyte", "negative-shape", "frombuffer-terabyte", "object-scalar"],
)
def test_numpy_globals_cannot_ask_for_terabytes(hostile):
    with pytest.raises(DataFileError, match="not a readable benchmark pickle"):
        safe_loads(pickle.dumps(hostile, protocol=2))


def test_plain_numpy_arrays_still_load():
    array = np.arange(49, dtype=np.int64).reshape(7, 7)
    for protocol in (2, 4, 5):
        np.testing.assert_array_equal(safe_loads(pickle.dumps({"m": array}, protocol=protocol))["m"], array)
