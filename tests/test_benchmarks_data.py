"""benchmarks_data/, import-time validation, typed answers and argument checks of the benchmarks."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pooch
import pytest
import requests

from eo_naslib.benchmarks import load_benchmark
from eo_naslib.benchmarks.completion import clip_in_dtype, shipped_tuning
from eo_naslib.benchmarks.formats.compressed import read_source
from eo_naslib.benchmarks.importers import import_nb101_subset, import_path, import_so2sat
from eo_naslib.benchmarks.sources import BUNDLED_FOLDERS, KNOWN_SHA256, SURROGATES_FILE, bundled_dir
from eo_naslib.cli import main
from eo_naslib.errors import DataFileError, EONASLibError

BUNDLED = bundled_dir()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------------ benchmarks_data/
@pytest.mark.parametrize("folder", sorted(BUNDLED_FOLDERS.values()))
def test_bundled_folders_carry_licence_provenance_and_checksums(folder):
    root = BUNDLED / folder
    assert {"LICENSE.txt", "README.md", "SOURCE.json"} <= {p.name for p in root.iterdir()}
    source = json.loads((root / "SOURCE.json").read_text())
    assert len(source["commit"]) == 40 and source["repository"].startswith("https://github.com/")
    for name, record in source["files"].items():
        packed = (root / name).read_bytes()
        assert sha256(packed) == record["sha256_gz"] and len(packed) == record["bytes_gz"]
        original = gzip.decompress(packed)
        assert sha256(original) == record["sha256_original"] == KNOWN_SHA256[record["original"]]
        assert record["url"].endswith("/" + record["original"]) and source["commit"] in record["url"]
    assert not (root / "all_metrics.csv").exists() and not (root / "all_metrics.csv.gz").exists()


def test_bundled_data_stays_small():
    total = sum(p.stat().st_size for p in BUNDLED.rglob("*") if p.is_file())
    assert total < 2_500_000, f"benchmarks_data/ is {total:,} bytes"


def test_bundled_sources_equal_the_shared_reference(shared_data):
    for folder in BUNDLED_FOLDERS.values():
        for name in json.loads((BUNDLED / folder / "SOURCE.json").read_text())["files"]:
            reference = (shared_data / folder / name.removesuffix(".gz")).read_bytes()
            assert read_source(BUNDLED / folder / name) == reference, name
    assert (BUNDLED / "eo_hwnas_so2sat" / "LICENSE.txt").read_bytes() == (shared_data / "eo_hwnas_so2sat" / "LICENSE.txt").read_bytes()


def test_compressed_and_plain_sources_import_identically(eo_data):
    packed, plain = import_so2sat(BUNDLED / "eo_hwnas_so2sat"), import_so2sat(eo_data)
    assert packed.columns.keys() == plain.columns.keys() and packed.walks == plain.walks
    for key in packed.columns:
        np.testing.assert_array_equal(packed.columns[key], plain.columns[key])
    assert [s["sha256"] for s in packed.provenance["sources"]] == [s["sha256"] for s in plain.provenance["sources"]]


def test_shipped_tuning_is_used_for_every_column(so2sat, cifar10):
    assert (BUNDLED / SURROGATES_FILE).is_file()
    for bench in (so2sat, cifar10):
        shipped = shipped_tuning(bench.name)
        assert set(shipped) == set(bench.store.column_keys())
        for key, entry in bench.store.surrogate.items():
            assert entry["hyperparameters"].startswith("shipped") and entry["params"] == shipped[key]["params"]
            assert entry["cv"] == shipped[key]["cv"]


# ------------------------------------------------------------------------------ predictions
def test_every_stored_prediction_lies_in_the_measured_range_in_its_dtype(so2sat, cifar10):
    for bench in (so2sat, cifar10):
        for key, predicted in bench.store.predicted.items():
            table = bench.store.columns[key]
            target = np.nanmean(table[~np.isnan(table).all(axis=1)], axis=1)
            assert predicted.dtype == np.float32 and len(predicted) == 423_624
            assert predicted.min() >= target.min() and predicted.max() <= target.max(), key


def test_clip_in_dtype_never_rounds_out_of_range():
    low, high = 5035.756401062012, 7000.1  # float32 rounds the first down, the second up
    clipped = clip_in_dtype(np.array([-5.0, low, 6000.5, high, 1e9]), low, high)
    assert clipped.dtype == np.float32
    assert float(clipped.min()) >= low and float(clipped.max()) <= high
    assert float(np.float32(low)) < low and float(np.float32(high)) > high  # clip-then-cast rounded these out
    assert clipped[0] == np.nextafter(np.float32(low), np.float32(np.inf)) and clipped[2] == np.float32(6000.5)
    assert clipped[4] == np.nextafter(np.float32(high), np.float32(0))


# ------------------------------------------------------------------------------ typed answers
def test_query_all_returns_a_frozen_record(so2sat):
    cell_hash = str(so2sat.measured_hashes()[0])
    record = so2sat.query_all(cell_hash)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.epoch = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.values["val_accuracy"] = 1.0  # type: ignore[index]
    plain = record.to_dict()
    assert json.loads(json.dumps(plain)) == plain
    assert plain["hash"] == cell_hash and plain["epoch"] == 108 and all(plain["measured"].values())
    assert plain["values"]["val_accuracy"] == so2sat.query(cell_hash, "val_accuracy")
    assert plain["units"] == {m: ("fraction" if "accuracy" in m else plain["units"][m]) for m in plain["values"]}
    assert plain["units"]["train_time_s"] == "s" and plain["units"]["size_kb"] == "KiB"


BAD_QUERIES: dict[str, Callable] = {
    "row -1": lambda b: b.query_many(np.array([-1]), "val_accuracy"),
    "row past the end": lambda b: b.query_many(np.array([423_624]), "val_accuracy"),
    "row -1 in a list": lambda b: b.query_many([0, -1], "val_accuracy"),
    "float rows": lambda b: b.query_many(np.array([1.0, 2.0]), "val_accuracy"),
    "bool rows": lambda b: b.query_many(np.array([True]), "val_accuracy"),
    "query_rows float": lambda b: b.query_rows(np.array([1.5]), "val_accuracy"),
    "query_rows -1": lambda b: b.query_rows(np.array([-1]), "val_accuracy"),
    "float epoch query": lambda b: b.query(b.measured_hashes()[0], "val_accuracy", epoch=108.0),
    "float epoch query_many": lambda b: b.query_many(np.array([0]), "val_accuracy", epoch=108.0),
    "string epoch": lambda b: b.query_many(np.array([0]), "val_accuracy", epoch="108"),
    "float repeat": lambda b: b.query(b.measured_hashes()[0], "val_accuracy", repeat=0.0),
    "metric list in query": lambda b: b.query(b.measured_hashes()[0], ["val_accuracy"]),
    "int cell in query": lambda b: b.query(5, "val_accuracy"),
    "None cell": lambda b: b.query(None, "val_accuracy"),
    "one hash as cells": lambda b: b.query_many(b.measured_hashes()[0], "val_accuracy"),
    "unknown hash in array": lambda b: b.query_many(np.array(["0" * 32]), "val_accuracy"),
    "unknown hash in a list": lambda b: b.query_many([*b.measured_hashes()[:2].tolist(), "0" * 32], "val_accuracy"),
    "hash list with a number": lambda b: b.query_many([b.measured_hashes()[0], 3.5], "val_accuracy"),
    "float epoch query_all": lambda b: b.query_all(b.measured_hashes()[0], epoch=108.5),
}


@pytest.mark.parametrize("case", sorted(BAD_QUERIES))
def test_bad_query_arguments_raise_our_errors(so2sat, case):
    so2sat.query(so2sat.measured_hashes()[0], "val_accuracy")  # the column is cached: 108.0 must not hit it
    with pytest.raises(EONASLibError):
        BAD_QUERIES[case](so2sat)


# ------------------------------------------------------------------------------ import validation
def _edit_pickle(folder: Path, name: str, edit: Callable[[dict], None]) -> None:
    data = pickle.loads((folder / name).read_bytes())
    edit(data)
    (folder / name).write_bytes(pickle.dumps(data))


def _edit_json(folder: Path, name: str, edit: Callable[[object], object]) -> None:
    data = json.loads((folder / name).read_text())
    (folder / name).write_text(json.dumps(edit(data) or data))


def _first_run(data: dict) -> dict:
    return next(iter(data.values()))[1][108][0]


def _first_result(data: dict) -> dict:
    return next(iter(data.values()))


def _set(mapping: dict, key: str, value: object) -> None:
    mapping[key] = value


EO_FAULTS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "accuracy inf": ("final_validation_accuracy", lambda f: _edit_pickle(
        f, "database_pickle_micro.pickle", lambda d: _set(_first_run(d), "final_validation_accuracy", float("inf")))),
    "accuracy 1.7": ("final_test_accuracy", lambda f: _edit_pickle(
        f, "database_pickle_macro.pickle", lambda d: _set(_first_run(d), "final_test_accuracy", 1.7))),
    "negative training time": ("final_training_time", lambda f: _edit_pickle(
        f, "database_pickle_micro.pickle", lambda d: _set(_first_run(d), "final_training_time", -3.0))),
    "accuracy as text": ("final_train_accuracy", lambda f: _edit_pickle(
        f, "database_pickle_micro.pickle", lambda d: _set(_first_run(d), "final_train_accuracy", "0.5"))),
    "nan latency": ("final_validation_accuracy", lambda f: _edit_pickle(
        f, "database_pickle_latency.pickle", lambda d: _set(_first_run(d), "final_validation_accuracy", float("nan")))),
    "zero weight size": ("arch_size", lambda f: _edit_json(
        f, "test_results_sampled_all_paths.json", lambda d: _set(_first_result(d), "arch_size", 0))),
    "negative latency std": ("std_inference_time", lambda f: _edit_json(
        f, "test_results_sampled_all_paths.json", lambda d: _set(_first_result(d), "std_inference_time", -1.0))),
    "results as a list": ("test_results", lambda f: _edit_json(f, "test_results_sampled_all_paths.json", lambda d: list(d))),
    "bad arch id": ("arch_x", lambda f: _edit_json(
        f, "test_results_sampled_all_paths.json", lambda d: {"arch_x": _first_result(d)})),
    "missing field": ("arch_size", lambda f: _edit_json(
        f, "test_results_sampled_all_paths.json", lambda d: _first_result(d).pop("arch_size") and None)),
    "non-UTF-8 json": ("path_logs", lambda f: (f / "path_logs.json").write_bytes(b"\xff\xfe[1, 2]")),
    "walk step lacks step": ("walk 0", lambda f: _edit_json(f, "path_logs.json", lambda d: [[{"id": 1}]] + d[1:])),
    "walks as an object": ("path_logs", lambda f: _edit_json(f, "path_logs.json", lambda d: {"a": 1})),
    "record not a pair": ("database_pickle_micro", lambda f: _edit_pickle(
        f, "database_pickle_micro.pickle", lambda d: _set(d, next(iter(d)), 5))),
    "pickle holds a list": ("database_pickle_MACs", lambda f: (f / "database_pickle_MACs.pickle").write_bytes(pickle.dumps([1, 2]))),
    "truncated pickle": ("database_pickle_micro", lambda f: (f / "database_pickle_micro.pickle").write_bytes(
        (f / "database_pickle_micro.pickle").read_bytes()[:5000])),
    "directory for a file": ("path_logs", lambda f: ((f / "path_logs.json").unlink(), (f / "path_logs.json").mkdir())),
}

SUBSET_FAULTS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "ragged column": ("final_training_time", lambda f: _edit_json(
        f, "data-20k.json", lambda d: _set(d, "final_training_time", d["final_training_time"][:-1]))),
    "string values": ("108_final_validation_accuracy", lambda f: _edit_json(
        f, "data-10k.json", lambda d: _set(d, "108_final_validation_accuracy", ["x"] * len(d["key"])))),
    "bool value": ("trainable_parameters", lambda f: _edit_json(
        f, "data-10k.json", lambda d: d["trainable_parameters"].__setitem__(3, True))),
    "accuracy 1.7": ("4_final_validation_accuracy", lambda f: _edit_json(
        f, "data-20k.json", lambda d: d["4_final_validation_accuracy"].__setitem__(7, 1.7))),
    "null value": ("12_final_validation_accuracy", lambda f: _edit_json(
        f, "data-20k.json", lambda d: d["12_final_validation_accuracy"].__setitem__(7, None))),
    "negative time": ("final_training_time", lambda f: _edit_json(
        f, "data-10k.json", lambda d: d["final_training_time"].__setitem__(0, -1.0))),
    "missing column": ("trainable_parameters", lambda f: _edit_json(f, "data-20k.json", lambda d: d.pop("trainable_parameters") and None)),
    "not a hash key": ("key", lambda f: _edit_json(f, "data-20k.json", lambda d: d["key"].__setitem__(0, 12))),
    "file is a list": ("data-10k", lambda f: _edit_json(f, "data-10k.json", lambda d: [1, 2, 3])),
    "bad cell in data-1k": ("data-1k", lambda f: _edit_json(f, "data-1k.json", lambda d: d["operations"].__setitem__(0, [9] * 7))),
}


def _copy(source: Path, tmp_path: Path) -> Path:
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


@pytest.mark.parametrize("case", sorted(EO_FAULTS))
def test_invalid_eo_sources_are_refused_in_one_line(eo_data, tmp_path, capsys, case):
    named, corrupt = EO_FAULTS[case]
    folder = _copy(eo_data, tmp_path)
    corrupt(folder)
    store = tmp_path / "store"
    assert main(["data", "import", str(folder), "--data-dir", str(store), "--no-surrogate"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err, err
    assert not store.exists()


@pytest.mark.parametrize("case", sorted(SUBSET_FAULTS))
def test_invalid_subset_sources_are_refused_in_one_line(nb101_subset, tmp_path, case):
    named, corrupt = SUBSET_FAULTS[case]
    folder = _copy(nb101_subset, tmp_path)
    corrupt(folder)
    with pytest.raises(DataFileError) as error:
        import_nb101_subset(folder)
    assert len(str(error.value).splitlines()) == 1 and named in str(error.value), str(error.value)


def test_record_and_field_are_named(eo_data, tmp_path):
    folder = _copy(eo_data, tmp_path)
    first = next(iter(pickle.loads((folder / "database_pickle_micro.pickle").read_bytes())))
    EO_FAULTS["accuracy 1.7"][1](folder)
    with pytest.raises(DataFileError, match=rf"database_pickle_macro.pickle: record {first}: field '108/0/final_test_accuracy' = 1.7"):
        import_so2sat(folder)


def test_an_edited_source_is_imported_with_a_warning(eo_data, tmp_path, caplog):
    folder = _copy(eo_data, tmp_path)
    _edit_json(folder, "path_logs.json", lambda d: d)  # same content, other bytes
    with caplog.at_level(logging.WARNING, logger="eo_naslib.benchmarks.importers"):
        store = import_path(folder)
    assert any("path_logs.json has sha256" in r.getMessage() and "pinned" in r.getMessage() for r in caplog.records)
    flags = {s["file"]: s["matches_pinned_sha256"] for s in store.provenance["sources"]}
    assert flags["path_logs.json"] is False and flags["database_pickle_micro.pickle"] is True


def test_a_gzip_bomb_is_refused(tmp_path, eo_data):
    folder = _copy(eo_data, tmp_path)
    (folder / "path_logs.json").unlink()
    with gzip.open(folder / "path_logs.json.gz", "wb") as handle:
        for _ in range(300):
            handle.write(b" " * (1 << 20))
    with pytest.raises(DataFileError, match="decompresses to more than"):
        import_so2sat(folder)


# ------------------------------------------------------------------------------ data dir and CLI
def test_stray_files_do_not_break_data_info(data_dir, tmp_path, capsys):
    shutil.copy(data_dir / "so2sat.store.npz", tmp_path / "so2sat.store.npz")
    (tmp_path / "notes.json").write_text("{not json")
    np.savez(tmp_path / "notes.npz", a=np.arange(3))
    (tmp_path / "bogus.store.npz").write_bytes(b"PK\x03\x04 garbage")
    (tmp_path / ".tmp-cifar10.store.npz.abc123").write_bytes(b"half a store")
    assert main(["data", "info", "--data-dir", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)["benchmarks"]
    assert set(report) == {"so2sat", "bogus"} and report["so2sat"]["measured_cells"] == 450
    assert "error" in report["bogus"]


def test_download_without_network_is_one_line(tmp_path, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise requests.exceptions.ConnectionError("HTTPSConnectionPool(host='raw.githubusercontent.com'): Max retries\nexceeded")

    monkeypatch.setattr(pooch, "retrieve", offline)
    assert main(["data", "download", "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "download failed" in err and "check the network" in err


def test_missing_bundled_data_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("EO_NASLIB_BENCHMARKS_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataFileError, match="eo-naslib data import"):
        load_benchmark("so2sat", tmp_path / "data")
    with pytest.raises(DataFileError, match="choose one of"):
        load_benchmark(["so2sat"], tmp_path / "data")
