"""Inputs refused before training: non-finite pixels (or masked when asked), HDF5 objects of the
wrong kind, dangling links, empty splits, devices that do not compute, sizes that cannot be
allocated, and a diverging loss that must not become a record."""

from __future__ import annotations

import json

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="So2Sat files need h5py (pip install 'eo-naslib[train]')")
torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib import cli  # noqa: E402
from eo_naslib.errors import ConfigError, DataFileError, TrainingDivergedError  # noqa: E402
from eo_naslib.space import random_cell  # noqa: E402
from eo_naslib.testing import TINY_TRAINING  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.job import RECORD, train_and_measure  # noqa: E402
from eo_naslib.training.limits import estimate_bytes  # noqa: E402
from eo_naslib.training.so2sat import load_so2sat  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

CELL = random_cell(np.random.default_rng(1))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("synthetic_so2sat"), 300, 60, 50, seed=0)


def copy_with(source, target, edit):
    """A copy of the three files where `edit(name, source_file, target_file)` writes `target_file`."""
    target.mkdir()
    for name in ("training.h5", "validation.h5", "testing.h5"):
        with h5py.File(source / name) as src, h5py.File(target / name, "w") as dst:
            edit(name, src, dst)
    return target


def with_pixel(name_wanted, key, index, value):
    def edit(name, src, dst):
        for k in src:
            data = src[k][()]
            if name == name_wanted and k == key:
                data[index] = value
            dst.create_dataset(k, data=data)

    return edit


def one_line(info):
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    ("name", "split", "value"),
    [("training.h5", "train", np.nan), ("training.h5", "train", np.inf), ("testing.h5", "test", np.nan)],
)
def test_a_non_finite_pixel_is_refused_naming_file_split_band_and_index(synthetic, tmp_path, name, split, value):
    bad = copy_with(synthetic, tmp_path / "bad", with_pixel(name, "sen2", (7, 3, 4, 5), value))
    with pytest.raises(DataFileError) as info:
        load_so2sat(bad, "s2", subset_fraction=1.0, val_fraction=0.2)
    message = one_line(info)
    assert name in message and f"({split} split)" in message and "band 5" in message
    assert "pixel (3, 4)" in message and "sample 7" in message and "nonfinite: mask" in message


def test_a_whole_nan_band_is_refused(synthetic, tmp_path):
    bad = copy_with(synthetic, tmp_path / "bad", with_pixel("training.h5", "sen2", (slice(None), slice(None), slice(None), 2), np.nan))
    with pytest.raises(DataFileError, match="band 2"):
        load_so2sat(bad, "s2", subset_fraction=1.0)


def test_masking_replaces_non_finite_pixels_by_the_band_mean_and_counts_them(synthetic, tmp_path):
    bad = copy_with(synthetic, tmp_path / "bad", with_pixel("testing.h5", "sen2", (7, slice(0, 2), 4, 5), np.nan))
    splits = load_so2sat(bad, "s2", subset_fraction=1.0, nonfinite="mask")
    assert splits.info["masked_nonfinite"] == {"train": 0, "val": 0, "test": 2}
    assert torch.isfinite(splits.x_test).all()
    assert splits.x_test[7, 5, 0:2, 4].tolist() == [0.0, 0.0]  # the band mean, normalised
    clean = load_so2sat(synthetic, "s2", subset_fraction=1.0)
    assert torch.equal(clean.x_train, splits.x_train)


def test_masking_in_the_training_split_keeps_band_statistics_finite(synthetic, tmp_path):
    bad = copy_with(synthetic, tmp_path / "bad", with_pixel("training.h5", "sen2", (3, 1, 1, 0), np.inf))
    splits = load_so2sat(bad, "s2", subset_fraction=1.0, val_fraction=0.0, nonfinite="mask")
    assert splits.info["masked_nonfinite"]["train"] == 1
    assert all(np.isfinite(splits.info["band_mean"])) and torch.isfinite(splits.x_train).all()


def test_nonfinite_setting_is_checked():
    with pytest.raises(ConfigError, match="nonfinite 'drop'"):
        TrainConfig(nonfinite="drop")


def _label_as(kind):
    def edit(name, src, dst):
        for k in src:
            if k == "label" and name == "training.h5":
                if kind == "group":
                    dst.create_group("label").create_dataset("x", data=src[k][()])
                else:
                    dst.create_dataset("label", data=np.array([b"abc"] * len(src[k])))
            else:
                dst.create_dataset(k, data=src[k][()])

    return edit


@pytest.mark.parametrize(("kind", "message"), [("group", "'label' is an HDF5 group, not a dataset"), ("bytes", "'label' has dtype")])
def test_label_of_the_wrong_kind_is_refused(synthetic, tmp_path, kind, message):
    bad = copy_with(synthetic, tmp_path / "bad", _label_as(kind))
    with pytest.raises(DataFileError, match=message) as info:
        load_so2sat(bad, "s2")
    one_line(info)


