"""Convert the public benchmark files into `BenchmarkStore`s (no surrogate yet; see `completion`).

- So2Sat LCZ42 (EO HW-NAS, seed 000): the four NB101-layout pickles (accuracies micro and macro;
  latency and "MACs" smuggled into accuracy fields), path_logs.json (30 recorded walks) and
  test_results_sampled_all_paths.json (latency std, weight size; cross-checked against the pickles).
- NB101 on CIFAR-10: the 30,001-cell subset JSON files, NASLib's `nasbench_only108.pkl`, or the
  official TFRecord files.

Source files may be plain or gzip-compressed (`name.gz`, as in `benchmarks_data/`). Every value
is schema-checked (`validation`) before a store is built; a source whose sha256 differs from the
pinned one is imported with a warning, recorded in the store's provenance.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError, InvalidCellError
from ..io import decode_json
from ..space import Cell, CellTable, all_cells
from .formats.compressed import locate, read_source, source_name
from .formats.nasbench import read_nasbench_tfrecord, read_naslib_pickle
from .formats.safe_pickle import safe_loads
from .sources import EO_COMMIT, EO_REPO, KNOWN_SHA256, SUBSET_COMMIT, SUBSET_REPO
from .store import BenchmarkStore, MetricRecord, column_key, sha256_of
from .validation import check_column, check_number

log = logging.getLogger(__name__)

#: NB101 layout field -> our metric name
NB101_FIELDS = {
    "final_train_accuracy": "train_accuracy",
    "final_validation_accuracy": "val_accuracy",
    "final_test_accuracy": "test_accuracy",
    "final_training_time": "train_time_s",
}
EO_FILES = (
    "database_pickle_micro.pickle",
    "database_pickle_macro.pickle",
    "database_pickle_latency.pickle",
    "database_pickle_MACs.pickle",
    "path_logs.json",
    "test_results_sampled_all_paths.json",
)
SUBSET_FILES = ("data-20k.json", "data-10k.json", "data-1k.json")
CIFAR10_PARAMS_NOTE = "trainable parameters of NB101's CIFAR-10 network (3 input channels, 10 classes)"
SO2SAT_PARAMS_NOTE = (
    "trainable parameters of the NB101 network for So2Sat Sentinel-2 (10 input bands, 17 classes): "
    "eo_naslib.training.network reproduces all 450 counts (tests/test_training_network.py)"
)


def _provenance_of(files: dict[Path, bytes], url_of: Callable[[str], str]) -> list[dict[str, Any]]:
    """Each file's name, sha256 (of the decompressed bytes) and public source; warns when not the pinned one."""
    records = []
    for path, data in files.items():
        name, digest = source_name(path), hashlib.sha256(data).hexdigest()
        pinned = KNOWN_SHA256.get(name)
        if pinned is not None and pinned != digest:
            log.warning("%s has sha256 %s, not the pinned %s of the public source: importing an edited copy", path, digest, pinned)
        records.append(
            {
                "file": name,
                "imported_from": str(path.resolve()),
                "url": url_of(name),
                "sha256": digest,
                "matches_pinned_sha256": pinned is None or pinned == digest,
            }
        )
    return records


def _parse_json(path: Path, data: bytes) -> Any:
    try:
        return decode_json(data)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise DataFileError(f"{path} is not valid UTF-8 JSON ({exc}); restore it from its source (`eo-naslib data download`)") from None


def _require_files(folder: Path, names: tuple[str, ...]) -> dict[str, Path]:
    """name -> path of each source in `folder` (plain or `.gz`); missing ones raise."""
    found = {n: locate(folder, n) for n in names}
    missing = [n for n, p in found.items() if p is None]
    if missing:
        raise DataFileError(f"{folder} lacks {missing}; fetch them with `eo-naslib data download`")
    return {n: p for n, p in found.items() if p is not None}


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise DataFileError(message)


