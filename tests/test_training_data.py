"""So2Sat HDF5 reading on *synthetic* So2Sat-layout files: splits, normalisation, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="So2Sat files need h5py (pip install 'eo-naslib[train]')")
pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.errors import DataFileError  # noqa: E402
from eo_naslib.training.datasets.splits import stratified_split, stratified_subset  # noqa: E402
from eo_naslib.training.so2sat import load_so2sat, read_labels, read_rows  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("synthetic_so2sat"), 600, 120, 100, seed=0)


@pytest.mark.parametrize(("sensor", "bands"), [("s1", 8), ("s2", 10), ("fusion", 18)])
def test_splits_shapes_and_normalisation(synthetic, sensor, bands):
    splits = load_so2sat(synthetic, sensor, subset_fraction=0.35, val_fraction=0.2, split_seed=3)
    assert splits.x_train.shape[1:] == (bands, 32, 32) and splits.in_channels == bands
    assert len(splits.x_train) + len(splits.x_val) == pytest.approx(0.35 * 600, abs=17)
    assert len(splits.x_val) == pytest.approx(0.2 * (len(splits.x_train) + len(splits.x_val)), abs=17)
    assert len(splits.x_test) == 100
    mean = splits.x_train.double().mean(dim=(0, 2, 3))
    std = splits.x_train.double().std(dim=(0, 2, 3))
    assert np.allclose(mean, 0, atol=1e-4) and np.allclose(std, 1, atol=1e-3)


def test_subset_is_stratified_seeded_and_disjoint(synthetic):
    labels = read_labels(synthetic / "training.h5")
    subset = stratified_subset(labels, 0.35, seed=1)
    assert np.array_equal(subset, stratified_subset(labels, 0.35, seed=1))
    assert not np.array_equal(subset, stratified_subset(labels, 0.35, seed=2))
    for cls in np.unique(labels):
        assert abs((labels[subset] == cls).sum() - 0.35 * (labels == cls).sum()) <= 0.5 + 1e-9
    train, val = stratified_split(subset, labels, 0.2, seed=1)
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(subset)


def test_chunked_reader_equals_direct_read(synthetic):
    indices = np.array([0, 5, 6, 300, 599])
    rows, masked = read_rows(synthetic / "training.h5", ("sen1", "sen2"), indices, chunk_rows=4)
    assert masked == 0
    with h5py.File(synthetic / "training.h5") as handle:
        expected = np.concatenate([handle["sen1"][list(indices)], handle["sen2"][list(indices)]], axis=-1)
    assert np.array_equal(rows, expected.transpose(0, 3, 1, 2))


def test_validation_file_is_used_without_resplit(synthetic):
    splits = load_so2sat(synthetic, "s2", subset_fraction=1.0, val_fraction=0.0)
    assert (
        len(splits.x_train) == 600
        and len(splits.x_val) == 120
        and splits.info["val_source"] == "validation.h5"
    )


def _copy_with(source, target, **changes):
    target.mkdir()
    for name in ("training.h5", "validation.h5", "testing.h5"):
        with h5py.File(source / name) as src, h5py.File(target / name, "w") as dst:
            for key in src:
                if key in changes:
                    if changes[key] is not None:
                        dst.create_dataset(key, data=changes[key](src[key][()]))
                else:
                    dst.create_dataset(key, data=src[key][()])
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sen2": None}, "no dataset 'sen2'"),
        ({"sen2": lambda a: a[..., :9]}, "10 bands"),
        ({"sen2": lambda a: a[:, :16, :16]}, "32 x 32 patches"),
        ({"label": lambda a: a * 2}, "not one-hot"),
    ],
)
def test_bad_files_get_one_clear_error(synthetic, tmp_path, change, message):
    bad = _copy_with(synthetic, tmp_path / "bad", **change)
    with pytest.raises(DataFileError, match=message) as info:
        load_so2sat(bad, "s2")
    assert "\n" not in str(info.value)


def test_missing_file_and_non_hdf5(tmp_path):
    with pytest.raises(DataFileError, match="does not exist"):
        load_so2sat(tmp_path, "s2")
    for name in ("training.h5", "validation.h5", "testing.h5"):
        (tmp_path / name).write_bytes(b"not hdf5")
    with pytest.raises(DataFileError, match="not a readable HDF5 file"):
        load_so2sat(tmp_path, "s2")


def test_synthetic_files_say_they_are_synthetic(synthetic):
    with h5py.File(synthetic / "training.h5") as handle:
        assert "synthetic" in handle.attrs["synthetic"]
        assert handle["sen1"].shape == (600, 32, 32, 8) and handle["sen2"].shape == (600, 32, 32, 10)
        assert handle["label"].shape == (600, 17)
