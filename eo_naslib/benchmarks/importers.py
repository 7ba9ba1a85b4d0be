"""Convert the public benchmark files into `BenchmarkStore`s (no surrogate yet; see `completion`).

- So2Sat LCZ42 (EO HW-NAS, seed 000): the four NB101-layout pickles (accuracies micro and macro;
  latency and "MACs" smuggled into accuracy fields), path_logs.json (30 recorded walks) and
  test_results_sampled_all_paths.json (latency std, weight size; cross-checked against the pickles).
- NB101 on CIFAR-10: the 30,001-cell subset JSON files, NASLib's `nasbench_only108.pkl`, or the
  official TFRecord files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError
from ..space import Cell, CellTable, all_cells
from .formats.safe_pickle import safe_load
from .sources import EO_COMMIT, EO_REPO, KNOWN_SHA256, SUBSET_COMMIT, SUBSET_REPO
from .store import BenchmarkStore, MetricRecord, column_key, sha256_of

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


def _provenance_of(paths: list[Path], url_of: Callable[[str], str]) -> list[dict[str, str]]:
    """Each file's name, sha256 and public source; warns in the record when it is not the pinned one."""
    records = []
    for path in paths:
        digest = sha256_of(path)
        pinned = KNOWN_SHA256.get(path.name)
        records.append(
            {
                "file": path.name,
                "imported_from": str(path.resolve()),
                "url": url_of(path.name),
                "sha256": digest,
                "matches_pinned_sha256": pinned is None or pinned == digest,
            }
        )
    return records


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror}; check the path or run `eo-naslib data download`") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path} is not valid JSON ({exc}); re-download it with `eo-naslib data download`") from None


def _require_files(folder: Path, names: tuple[str, ...]) -> list[Path]:
    missing = [n for n in names if not (folder / n).exists()]
    if missing:
        raise DataFileError(f"{folder} lacks {missing}; fetch them with `eo-naslib data download`")
    return [folder / n for n in names]


def _nb101_runs(data: Mapping[str, Any], source: str) -> dict[str, dict[int, list[dict[str, float]]]]:
    """hash -> {epochs: [run dicts]} from NB101's (fixed, computed) layout, structure checked."""
    runs = {}
    for cell_hash, entry in data.items():
        try:
            fixed, computed = entry
            runs[str(cell_hash)] = {int(e): [{k: float(v) for k, v in r.items()} for r in rs] for e, rs in computed.items()}
            int(fixed["trainable_parameters"])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise DataFileError(
                f"{source}: entry {cell_hash!r} is not NB101's (fixed, computed) layout ({exc!r}); "
                "re-download the file with `eo-naslib data download`"
            ) from None
    return runs


def _check_hashes(data: Mapping[str, Any], source: str) -> None:
    """Every record's hash must be the NB101 hash of its own cell."""
    for cell_hash, (fixed, _) in data.items():
        cell = Cell(fixed["module_adjacency"], fixed["module_operations"])
        if cell.hash != cell_hash:
            raise DataFileError(f"{source}: record {cell_hash} holds a cell whose NB101 hash is {cell.hash}")


def _columns_from_nb101(
    data: Mapping[str, Any], hashes: np.ndarray, epochs: list[int], source: str
) -> tuple[dict[str, np.ndarray], int]:
    """(n, repeats) columns per metric@epoch of NB101-layout records; NaN where a run is absent."""
    runs = _nb101_runs(data, source)
    repeats = max(len(rs) for cell in runs.values() for rs in cell.values())
    columns = {column_key(m, e): np.full((len(hashes), repeats), np.nan) for m in NB101_FIELDS.values() for e in epochs}
    for i, cell_hash in enumerate(hashes):
        for epoch, cell_runs in runs[cell_hash].items():
            for r, run in enumerate(cell_runs):
                for field_name, metric in NB101_FIELDS.items():
                    if field_name in run:
                        columns[column_key(metric, epoch)][i, r] = run[field_name]
    return columns, repeats


def _single_field(data: Mapping[str, Any], hashes: np.ndarray, field_name: str) -> np.ndarray:
    """(n, 1) values of one run field of a one-epoch, one-repeat NB101-layout pickle."""
    return np.array([[float(data[h][1][108][0][field_name])] for h in hashes])