def _nb101_runs(
    data: Mapping[str, Any], source: str, checked: bool = True
) -> dict[str, dict[int, list[dict[str, float]]]]:
    """hash -> {epochs: [run dicts]} from NB101's (fixed, computed) layout, structure and values checked.

    `checked=False` skips the metric ranges (files that smuggle other quantities into accuracy fields).
    """
    _expect(isinstance(data, Mapping) and len(data) > 0, f"{source} holds {type(data).__name__}, not a non-empty dict of NB101 records")
    runs = {}
    for cell_hash, entry in data.items():
        try:
            fixed, computed = entry
            check_number(fixed["trainable_parameters"], source, cell_hash, "trainable_parameters", "params" if checked else None)
            runs[str(cell_hash)] = {
                int(e): [
                    {
                        k: check_number(v, source, cell_hash, f"{e}/{r}/{k}", NB101_FIELDS.get(k) if checked else None)
                        for k, v in run.items()
                        if k in NB101_FIELDS
                    }
                    for r, run in enumerate(rs)
                ]
                for e, rs in computed.items()
            }
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise DataFileError(
                f"{source}: record {cell_hash!r} is not NB101's (fixed, computed) layout ({exc!r}); "
                "re-download the file with `eo-naslib data download`"
            ) from None
    return runs


def _check_hashes(data: Mapping[str, Any], source: str) -> None:
    """Every record's hash must be the NB101 hash of its own cell."""
    for cell_hash, (fixed, _) in data.items():
        try:
            cell = Cell(fixed["module_adjacency"], fixed["module_operations"])
        except (InvalidCellError, KeyError, TypeError, ValueError) as exc:
            raise DataFileError(f"{source}: record {cell_hash}: field 'module_adjacency/module_operations' is not a valid cell ({exc})") from None
        if cell.hash != cell_hash:
            raise DataFileError(f"{source}: record {cell_hash} holds a cell whose NB101 hash is {cell.hash}")


def _columns_from_nb101(
    data: Mapping[str, Any], hashes: np.ndarray, epochs: list[int], source: str, checked: bool = True
) -> tuple[dict[str, np.ndarray], int]:
    """(n, repeats) columns per metric@epoch of NB101-layout records; NaN where a run is absent."""
    runs = _nb101_runs(data, source, checked)
    repeats = max(len(rs) for cell in runs.values() for rs in cell.values())
    columns = {column_key(m, e): np.full((len(hashes), repeats), np.nan) for m in NB101_FIELDS.values() for e in epochs}
    for i, cell_hash in enumerate(hashes):
        for epoch, cell_runs in runs[cell_hash].items():
            for r, run in enumerate(cell_runs):
                for field_name, metric in NB101_FIELDS.items():
                    if field_name in run:
                        columns[column_key(metric, epoch)][i, r] = run[field_name]
    return columns, repeats


def _single_field(data: Mapping[str, Any], hashes: np.ndarray, field_name: str, metric: str, source: str) -> np.ndarray:
    """(n, 1) values of one run field of a one-epoch, one-repeat NB101-layout pickle, range-checked as `metric`."""
    try:
        return np.array([[check_number(data[h][1][108][0][field_name], source, h, field_name, metric)] for h in hashes])
    except (KeyError, IndexError, TypeError) as exc:
        raise DataFileError(f"{source}: a record lacks 108/0/{field_name} ({exc!r}); restore the file from its source") from None


