"""The benchmarks built from benchmarks_data/: seed figures, queries, errors, the store."""

from __future__ import annotations

import json
import math
import pickle
import shutil

import numpy as np
import pytest

from eo_naslib.benchmarks import CellMetrics, StoredBenchmark, load_benchmark
from eo_naslib.benchmarks.importers import import_path, import_so2sat
from eo_naslib.benchmarks.store import BenchmarkStore
from eo_naslib.cli import main
from eo_naslib.errors import DataFileError, UnknownArchitectureError, UnknownMetricError
from eo_naslib.space import Cell


def truncated_percent(fraction: float) -> float:
    """Seed 000 reports percentages truncated (not rounded) to two decimals."""
    return math.floor(fraction * 10_000) / 100


def test_seed_000_mean_validation_accuracies(so2sat):
    hashes = so2sat.measured_hashes()
    assert len(hashes) == 450
    macro, micro = so2sat.query_many(hashes, ["val_accuracy_macro", "val_accuracy"]).mean(axis=0)
    assert truncated_percent(macro) == 41.13 and truncated_percent(micro) == 58.67
    assert macro == pytest.approx(0.41135, abs=1e-5) and micro == pytest.approx(0.58679, abs=1e-5)


def test_so2sat_records_match_the_source_pickles(so2sat, eo_data):
    raw = pickle.loads((eo_data / "database_pickle_macro.pickle").read_bytes())
    cell_hash, (fixed, computed) = next(iter(raw.items()))
    run = computed[108][0]
    assert so2sat.query(cell_hash, "test_accuracy_macro") == pytest.approx(float(run["final_test_accuracy"]))
    assert so2sat.query(cell_hash, "train_time_s") == pytest.approx(float(run["final_training_time"]))
    assert so2sat.query(Cell(fixed["module_adjacency"], fixed["module_operations"]), "params") == fixed["trainable_parameters"]
    results = json.loads((eo_data / "test_results_sampled_all_paths.json").read_text())
    arch, record = next(iter(results.items()))
    row_hash = str(so2sat.space.hashes[int(arch.removeprefix("arch_"))])
    assert so2sat.query(row_hash, "latency_std_ms") == pytest.approx(record["std_inference_time"])
    assert so2sat.query(row_hash, "size_kb") == pytest.approx(record["arch_size"])


def test_so2sat_walks_and_provenance(so2sat):
    walks = so2sat.walks()
    assert len(walks) == 30 and all(len(w) == 15 for w in walks)
    assert {h for w in walks for h in w} == set(so2sat.measured_hashes())
    provenance = so2sat.store.provenance
    assert provenance["latency"]["batch_size"] == 64 and "A100" in provenance["latency"]["device"]
    assert "10 input bands, 17 classes" in provenance["params_model"]  # not CIFAR-10's, as the data README says
    assert all(s["matches_pinned_sha256"] for s in provenance["sources"])
    assert "macs" not in so2sat.metrics  # the source's "MACs" is a parameter count


def test_measured_values_win_and_predictions_are_flagged(so2sat):
    values, mask = so2sat.values("latency_ms"), so2sat.measured_mask("latency_ms")
    assert mask.sum() == 450 and np.isfinite(values).all() and len(values) == 423_624
    unmeasured = str(so2sat.space.hashes[np.flatnonzero(~mask)[0]])
    answer = so2sat.query_all(unmeasured)
    assert isinstance(answer, CellMetrics) and not any(answer.measured.values())
    assert 0 < answer["val_accuracy_macro"] < 1 and answer.units["latency_ms"] == "ms"
    assert so2sat.store.surrogate["val_accuracy_macro@108"]["cv"]["spearman"] > 0.5


def test_cifar10_subset_fidelities_and_repeats(cifar10, nb101_subset):
    subset = json.loads((nb101_subset / "data-1k.json").read_text())
    key = subset["key"][3]
    for epoch in (4, 12, 36, 108):
        assert cifar10.query(key, "val_accuracy", epoch) == pytest.approx(subset[f"{epoch}_final_validation_accuracy"][3])
    assert cifar10.query(key, "params", 4) == subset["trainable_parameters"][3]
    with pytest.raises(UnknownMetricError, match="repeat 0"):
        cifar10.query(key, "val_accuracy", repeat=2)
    with pytest.raises(UnknownMetricError, match=r"epochs \[108\] only"):
        cifar10.query(key, "train_time_s", 4)
    assert cifar10.query_all(key, epoch=36).measured == {"val_accuracy": True, "params": True}


def test_tabular_only_raises_for_unmeasured_cells(data_dir, cifar10):
    tabular = load_benchmark("cifar10", data_dir, surrogate=False)
    unmeasured = str(tabular.space.hashes[np.flatnonzero(~cifar10.measured_mask("val_accuracy"))[0]])
    with pytest.raises(UnknownArchitectureError, match="surrogate=True"):
        tabular.query(unmeasured, "val_accuracy")
    assert np.isnan(tabular.values("val_accuracy")).sum() == 423_624 - 30_001
    assert not cifar10.is_measured(unmeasured, "val_accuracy")
    assert 0 < cifar10.query(unmeasured, "val_accuracy") < 1