def test_sen2_as_an_external_link_to_a_missing_file_is_refused(synthetic, tmp_path):
    def edit(name, src, dst):
        for k in src:
            if k == "sen2" and name == "training.h5":
                dst["sen2"] = h5py.ExternalLink("gone.h5", "/sen2")
            else:
                dst.create_dataset(k, data=src[k][()])

    bad = copy_with(synthetic, tmp_path / "bad", edit)
    with pytest.raises(DataFileError, match="'sen2' is a link to gone.h5:/sen2, which cannot be opened") as info:
        load_so2sat(bad, "s2")
    one_line(info)


def test_an_empty_testing_file_fails_before_training(synthetic, tmp_path):
    def edit(name, src, dst):
        for k in src:
            data = src[k][()]
            dst.create_dataset(k, data=data[:0] if name == "testing.h5" else data)

    bad = copy_with(synthetic, tmp_path / "bad", edit)
    with pytest.raises(DataFileError, match="the test split is empty"):
        load_so2sat(bad, "s2")
    # testing.h5 is the test split under `holdout` and `files`; the seeds' protocol never reads it
    config = TrainConfig.from_dict({**TINY_TRAINING, "device": "cpu", "split_protocol": "holdout"})
    with pytest.raises(DataFileError, match="the test split is empty"):
        train_and_measure(CELL, config, tmp_path / "out", data=bad)
    assert not (tmp_path / "out" / RECORD).exists()


def test_a_diverging_loss_stops_training_and_writes_no_record(synthetic, tmp_path):
    config = TrainConfig.from_dict({**TINY_TRAINING, "device": "cpu", "lr": 1e30, "schedule": "constant"})
    with pytest.raises(TrainingDivergedError, match="training loss became (nan|inf) in epoch 1"):
        train_and_measure(CELL, config, tmp_path / "out", data=synthetic)
    assert not (tmp_path / "out" / RECORD).exists()


# ------------------------------------------------------------------------------ devices and sizes
def run(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


MEASURE = ["measure", "--matrix", json.dumps(CELL.matrix.tolist()), "--ops", json.dumps(list(CELL.ops))]


def test_measure_refuses_the_meta_device(capsys):
    code, out, err = run([*MEASURE, "--device", "meta"], capsys)
    assert code == 2 and out == "" and "device 'meta' does not compute" in err


def test_train_refuses_the_meta_device(synthetic, tmp_path, capsys):
    code, _, err = run(["train", *MEASURE[1:], "--data", str(synthetic), "--out", str(tmp_path / "o"), "--device", "meta"], capsys)
    assert code == 2 and "device 'meta' does not compute" in err
    assert not (tmp_path / "o" / RECORD).exists()


@pytest.mark.parametrize(("flag", "value"), [("--batch-size", str(10**7)), ("--stem-channels", str(10**5))])
def test_measure_estimates_memory_before_allocating(capsys, flag, value):
    code, _, err = run([*MEASURE, "--device", "cpu", flag, value], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "needs about" in err and "GiB free" in err


def test_train_estimates_memory_before_loading_data(synthetic, tmp_path, capsys):
    code, _, err = run(["train", *MEASURE[1:], "--data", str(synthetic), "--out", str(tmp_path / "o"),
                        "--device", "cpu", "--set", f"batch_size={10**7}"], capsys)  # fmt: skip
    assert code == 2 and "training with batch_size 10000000 needs about" in err


def test_train_estimates_evaluation_and_latency_batches_too(synthetic, tmp_path):
    for key in ("eval_batch_size", "latency_batch_size"):
        config = TrainConfig.from_dict({**TINY_TRAINING, "device": "cpu", key: 10**8})
        with pytest.raises(ConfigError, match=f"inference with {key} 100000000 needs about"):
            train_and_measure(CELL, config, tmp_path / key, data=synthetic)
        assert not (tmp_path / key / RECORD).exists()


def test_num_stacks_too_deep_for_32x32_is_refused():
    with pytest.raises(ConfigError, match="num_stacks 7 is too deep for 32x32"):
        TrainConfig(num_stacks=7)
    TrainConfig(num_stacks=6)  # 32 -> 1 pixel: still fits
    assert estimate_bytes(CELL, 10, 8, 6, 1, 1, training=False).activation_bytes > 0


def test_the_estimate_grows_with_batch_and_stem():
    small = estimate_bytes(CELL, 10, 16, 3, 3, 8, training=True)
    assert estimate_bytes(CELL, 10, 16, 3, 3, 16, training=True).activation_bytes == 2 * small.activation_bytes
    assert small.at(16, training=True) == estimate_bytes(CELL, 10, 16, 3, 3, 16, training=True)
    assert small.at(8, training=False).weights_bytes * 4 == small.weights_bytes
    assert estimate_bytes(CELL, 10, 32, 3, 3, 8, training=True).parameters > 3 * small.parameters