def import_so2sat(folder: str | os.PathLike, space: CellTable | None = None) -> BenchmarkStore:
    """The EO HW-NAS So2Sat LCZ42 benchmark (450 cells, 108 epochs) from its source folder."""
    folder = Path(folder)
    paths = _require_files(folder, EO_FILES)
    raw = {paths[n]: read_source(paths[n]) for n in EO_FILES}
    space = space if space is not None else all_cells()
    micro, macro, latency, fake_macs = (safe_loads(raw[paths[n]], str(paths[n])) for n in EO_FILES[:4])
    for name, data in zip(EO_FILES[:4], (micro, macro, latency, fake_macs)):
        _expect(isinstance(data, Mapping) and len(data) > 0, f"{paths[name]} holds {type(data).__name__}, not a non-empty dict of NB101 records")
    if not set(micro) == set(macro) == set(latency) == set(fake_macs):
        raise DataFileError(f"the four pickles in {folder} hold different cells; re-download them")
    source = str(paths[EO_FILES[0]])
    _nb101_runs(latency, str(paths[EO_FILES[2]]), checked=False)
    _nb101_runs(fake_macs, str(paths[EO_FILES[3]]), checked=False)
    hashes = np.array(sorted(micro), dtype="U32")
    columns, _ = _columns_from_nb101(micro, hashes, [108], source)
    _check_hashes(micro, source)
    macro_columns, _ = _columns_from_nb101(macro, hashes, [108], str(paths[EO_FILES[1]]))
    for split in ("train", "val", "test"):
        columns[f"{split}_accuracy_macro@108"] = macro_columns[f"{split}_accuracy@108"]
    columns["latency_ms"] = _single_field(latency, hashes, "final_validation_accuracy", "latency_ms", str(paths[EO_FILES[2]]))
    columns["params"] = np.array([[float(micro[h][0]["trainable_parameters"])] for h in hashes])
    results_path = paths["test_results_sampled_all_paths.json"]
    columns.update(_test_results_columns(results_path, _parse_json(results_path, raw[results_path]), hashes, space, columns))
    accuracy = {"epochs": [108], "repeats": 1}
    metrics = {
        **{m: MetricRecord(**accuracy) for m in ("train_accuracy", "val_accuracy", "test_accuracy")},
        **{f"{s}_accuracy_macro": MetricRecord(**accuracy) for s in ("train", "val", "test")},
        "train_time_s": MetricRecord([108], 1, "wall time of the whole 108-epoch training run"),
        "latency_ms": MetricRecord(None, 1, "mean inference time of one batch"),
        "latency_std_ms": MetricRecord(None, 1, "standard deviation of the inference time of one batch"),
        "params": MetricRecord(None, 1, SO2SAT_PARAMS_NOTE),
        "size_kb": MetricRecord(None, 1, "size of the saved weights in KiB"),
    }
    return BenchmarkStore(
        name="so2sat",
        description="So2Sat LCZ42 (Sentinel-2, 10 bands, 17 classes): NB101 cells trained 108 epochs (EO HW-NAS, seed 000)",
        hashes=hashes,
        fidelities=[108],
        default_epoch=108,
        metrics=metrics,
        columns=columns,
        provenance={
            "sources": _provenance_of(raw, lambda n: f"https://github.com/{EO_REPO}/tree/{EO_COMMIT}"),
            "licence": "MIT (emreds/tum-dlr-automl-for-eo)",
            "latency": {
                "device": "one NVIDIA A100",
                "batch_size": 64,
                "dtype": "not recorded by the source",
                "timed_window": "forward pass including the host-to-device copy of the batch",
            },
            "params_model": SO2SAT_PARAMS_NOTE,
            "macs": "not published: the source's 'MACs' field is the parameter count in millions (3 cells x1000 mis-scaled)",
            "accuracy": "micro = overall accuracy (our *_accuracy), macro = class-averaged (*_accuracy_macro)",
        },
        walks=_walks(paths["path_logs.json"], _parse_json(paths["path_logs.json"], raw[paths["path_logs.json"]]), space),
    )


_ARCH = re.compile(r"^arch_(\d+)$")