def import_so2sat(folder: str | os.PathLike, space: CellTable | None = None) -> BenchmarkStore:
    """The EO HW-NAS So2Sat LCZ42 benchmark (450 cells, 108 epochs) from its source folder."""
    folder = Path(folder)
    paths = dict(zip(EO_FILES, _require_files(folder, EO_FILES)))
    space = space if space is not None else all_cells()
    micro, macro, latency, fake_macs = (safe_load(paths[n]) for n in EO_FILES[:4])
    if not set(micro) == set(macro) == set(latency) == set(fake_macs):
        raise DataFileError(f"the four pickles in {folder} hold different cells; re-download them")
    _check_hashes(micro, str(paths[EO_FILES[0]]))
    hashes = np.array(sorted(micro), dtype="U32")
    columns, _ = _columns_from_nb101(micro, hashes, [108], str(paths[EO_FILES[0]]))
    macro_columns, _ = _columns_from_nb101(macro, hashes, [108], str(paths[EO_FILES[1]]))
    for split in ("train", "val", "test"):
        columns[f"{split}_accuracy_macro@108"] = macro_columns[f"{split}_accuracy@108"]
    columns["latency_ms"] = _single_field(latency, hashes, "final_validation_accuracy")
    columns["params"] = np.array([[float(micro[h][0]["trainable_parameters"])] for h in hashes])
    columns.update(_test_results_columns(paths["test_results_sampled_all_paths.json"], hashes, space, columns))
    accuracy = {"epochs": [108], "repeats": 1}
    metrics = {
        **{m: MetricRecord(**accuracy) for m in ("train_accuracy", "val_accuracy", "test_accuracy")},
        **{f"{s}_accuracy_macro": MetricRecord(**accuracy) for s in ("train", "val", "test")},
        "train_time_s": MetricRecord([108], 1, "wall time of the whole 108-epoch training run"),
        "latency_ms": MetricRecord(None, 1, "mean inference time of one batch"),
        "latency_std_ms": MetricRecord(None, 1, "standard deviation of the inference time of one batch"),
        "params": MetricRecord(None, 1, CIFAR10_PARAMS_NOTE + ", as published by the source; not the So2Sat model"),
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
            "sources": _provenance_of(list(paths.values()), lambda n: f"https://github.com/{EO_REPO}/tree/{EO_COMMIT}"),
            "licence": "MIT (emreds/tum-dlr-automl-for-eo)",
            "latency": {
                "device": "one NVIDIA A100",
                "batch_size": 64,
                "dtype": "not recorded by the source",
                "timed_window": "forward pass including the host-to-device copy of the batch",
            },
            "params_model": CIFAR10_PARAMS_NOTE,
            "macs": "not published: the source's 'MACs' field is the parameter count in millions (3 cells x1000 mis-scaled)",
            "accuracy": "micro = overall accuracy (our *_accuracy), macro = class-averaged (*_accuracy_macro)",
        },
        walks=_walks(paths["path_logs.json"], space),
    )


