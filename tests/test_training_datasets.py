"""The dataset interface on *synthetic* data in every layout: training learns, splits, bands, bad inputs.

Layouts: So2Sat v2 and v3 (HDF5), a EuroSAT-MS-shaped GeoTIFF folder (13 bands, 16x16), .npy
folders (nhwc with a split column, nchw with the seeds' stratified split), torchgeo's sample
protocol. Every run is a tiny network (stem 8, one stack of one cell) for 3 epochs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")
pytest.importorskip("h5py", reason="training needs h5py (pip install 'eo-naslib[train]')")
pytest.importorskip("torchmetrics", reason="training needs torchmetrics (pip install 'eo-naslib[train]')")

from eo_naslib.cli import main  # noqa: E402
from eo_naslib.errors import ConfigError, DataFileError  # noqa: E402
from eo_naslib.space import random_cell  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.datasets.loading import load_splits  # noqa: E402
from eo_naslib.training.datasets.registry import open_dataset  # noqa: E402
from eo_naslib.training.datasets.torchgeo_source import TorchgeoSource  # noqa: E402
from eo_naslib.training.job import load_data, train_and_measure  # noqa: E402
from eo_naslib.training.live import LiveBenchmark  # noqa: E402
from eo_naslib.training.so2sat import VERSION_FILES, load_so2sat  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402
from eo_naslib.training.synthetic_folders import (  # noqa: E402
    EUROSAT_BANDS,
    synthetic_patches,
    write_synthetic_geotiff_folder,
    write_synthetic_npy_folder,
)

CELL = random_cell(np.random.default_rng(1))
TINY = {
    "epochs": 3, "batch_size": 32, "lr": 0.1, "bn_momentum": 0.1, "stem_channels": 8, "num_stacks": 1,
    "cells_per_stack": 1, "subset_fraction": 1.0, "eval_every": 3, "latency_batch_size": 4, "latency_repeats": 2,
    "latency_warmup": 1, "device": "cpu",
}  # fmt: skip
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def so2sat_v2(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("synthetic_so2sat"), 500, 100, 100, seed=0)


@pytest.fixture(scope="module")
def npy_nhwc(tmp_path_factory):
    return write_synthetic_npy_folder(tmp_path_factory.mktemp("synthetic_npy"), n=300, layout="nhwc", split_seed=0)


@pytest.fixture(scope="module")
def geotiff(tmp_path_factory):
    pytest.importorskip("rasterio", reason="GeoTIFF folders need rasterio (pip install 'eo-naslib[geotiff]')")
    return write_synthetic_geotiff_folder(tmp_path_factory.mktemp("synthetic_geotiff"), n=300)


def _train(tmp_path, data, **settings):
    return train_and_measure(CELL, TrainConfig.from_dict({**TINY, **settings}), tmp_path / "out", data=data)


# ----------------------------------------------------------------------------- learning, each layout
def test_so2sat_v2_and_v3_random_learn_well_above_chance(so2sat_v2, tmp_path):
    v3 = write_synthetic_so2sat(tmp_path / "v3", 500, 0, 100, seed=0, files=VERSION_FILES["3_random"])
    assert not (v3 / "random" / "validation.h5").exists()
    for name, data, kind in (("v2", so2sat_v2, "so2sat"), ("v3", v3, "so2sat_v3_random")):
        record = _train(tmp_path / name, data, dataset=kind, sensor="s2")
        chance = 3 / 34  # the most frequent synthetic class
        assert record["metrics"]["test_accuracy"] > 3 * chance, (name, record["metrics"])
        assert record["model"]["num_classes"] == 17 and record["data"]["dataset"] == kind
    assert record["data"]["val_source"] == "random/training.h5"  # v3 has no validation file: held out


def test_geotiff_folder_eurosat_ms_shape_learns_well_above_chance(geotiff, tmp_path):
    record = _train(tmp_path, geotiff, dataset="folder", split_protocol="seeds", subset_fraction=1.0)
    assert record["data"]["band_names"] == list(EUROSAT_BANDS) and record["data"]["patch"] == [16, 16]
    assert record["model"] == {**record["model"], "in_channels": 13, "num_classes": 10}
    assert record["metrics"]["test_accuracy"] > 0.3 and record["metrics"]["val_accuracy"] > 0.3  # chance 0.1


def test_npy_folder_with_split_column_learns_and_selects_bands_by_name(npy_nhwc, tmp_path):
    record = _train(tmp_path, npy_nhwc, dataset="folder", split_protocol="files", bands="band_0,band_3,band_7,band_12")
    assert record["model"]["in_channels"] == 4 and record["data"]["band_names"] == ["band_0", "band_3", "band_7", "band_12"]
    assert record["data"]["val_source"] == "labels.csv (val rows)"
    assert record["metrics"]["test_accuracy"] > 0.4  # chance 0.1


def test_npy_nchw_folder_without_split_column_takes_the_seeds_stratified_split(tmp_path):
    folder = write_synthetic_npy_folder(tmp_path / "data", n=200, bands=5, patch=12, classes=4, layout="nchw", seed=3)
    config = TrainConfig.from_dict({**TINY, "dataset": "folder", "data_dir": str(folder), "split_protocol": "seeds"})
    splits = load_data(config, None)
    assert (len(splits.x_train), len(splits.x_val), len(splits.x_test)) == (128, 32, 40)  # 64/16/20 of 200
    for part in (splits.y_train, splits.y_val, splits.y_test):  # stratified: every class in every split
        assert set(part.tolist()) == {0, 1, 2, 3}
    assert splits.info["split_protocol"] == "seeds" and splits.info["layout"] == "nchw"
    record = train_and_measure(CELL, config, tmp_path / "out")
    assert record["metrics"]["test_accuracy"] > 0.6  # chance 0.25
    assert train_and_measure(CELL, config, tmp_path / "out") == record  # the same data: the record is reused
    np.save(folder / "patches/synthetic_00005.npy", np.zeros((5, 12, 12), np.float32))  # other data now
    with pytest.raises(ConfigError, match=r"was trained on .* \(as it was then\)"):
        train_and_measure(CELL, config, tmp_path / "out")


def test_live_benchmark_trains_on_a_folder_dataset(npy_nhwc, tmp_path):
    bench = LiveBenchmark(npy_nhwc, config={**TINY, "split_protocol": "files"}, cache_dir=tmp_path, dataset="folder")
    assert bench.name == "folder-live-s2"
    assert bench.query(CELL, "test_accuracy") > 0.4  # chance 0.1
    assert bench.record(CELL)["data"]["dataset"] == "folder"


def test_train_command_line_takes_dataset_and_data(npy_nhwc, tmp_path, capsys):
    args = ["train", "--hash", CELL.nb101().hash, "--dataset", "folder", "--data", str(npy_nhwc), "--out-dir", str(tmp_path)]
    settings = [f"--set={k}={json.dumps(v)}" for k, v in TINY.items()]
    assert main([*args, *settings, "--split-protocol", "files"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["metrics"]["test_accuracy"] > 0.4
    assert main([*args, *settings, "--bands", "band_0,NIR", "--out-dir", str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err.strip()
    assert "band 'NIR' is not a band of folder data" in err and "\n" not in err


def test_measure_takes_the_shapes_from_the_data(geotiff, capsys):
    args = ["measure", "--hash", CELL.nb101().hash, "--device", "cpu", "--batch-size", "2", "--repeats", "2", "--warmup", "1"]
    assert main([*args, "--stem-channels", "8", "--dataset", "folder", "--data", str(geotiff)]) == 0
    folder_params = json.loads(capsys.readouterr().out)["params"]
    assert main([*args, "--stem-channels", "8"]) == 0
    so2sat_params = json.loads(capsys.readouterr().out)["params"]
    # the stem sees 13 bands instead of 10 (3 x 3 x 3 x 8 weights more), the classifier 10 classes instead of 17
    assert folder_params - so2sat_params == 3 * 9 * 8 - 7 * (8 * 4 + 1)


# ----------------------------------------------------------------------------- splits and normalisation
def test_split_protocols_name_what_the_held_out_part_is(so2sat_v2):
    common = dict(subset_fraction=0.5, val_fraction=0.2, split_seed=4)
    seeds = load_so2sat(so2sat_v2, "s2", split_protocol="seeds", **common)
    holdout = load_so2sat(so2sat_v2, "s2", split_protocol="holdout", **common)
    files = load_so2sat(so2sat_v2, "s2", split_protocol="files", **common)
    # seed 002: the held-out 20% of the subset is the test split, validation.h5 the validation split
    assert seeds.info["test_source"] == "training.h5" and seeds.info["val_source"] == "validation.h5"
    assert seeds.info["test_indices_sha256"] == holdout.info["val_indices_sha256"]  # the same rows, other role
    assert torch.equal(seeds.x_test, holdout.x_val) and torch.equal(seeds.x_train, holdout.x_train)
    assert holdout.info["test_source"] == "testing.h5" and len(holdout.x_test) == 100
    assert (files.info["val_source"], files.info["test_source"]) == ("validation.h5", "testing.h5")
    assert files.info["n_train"] == seeds.info["n_train"] + seeds.info["n_test"]


def test_statistics_come_from_the_training_split(npy_nhwc):
    splits = load_splits(open_dataset("folder", npy_nhwc), split_protocol="files")
    mean = splits.x_train.double().mean(dim=(0, 2, 3))
    std = splits.x_train.double().std(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.zeros(13, dtype=torch.float64), atol=1e-4)
    assert torch.allclose(std, torch.ones(13, dtype=torch.float64), atol=1e-2)
    raw = np.stack([np.load(npy_nhwc / f"patches/synthetic_{i:05d}.npy") for i in range(300)])
    assert not np.allclose(raw.mean(axis=(0, 1, 2)), 0)  # the files are offset and scaled


def test_torchgeo_sample_protocol_is_read(tmp_path):
    images, labels = synthetic_patches(60, 4, 8, 3, seed=1)

    class Samples(torch.utils.data.Dataset):  # torchgeo's NonGeoClassificationDataset samples
        def __init__(self, rows):
            self.rows = rows

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return {"image": torch.from_numpy(images[self.rows[i]]), "label": torch.tensor(labels[self.rows[i]])}

    source = TorchgeoSource(
        {"train": Samples(range(40)), "val": Samples(range(40, 50)), "test": Samples(range(50, 60))},
        ("B02", "B03", "B04", "B08"), ("a", "b", "c"), tmp_path, "EuroSAT",
    )  # fmt: skip
    splits = load_splits(source, bands="B08,B02", split_protocol="files", subset_fraction=1.0)
    assert splits.in_channels == 2 and splits.patch == (8, 8) and splits.num_classes == 3
    assert splits.y_test.tolist() == labels[50:].tolist()
    expected = (images[:40][:, [3, 0]] - images[:40][:, [3, 0]].mean(axis=(0, 2, 3), keepdims=True))
    assert np.allclose(splits.x_train.numpy() * images[:40][:, [3, 0]].std(axis=(0, 2, 3), keepdims=True), expected, atol=1e-2)


def test_real_torchgeo_is_optional(tmp_path):
    if __import__("importlib").util.find_spec("torchgeo") is None:
        with pytest.raises(ConfigError, match=r"needs torchgeo; install it"):
            open_dataset("torchgeo_eurosat", tmp_path)
    else:
        with pytest.raises(DataFileError, match="could not open"):
            open_dataset("torchgeo_eurosat", tmp_path)


# ----------------------------------------------------------------------------- bad inputs
def _folder(tmp_path, **kwargs):
    return write_synthetic_npy_folder(tmp_path / "data", **{"n": 40, "bands": 3, "patch": 8, "classes": 2, **kwargs})


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (lambda f: (f / "labels.csv").write_text((f / "labels.csv").read_text() + "patches/gone.npy,class_0\n"), DataFileError,
         r"row 42: patch file 'patches/gone.npy' does not exist"),
        (lambda f: np.save(f / "patches/synthetic_00007.npy", np.zeros((8, 8, 4), np.float32)), DataFileError,
         r"synthetic_00007.npy has shape \(8, 8, 4\), the first patch synthetic_00000.npy \(8, 8, 3\)"),
        (lambda f: (f / "labels.csv").unlink(), DataFileError, "has no labels.csv"),
        (lambda f: (f / "bands.txt").write_text("a\nb\n"), DataFileError, "names 2 bands but the patches have 3"),
        (lambda f: (f / "labels.csv").write_text("file,label\npatches/synthetic_00000.npy,class_0\n"
                                                 "patches/synthetic_00001.npy,class_1\npatches/synthetic_00002.npy,class_1\n"),
         DataFileError, "class 'class_0' has 1 sample in the training subset"),
        (lambda f: np.save(f / "patches/synthetic_00003.npy", np.full((8, 8, 3), np.nan, np.float32)), DataFileError,
         "synthetic_00003.npy .train split.: band 0 holds nan"),
    ],
)  # fmt: skip
def test_bad_folders_get_one_line_naming_the_problem(tmp_path, damage, error, message):
    folder = _folder(tmp_path)
    damage(folder)
    config = TrainConfig.from_dict({**TINY, "dataset": "folder"})
    with pytest.raises(error, match=message) as info:
        load_data(config, folder)
    assert "\n" not in str(info.value)


def test_bad_names_kinds_paths_and_layouts(tmp_path, so2sat_v2):
    folder = _folder(tmp_path)
    cases = [
        (lambda: TrainConfig(dataset="eurosat"), ConfigError, r"dataset 'eurosat' is unknown; choose one of"),
        (lambda: TrainConfig(split_protocol="random"), ConfigError, r"split_protocol 'random' is unknown"),
        (lambda: open_dataset("folder", tmp_path / "nowhere"), DataFileError, r"does not exist or is not a folder; pass --data"),
        (lambda: load_splits(open_dataset("folder", folder), bands="B04"), ConfigError, r"band 'B04' is not a band of folder"),
        (lambda: load_splits(open_dataset("so2sat", so2sat_v2), bands="S1_B1"), ConfigError, r"band 'S1_B1' is not a band"),
        (lambda: open_dataset("folder", folder, layout="nchw"), ConfigError, r"layout 'nchw' reads patches of shape \(8, 8, 3\)"),
        (lambda: open_dataset("so2sat", so2sat_v2, layout="nchw"), ConfigError, r"layout 'nchw' does not fit 'so2sat'"),
        (lambda: open_dataset("folder", folder, sensor="fusion"), ConfigError, r"sensor 'fusion' selects So2Sat's band groups"),
        (lambda: open_dataset("so2sat", folder), DataFileError, r"training.h5 does not exist"),
        (lambda: load_splits(open_dataset("folder", folder), val_fraction=0.0), ConfigError, r"val_fraction is 0"),
    ]
    for action, error, message in cases:
        with pytest.raises(error, match=message) as info:
            action()
        assert "\n" not in str(info.value)
    square = write_synthetic_npy_folder(tmp_path / "cube", n=20, bands=8, patch=8, classes=2)
    with pytest.raises(ConfigError, match=r"cannot tell whether patches of shape \(8, 8, 8\)"):
        open_dataset("folder", square)
    assert open_dataset("folder", square, layout="nhwc").band_names[:2] == ("band_0", "band_1")
    s2 = load_splits(open_dataset("so2sat", so2sat_v2, sensor="fusion"), bands=["S2_B08", "S1_B2"])
    assert s2.band_names == ("S2_B08", "S1_B2") and s2.in_channels == 2


def test_build_plan_takes_dataset_data_and_split_protocol(npy_nhwc, tmp_path, capsys):
    config = tmp_path / "plan.yaml"
    config.write_text("name: synthetic_folder\nsampler: {kind: uniform, n: 2, seed: 0}\njob: train\nsettings: {epochs: 3}\n")
    args = ["build", "plan", str(config), "--out-dir", str(tmp_path / "plan"), "--data", str(npy_nhwc)]
    assert main([*args, "--dataset", "folder", "--split-protocol", "files"]) == 0
    settings = json.loads((tmp_path / "plan" / "plan.json").read_text())["settings"]
    assert settings == {"epochs": 3, "data_dir": str(npy_nhwc.resolve()), "dataset": "folder", "split_protocol": "files"}
    shipped = Path(__file__).resolve().parents[1] / "eo_naslib" / "configs" / "creation" / "so2sat_s2.yaml"
    assert "split_protocol: seeds" in shipped.read_text()  # the seed configs take the seeds' protocol
