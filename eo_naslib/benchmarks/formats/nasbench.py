"""NAS-Bench-101's own files, read without TensorFlow, protobuf or NASLib.

Both readers return NASLib's nb101 layout: ``hash -> (fixed, computed)`` with
``fixed = {"module_adjacency": [[int]], "module_operations": [str], "trainable_parameters": int}``
and ``computed = {epochs: [{"final_train_accuracy", "final_validation_accuracy",
"final_test_accuracy", "final_training_time"} per repeat, in file order]}``.

A record of the official TFRecord files is the UTF-8 JSON list
``[module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]``: the adjacency as a row-major
string of 0/1, the operations comma-separated, the metrics a base64 ``nasbench.ModelMetrics``
protobuf (``model_metrics.proto``)::

    ModelMetrics   { repeated EvaluationData evaluation_data = 1; optional int32 trainable_parameters = 2;
                     optional double total_time = 3; }
    EvaluationData { optional double current_epoch = 1; optional double training_time = 2;
                     optional double train_accuracy = 3; optional double validation_accuracy = 4;
                     optional double test_accuracy = 5; optional string checkpoint_path = 6; }

The last ``evaluation_data`` entry is the final evaluation.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import struct
import sys
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np
from tqdm import tqdm

from ...errors import DataFileError
from ...io import decode_json
from .safe_pickle import safe_load
from .tfrecord import iter_records

Layout = dict[str, tuple[dict, dict]]

FIXED_KEYS = ("module_adjacency", "module_operations", "trainable_parameters")
FINAL_KEYS = ("final_train_accuracy", "final_validation_accuracy", "final_test_accuracy",
              "final_training_time")
#: EvaluationData field number -> key of the final-metrics dict
_EVAL_FIELDS = {3: "final_train_accuracy", 4: "final_validation_accuracy",
                5: "final_test_accuracy", 2: "final_training_time"}
_FIX = "re-download it with `eo-naslib data download`"

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


# --- protobuf wire format -----------------------------------------------------------------------

def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a base-128 varint at `pos`; return (value, next position)."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ValueError("varint longer than 10 bytes")


def iter_fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) of a serialized message.

    Varints come as ints; fixed64, fixed32 and length-delimited fields as their raw bytes.
    Raises ValueError on truncation or an unsupported wire type (groups).
    """
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _read_varint(buf, pos)
        elif wire in (FIXED64, FIXED32, LENGTH):
            if wire == LENGTH:
                size, pos = _read_varint(buf, pos)
            else:
                size = 8 if wire == FIXED64 else 4
            if pos + size > end:
                raise ValueError(f"field {field} runs past the end of the message")
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ValueError(f"field {field} has unsupported wire type {wire}")
        yield field, wire, value


def _as_double(field: int, wire: int, value: int | bytes) -> float:
    if wire != FIXED64:
        raise ValueError(f"field {field}: expected a double, got wire type {wire}")
    return struct.unpack("<d", value)[0]


def _as_int32(field: int, wire: int, value: int | bytes) -> int:
    if wire != VARINT:
        raise ValueError(f"field {field}: expected an int32 varint, got wire type {wire}")
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_evaluation_data(buf: bytes) -> dict[str, float]:
    """The final-metrics dict of one EvaluationData message (missing doubles default to 0.0)."""
    out = dict.fromkeys(FINAL_KEYS, 0.0)
    for field, wire, value in iter_fields(buf):
        if field in _EVAL_FIELDS:
            out[_EVAL_FIELDS[field]] = _as_double(field, wire, value)
    return out


def parse_model_metrics(buf: bytes) -> tuple[list[bytes], int]:
    """(raw EvaluationData messages, trainable_parameters) of a ModelMetrics message."""
    evaluations: list[bytes] = []
    params = 0
    for field, wire, value in iter_fields(buf):
        if field == 1:
            if wire != LENGTH:
                raise ValueError(f"field 1: expected a message, got wire type {wire}")
            evaluations.append(value)
        elif field == 2:
            params = _as_int32(field, wire, value)
    return evaluations, params


# --- official TFRecord ---------------------------------------------------------------------------

def _parse_record(data: bytes) -> tuple[str, int, list[list[int]], list[str], int, dict[str, float]]:
    """(hash, epochs, adjacency, operations, trainable parameters, final metrics) of one record."""
    module_hash, epochs, raw_adjacency, raw_operations, raw_metrics = decode_json(data)
    n = math.isqrt(len(raw_adjacency))
    if n * n != len(raw_adjacency) or set(raw_adjacency) - {"0", "1"}:
        raise ValueError(f"adjacency {raw_adjacency!r} is not a square 0/1 string")
    adjacency = [[int(c) for c in raw_adjacency[i * n:(i + 1) * n]] for i in range(n)]
    operations = [sys.intern(op) for op in raw_operations.split(",")]
    if len(operations) != n:
        raise ValueError(f"{len(operations)} operations for a {n}-vertex adjacency")
    evaluations, params = parse_model_metrics(base64.b64decode(raw_metrics, validate=True))
    if not evaluations:
        raise ValueError("no evaluation_data in the metrics")
    final = parse_evaluation_data(evaluations[-1])
    return str(module_hash), int(epochs), adjacency, operations, params, final