def _test_results_columns(
    path: Path, hashes: np.ndarray, space: CellTable, columns: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Latency std and weight size from the test-results JSON, whose ids are NB101 hash ranks."""
    results = _read_json(path)
    row_of = {h: i for i, h in enumerate(hashes)}
    std, size = np.full((len(hashes), 1), np.nan), np.full((len(hashes), 1), np.nan)
    for arch, record in results.items():
        cell_hash = str(space.hashes[int(arch.removeprefix("arch_"))])
        i = row_of.get(cell_hash)
        if i is None:
            raise DataFileError(f"{path}: {arch} (hash {cell_hash}) is not among the pickles' cells")
        for value, column in (
            (record["accuracy"]["micro"], columns["test_accuracy@108"]),
            (record["accuracy"]["macro"], columns["test_accuracy_macro@108"]),
            (record["avg_inference_time"], columns["latency_ms"]),
            (record["num_params"], columns["params"]),
        ):
            if not np.isclose(value, column[i, 0], rtol=1e-9):
                raise DataFileError(f"{path}: {arch} disagrees with the pickles ({value} vs {column[i, 0]})")
        std[i, 0], size[i, 0] = record["std_inference_time"], record["arch_size"]
    return {"latency_std_ms": std, "size_kb": size}


def _walks(path: Path, space: CellTable) -> list[list[str]]:
    """The recorded random walks as hash lists, each step's hash and id checked against its cell."""
    walks = []
    for w, walk in enumerate(_read_json(path)):
        steps = sorted(walk, key=lambda s: s["step"])
        for step in steps:
            cell_hash = Cell(step["module_adjacency"], step["module_operations"]).hash
            if cell_hash != step["unique_hash"] or space.hashes[step["id"]] != cell_hash:
                raise DataFileError(f"{path}: walk {w} step {step['step']} has an inconsistent hash or id")
        walks.append([s["unique_hash"] for s in steps])
    return walks


def import_nb101_subset(folder: str | os.PathLike, space: CellTable | None = None) -> BenchmarkStore:
    """The 30,001-cell NB101 CIFAR-10 subset (first training repeat; validation accuracy only)."""
    folder = Path(folder)
    paths = _require_files(folder, SUBSET_FILES)
    space = space if space is not None else all_cells()
    parts = [_read_json(p) for p in paths[:2]]
    keys = np.concatenate([np.asarray(p["key"], dtype="U32") for p in parts])
    missing = np.setdiff1d(keys, space.hashes)
    if len(missing):
        raise DataFileError(f"{folder}: {len(missing)} keys are not NB101 hashes, e.g. {missing[0]}")
    _check_subset_cells(paths[2])
    epochs = [4, 12, 36, 108]
    columns = {
        f"val_accuracy@{e}": np.concatenate([p[f"{e}_final_validation_accuracy"] for p in parts])[:, None] for e in epochs
    }
    columns["train_time_s@108"] = np.concatenate([p["final_training_time"] for p in parts])[:, None]
    columns["params"] = np.concatenate([p["trainable_parameters"] for p in parts]).astype(float)[:, None]
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
            "sources": _provenance_of(paths, lambda n: f"https://github.com/{SUBSET_REPO}/tree/{SUBSET_COMMIT}"),
            "origin": "google-research/nasbench (Ying et al. 2019), CC BY 4.0",
            "limits": "validation accuracy of the first repeat only; no test or train accuracy",
            "params_model": CIFAR10_PARAMS_NOTE,
        },
    )


def _check_subset_cells(path: Path) -> None:
    """data-1k.json carries the cells of its keys: their NB101 hashes must match."""
    part = _read_json(path)
    op_names = {0: "conv3x3-bn-relu", 1: "conv1x1-bn-relu", 2: "maxpool3x3", -1: "input", -2: "output"}
    for key, ops, adjacency in zip(part["key"], part["operations"], part["adjacency"]):
        n = sum(1 for op in ops if op != -3)
        cell = Cell(np.asarray(adjacency, dtype=int)[:n, :n], [op_names[op] for op in ops[:n]])
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
            "sources": _provenance_of([source], lambda n: "https://github.com/google-research/nasbench"),
            "origin": "google-research/nasbench (Ying et al. 2019), CC BY 4.0",
            "params_model": CIFAR10_PARAMS_NOTE,
        },
    )


def import_path(path: str | os.PathLike, space: CellTable | None = None) -> BenchmarkStore:
    """Recognise what `path` holds (EO folder, subset folder, NASLib .pkl, official .tfrecord)."""
    path = Path(path)
    if path.is_dir():
        if (path / EO_FILES[0]).exists():
            return import_so2sat(path, space)
        if (path / SUBSET_FILES[0]).exists():
            return import_nb101_subset(path, space)
        raise DataFileError(
            f"{path} holds neither the EO HW-NAS files ({EO_FILES[0]}, ...) nor the NB101 subset ({SUBSET_FILES[0]}, ...)"
        )
    if not path.exists():
        raise DataFileError(f"{path} does not exist; give a data folder, a .pkl or a .tfrecord file")
    if path.suffix == ".pkl":
        from .formats.nasbench import read_naslib_pickle

        return store_from_nb101_layout(read_naslib_pickle(path), path)
    if path.suffix == ".tfrecord":
        from .formats.nasbench import read_nasbench_tfrecord

        return store_from_nb101_layout(read_nasbench_tfrecord(path, progress=True), path)
    raise DataFileError(f"{path}: unknown benchmark file type {path.suffix!r}; expected a folder, .pkl or .tfrecord")