def test_errors_name_the_value_and_the_fix(so2sat, tmp_path):
    with pytest.raises(UnknownMetricError, match="val_accuracy_macro"):
        so2sat.query(so2sat.measured_hashes()[0], "val_acc")
    with pytest.raises(UnknownMetricError, match="fidelities"):
        so2sat.query(so2sat.measured_hashes()[0], "val_accuracy", epoch=12)
    with pytest.raises(UnknownArchitectureError, match="not the NB101 hash"):
        so2sat.query("f" * 32, "val_accuracy")
    with pytest.raises(DataFileError, match="eo-naslib data import"):
        load_benchmark("so2sat", tmp_path, build=False)
    with pytest.raises(DataFileError, match="choose one of"):
        load_benchmark("imagenet", tmp_path)


def test_query_many_agrees_with_query(cifar10):
    rows = np.random.default_rng(0).choice(len(cifar10.space), 50, replace=False)
    hashes = cifar10.space.hashes[rows]
    many = cifar10.query_many(hashes, ["val_accuracy", "params"])
    single = [[cifar10.query(h, "val_accuracy"), cifar10.query(h, "params")] for h in hashes]
    np.testing.assert_allclose(many, single)
    np.testing.assert_array_equal(cifar10.query_many(rows, "val_accuracy"), many[:, 0])


def test_corrupt_store_is_reported(data_dir, tmp_path):
    npz = tmp_path / "so2sat.store.npz"
    data = bytearray((data_dir / "so2sat.store.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="sha256|corrupt"):
        load_benchmark("so2sat", tmp_path)
    npz.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(DataFileError, match="corrupt"):
        load_benchmark("so2sat", tmp_path)


def test_malicious_pickle_is_refused_and_nothing_installed(eo_data, tmp_path, capsys):
    folder = tmp_path / "eo"
    shutil.copytree(eo_data, folder)
    (folder / "database_pickle_latency.pickle").chmod(0o644)
    (folder / "database_pickle_latency.pickle").write_bytes(pickle.dumps(shutil.rmtree))
    store = tmp_path / "store"
    assert main(["data", "import", str(folder), "--data-dir", str(store), "--no-surrogate"]) == 2
    assert "shutil.rmtree is not allowed" in capsys.readouterr().err
    assert not store.exists()


def test_inconsistent_eo_files_are_refused(eo_data, tmp_path):
    folder = tmp_path / "eo"
    shutil.copytree(eo_data, folder)
    path = folder / "test_results_sampled_all_paths.json"
    path.chmod(0o644)
    results = json.loads(path.read_text())
    next(iter(results.values()))["num_params"] += 1
    path.write_text(json.dumps(results))
    with pytest.raises(DataFileError, match="disagrees with the pickles"):
        import_so2sat(folder)


def test_nb101_layout_with_repeats(nb101_subset, tmp_path, space):
    """A NASLib-style pickle (3 repeats, numpy arrays and scalars) round-trips through the store."""
    subset = json.loads((nb101_subset / "data-1k.json").read_text())
    data = {}
    for i in range(3):
        cell = space.cell(space.index(subset["key"][i]))
        fixed = {**cell.to_spec(), "trainable_parameters": subset["trainable_parameters"][i]}
        fixed["module_adjacency"], fixed["module_operations"] = np.array(fixed.pop("matrix")), fixed.pop("ops")
        runs = [
            {
                "final_train_accuracy": 1.0,
                "final_validation_accuracy": np.float64(0.9 + r / 100),
                "final_test_accuracy": 0.89,
                "final_training_time": 100.0 * (r + 1),
            }
            for r in range(3)
        ]
        data[cell.hash] = (fixed, {108: runs})
    path = tmp_path / "nasbench_only108.pkl"
    path.write_bytes(pickle.dumps(data))
    store = import_path(path)
    store.save(tmp_path)
    loaded = BenchmarkStore.load(tmp_path, "cifar10")
    bench = StoredBenchmark(loaded, surrogate=False)
    key = subset["key"][0]
    assert bench.query(key, "val_accuracy") == pytest.approx(0.91)
    assert bench.query(key, "val_accuracy", repeat=2) == pytest.approx(0.92)
    assert bench.query(key, "train_time_s") == pytest.approx(200.0)
    assert set(bench.metrics) == {"train_accuracy", "val_accuracy", "test_accuracy", "train_time_s", "params"}


def test_data_info_lists_installed_benchmarks(data_dir, capsys):
    assert main(["data", "info", "--data-dir", str(data_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["benchmarks"]) == {"so2sat", "cifar10"}
    cv = report["benchmarks"]["cifar10"]["surrogate_cv"]["val_accuracy@108"]
    assert cv["spearman"] > 0.8 and cv["rmse"] < 0.05 and cv["n_train"] == 30_001