def _progress(records: Iterator[bytes], path: str | os.PathLike, enabled: bool) -> Iterator[bytes]:
    """`records` behind a tqdm bar when `enabled`."""
    if not enabled:
        return records
    return tqdm(records, desc=f"reading {os.path.basename(path)}", unit=" records")


def read_nasbench_tfrecord(path: str | os.PathLike, check_crc: bool = True,
                           progress: bool = False) -> Layout:
    """Read an official NB101 TFRecord (`nasbench_only108.tfrecord`, `nasbench_full.tfrecord`)."""
    data: Layout = {}
    records = _progress(iter_records(path, check_crc=check_crc), path, progress)
    for index, record in enumerate(records):
        try:
            module_hash, epochs, adjacency, operations, params, final = _parse_record(record)
        except (ValueError, TypeError, binascii.Error) as exc:  # JSONDecodeError is a ValueError
            raise DataFileError(
                f"{path}: record {index} is not a NAS-Bench-101 record ({exc}); {_FIX}") from None
        if module_hash not in data:
            fixed = {"module_adjacency": adjacency, "module_operations": operations,
                     "trainable_parameters": params}
            data[module_hash] = (fixed, {})
        data[module_hash][1].setdefault(epochs, []).append(final)
    validate_layout(data, str(path))
    return data


# --- NASLib pickle -------------------------------------------------------------------------------

def _number(value: Any, kind: type, where: str) -> int | float:
    """`value` (a Python or numpy number) as a plain int or float."""
    if isinstance(value, bool) or not isinstance(value, Integral if kind is int else Real):
        raise ValueError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return kind(value)


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching Python int/float; anything else as is."""
    return value.item() if isinstance(value, np.generic) else value


def _normalise_run(module_hash: str, run: dict) -> dict:
    """A run's metrics with numpy scalars as Python numbers (the final ones checked as floats)."""
    out = {k: _plain(v) for k, v in run.items()}
    out.update({k: _number(run[k], float, f"entry {module_hash}: {k}") for k in FINAL_KEYS})
    return out


def _normalise_entry(module_hash: str, entry: Any) -> tuple[dict, dict]:
    """A (fixed, computed) entry with numpy scalars turned into int/float and epochs into int."""
    fixed, computed = entry
    adjacency = [[_number(v, int, f"entry {module_hash}: module_adjacency") for v in row]
                 for row in fixed["module_adjacency"]]
    fixed = {**{k: _plain(v) for k, v in fixed.items()}, "module_adjacency": adjacency,
             "module_operations": [str(op) for op in fixed["module_operations"]],
             "trainable_parameters": _number(fixed["trainable_parameters"], int,
                                             f"entry {module_hash}: trainable_parameters")}
    computed = {_number(epochs, int, f"entry {module_hash}: epochs"):
                [_normalise_run(module_hash, run) for run in runs]
                for epochs, runs in computed.items()}
    return fixed, computed


def read_naslib_pickle(path: str | os.PathLike) -> Layout:
    """Read NASLib's `nasbench_only108.pkl` (hash -> (fixed, computed)) through the safe unpickler."""
    raw = safe_load(path)
    validate_layout(raw, str(path))
    try:
        return {h: _normalise_entry(h, entry) for h, entry in raw.items()}
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{path}: {exc}; {_FIX}") from None


# --- shared validation ---------------------------------------------------------------------------

def _layout_problem(data: Any) -> str | None:
    """What is wrong with `data` as the nb101 layout, or None."""
    if not isinstance(data, dict):
        return f"expected a dict of hash -> (fixed, computed), got {type(data).__name__}"
    if not data:
        return "no entries"
    for module_hash, entry in data.items():
        if not isinstance(module_hash, str):
            return f"key {module_hash!r}: expected a hash string"
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2
                and isinstance(entry[0], dict) and isinstance(entry[1], dict)):
            return f"entry {module_hash}: expected (fixed, computed) tuple"
        fixed, computed = entry
        missing = [k for k in FIXED_KEYS if k not in fixed]
        if missing:
            return f"entry {module_hash}: fixed lacks {', '.join(missing)}"
        if not computed:
            return f"entry {module_hash}: no computed epochs"
        for epochs, runs in computed.items():
            if not isinstance(runs, list) or not runs:
                return f"entry {module_hash}: epochs {epochs}: expected a non-empty list of runs"
            for run in runs:
                absent = [k for k in FINAL_KEYS if not isinstance(run, dict) or k not in run]
                if absent:
                    return f"entry {module_hash}: epochs {epochs}: a run lacks {', '.join(absent)}"
    return None


def validate_layout(data: Any, source: str) -> None:
    """Raise DataFileError naming `source` unless `data` has the nb101 layout with required keys."""
    problem = _layout_problem(data)
    if problem is not None:
        raise DataFileError(f"{source}: {problem}; {_FIX} or check the path")