def _test_results_columns(
    path: Path, results: Any, hashes: np.ndarray, space: CellTable, columns: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Latency std and weight size from the test-results JSON, whose ids are NB101 hash ranks."""
    _expect(isinstance(results, dict), f"{path} holds a JSON {type(results).__name__}, expected an object of arch_<id> records")
    row_of = {h: i for i, h in enumerate(hashes)}
    std, size = np.full((len(hashes), 1), np.nan), np.full((len(hashes), 1), np.nan)
    for arch, record in results.items():
        match = _ARCH.match(arch)
        _expect(match is not None and int(match.group(1)) < len(space), f"{path}: record {arch!r} is not arch_<NB101 hash rank>")
        cell_hash = str(space.hashes[int(match.group(1))])
        i = row_of.get(cell_hash)
        if i is None:
            raise DataFileError(f"{path}: {arch} (hash {cell_hash}) is not among the pickles' cells")
        try:
            fields = (
                ("accuracy/micro", record["accuracy"]["micro"], "test_accuracy", columns["test_accuracy@108"]),
                ("accuracy/macro", record["accuracy"]["macro"], "test_accuracy_macro", columns["test_accuracy_macro@108"]),
                ("avg_inference_time", record["avg_inference_time"], "latency_ms", columns["latency_ms"]),
                ("num_params", record["num_params"], "params", columns["params"]),
            )
            extra = record["std_inference_time"], record["arch_size"]
        except (KeyError, TypeError) as exc:
            raise DataFileError(f"{path}: record {arch}: field {exc} is missing or not an object; restore the file") from None
        for field_name, value, metric, column in fields:
            if not np.isclose(check_number(value, str(path), arch, field_name, metric), column[i, 0], rtol=1e-9):
                raise DataFileError(f"{path}: {arch} disagrees with the pickles ({value} vs {column[i, 0]})")
        std[i, 0] = check_number(extra[0], str(path), arch, "std_inference_time", "latency_std_ms")
        size[i, 0] = check_number(extra[1], str(path), arch, "arch_size", "size_kb")
    return {"latency_std_ms": std, "size_kb": size}


def _walks(path: Path, walks_data: Any, space: CellTable) -> list[list[str]]:
    """The recorded random walks as hash lists, each step's hash and id checked against its cell."""
    _expect(isinstance(walks_data, list), f"{path} holds a JSON {type(walks_data).__name__}, expected a list of walks")
    walks = []
    for w, walk in enumerate(walks_data):
        try:
            steps = sorted(walk, key=lambda s: s["step"])
            for step in steps:
                cell_hash = Cell(step["module_adjacency"], step["module_operations"]).hash
                if cell_hash != step["unique_hash"] or space.hashes[step["id"]] != cell_hash:
                    raise DataFileError(f"{path}: walk {w} step {step['step']} has an inconsistent hash or id")
        except (KeyError, TypeError, IndexError, ValueError, InvalidCellError) as exc:
            raise DataFileError(f"{path}: walk {w}: a step is malformed ({exc!r}); restore the file from its source") from None
        walks.append([s["unique_hash"] for s in steps])
    return walks


SUBSET_FIELDS = {
    **{f"{e}_final_validation_accuracy": (f"val_accuracy@{e}", "val_accuracy") for e in (4, 12, 36, 108)},
    "final_training_time": ("train_time_s@108", "train_time_s"),
    "trainable_parameters": ("params", "params"),
}


def _subset_part(path: Path, part: Any, space_hashes: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(keys, column -> values) of one subset file, every field and value checked."""
    _expect(isinstance(part, dict), f"{path} holds a JSON {type(part).__name__}, expected an object of parallel lists")
    missing = [f for f in ("key", *SUBSET_FIELDS) if f not in part]
    _expect(not missing, f"{path} lacks the field(s) {missing}; restore the file from its source")
    keys = part["key"]
    _expect(
        isinstance(keys, list) and len(keys) > 0 and all(isinstance(k, str) and len(k) == 32 for k in keys),
        f"{path}: field 'key' must be a non-empty list of 32-character NB101 hashes",
    )
    keys = np.asarray(keys, dtype="U32")
    unknown = np.setdiff1d(keys, space_hashes)
    _expect(len(unknown) == 0, f"{path}: {len(unknown)} keys are not NB101 hashes, e.g. record {unknown[:1].tolist()}")
    columns = {
        column: check_column(part[field], len(keys), str(path), field, metric, keys)
        for field, (column, metric) in SUBSET_FIELDS.items()
    }
    return keys, columns


def import_nb101_subset(folder: str | os.PathLike, space: CellTable | None = None) -> BenchmarkStore:
    """The 30,001-cell NB101 CIFAR-10 subset (first training repeat; validation accuracy only)."""
    folder = Path(folder)
    paths = _require_files(folder, SUBSET_FILES)
    raw = {paths[n]: read_source(paths[n]) for n in SUBSET_FILES}
    space = space if space is not None else all_cells()
    parts = [_subset_part(paths[n], _parse_json(paths[n], raw[paths[n]]), space.hashes) for n in SUBSET_FILES[:2]]
    keys = np.concatenate([k for k, _ in parts])
    _expect(len(np.unique(keys)) == len(keys), f"{folder}: {SUBSET_FILES[0]} and {SUBSET_FILES[1]} share keys; restore them")
    _check_subset_cells(paths[SUBSET_FILES[2]], _parse_json(paths[SUBSET_FILES[2]], raw[paths[SUBSET_FILES[2]]]))
    epochs = [4, 12, 36, 108]
    columns = {column: np.concatenate([c[column] for _, c in parts])[:, None] for column, _ in SUBSET_FIELDS.values()}
    return BenchmarkStore(
        name="cifar10",
        description="NAS-Bench-101 on CIFAR-10: 30,001-cell subset of the official table (first training repeat)",
        hashes=keys,
        fidelities=epochs,
        default_epoch=108,
        metrics={
            "val_accuracy": MetricRecord(epochs, 1, "repeat 0 of NB101's 3 training runs; the subset has no other repeat"),
            "train_time_s": MetricRecord([108], 1, "wall time of the 108-epoch run (repeat 0)"),
            "params": MetricRecord(None, 1, CIFAR10_PARAMS_NOTE),
        },
        columns=columns,
        provenance={
            "sources": _provenance_of(raw, lambda n: f"https://github.com/{SUBSET_REPO}/tree/{SUBSET_COMMIT}"),
            "origin": "google-research/nasbench (Ying et al. 2019), CC BY 4.0",
            "limits": "validation accuracy of the first repeat only; no test or train accuracy",
            "params_model": CIFAR10_PARAMS_NOTE,
        },
    )


def _check_subset_cells(path: Path, part: Any) -> None:
    """data-1k.json carries the cells of its keys: their NB101 hashes must match."""
    _expect(isinstance(part, dict) and all(f in part for f in ("key", "operations", "adjacency")),
            f"{path} must be an object with the lists 'key', 'operations' and 'adjacency'")
    op_names = {0: "conv3x3-bn-relu", 1: "conv1x1-bn-relu", 2: "maxpool3x3", -1: "input", -2: "output"}
    for key, ops, adjacency in zip(part["key"], part["operations"], part["adjacency"]):
        try:
            n = sum(1 for op in ops if op != -3)
            cell = Cell(np.asarray(adjacency, dtype=int)[:n, :n], [op_names[op] for op in ops[:n]])
        except (InvalidCellError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataFileError(f"{path}: record {key}: field 'operations/adjacency' is not a valid cell ({exc})") from None
        if cell.hash != key:
            raise DataFileError(f"{path}: key {key} holds a cell whose NB101 hash is {cell.hash}")


def store_from_nb101_layout(data: Mapping[str, Any], source: Path) -> BenchmarkStore:
    """A `cifar10` store from NB101's layout (NASLib pickle or official TFRecord, all repeats)."""
    hashes = np.array(sorted(data), dtype="U32")
    runs = _nb101_runs(data, str(source))
    epochs = sorted({e for cell in runs.values() for e in cell})
    columns, repeats = _columns_from_nb101(data, hashes, epochs, str(source))
    columns = {k: v for k, v in columns.items() if not np.isnan(v).all()}
    columns["params"] = np.array([[float(data[h][0]["trainable_parameters"])] for h in hashes])
    metrics = {
        m: MetricRecord([e for e in epochs if column_key(m, e) in columns], repeats, f"mean of up to {repeats} training runs")
        for m in NB101_FIELDS.values()
        if any(column_key(m, e) in columns for e in epochs)
    }
    metrics["params"] = MetricRecord(None, 1, CIFAR10_PARAMS_NOTE)
    return BenchmarkStore(
        name="cifar10",
        description=f"NAS-Bench-101 on CIFAR-10 ({len(hashes):,} cells, epochs {epochs}, {repeats} repeats)",
        hashes=hashes,
        fidelities=epochs,
        default_epoch=max(epochs),
        metrics=metrics,
        columns=columns,
        provenance={
            "sources": [{"file": source.name, "imported_from": str(source.resolve()), "url": "https://github.com/google-research/nasbench",
                         "sha256": sha256_of(source), "matches_pinned_sha256": True}],
            "origin": "google-research/nasbench (Ying et al. 2019), CC BY 4.0",
            "params_model": CIFAR10_PARAMS_NOTE,
        },
    )


def import_path(path: str | os.PathLike, space: CellTable | None = None) -> BenchmarkStore:
    """Recognise what `path` holds (EO folder, subset folder, NASLib .pkl, official .tfrecord)."""
    path = Path(path)
    if path.is_dir():
        if locate(path, EO_FILES[0]):
            return import_so2sat(path, space)
        if locate(path, SUBSET_FILES[0]):
            return import_nb101_subset(path, space)
        raise DataFileError(
            f"{path} holds neither the EO HW-NAS files ({EO_FILES[0]}, ...) nor the NB101 subset ({SUBSET_FILES[0]}, ...)"
        )
    if not path.exists():
        raise DataFileError(f"{path} does not exist; give a data folder, a .pkl or a .tfrecord file")
    if path.suffix == ".pkl":
        return store_from_nb101_layout(read_naslib_pickle(path), path)
    if path.suffix == ".tfrecord":
        return store_from_nb101_layout(read_nasbench_tfrecord(path, progress=True), path)
    raise DataFileError(f"{path}: unknown benchmark file type {path.suffix!r}; expected a folder, .pkl or .tfrecord")
