"""Hostile (or unlucky) files of training, grouped by the file they attack: a training record.json,
a checkpoint.pt, the live benchmark's cached records, and a torchrun environment that is not one.

Trains seconds-long models on *synthetic* So2Sat-layout files. Every case ends in one clear line
(or, for a damaged checkpoint, a warning and a fresh start), never a traceback and never an
edited or foreign record answered as a measurement.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.errors import ConfigError, DataFileError  # noqa: E402
from eo_naslib.io import fingerprint  # noqa: E402
from eo_naslib.space import random_cell  # noqa: E402
from eo_naslib.testing import TWO_STACK_TRAINING  # noqa: E402
from eo_naslib.training import ddp  # noqa: E402
from eo_naslib.training.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.job import train_and_measure  # noqa: E402
from eo_naslib.training.live import LiveBenchmark  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

TINY = {**TWO_STACK_TRAINING, "epochs": 2, "eval_every": 1, "latency_batch_size": 4, "latency_repeats": 2}
CELL = random_cell(np.random.default_rng(1))


def reseal(document: dict) -> dict:
    """`document` with a checksum of its edited content, as `eo_naslib.schema.seal` computes it."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    return {**body, "checksum": fingerprint(body)}


def edit_json(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("synthetic"), 300, 60, 60, seed=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic):
    """An out dir with a finished record and its last checkpoint."""
    out = tmp_path_factory.mktemp("trained")
    train_and_measure(CELL, TrainConfig.from_dict(TINY), out, data=synthetic)
    assert (out / "record.json").exists() and (out / "checkpoint.pt").exists()
    return out


@pytest.fixture
def out(trained, tmp_path):
    return Path(shutil.copytree(trained, tmp_path / "out"))


# ------------------------------------------------------------------------------------ record.json
def set_accuracy(value, sealed: bool):
    def change(record):
        record["metrics"]["val_accuracy"] = value
        return reseal(record) if sealed else record

    return change


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (set_accuracy(7.5, sealed=False), "field 'checksum'"),
        (set_accuracy(7.5, sealed=True), "field 'metrics.val_accuracy' must be a finite number in \\[0, 1\\], got 7.5"),
        (set_accuracy(-1e308, sealed=True), "field 'metrics.val_accuracy'"),
        (set_accuracy("0.9", sealed=True), "field 'metrics.val_accuracy'"),
        (lambda r: reseal({k: v for k, v in r.items() if k != "cell"}), "field 'cell' must be present"),
        (lambda r: reseal({**r, "curves": "none"}), "field 'curves' must be a list"),
        (lambda r: reseal({**r, "curves": [{**r["curves"][0], "epoch": "one"}]}), "field 'curves\\[0\\].epoch'"),
    ],
    ids=["edited-7.5", "resealed-7.5", "resealed--1e308", "resealed-string", "no-cell", "curves-a-string", "epoch-one"],
)
def test_an_edited_record_is_refused_not_returned(out, synthetic, change, match):
    edit_json(out / "record.json", change)
    with pytest.raises(DataFileError, match=f"record.json: {match}"):
        train_and_measure(CELL, TrainConfig.from_dict(TINY), out, data=synthetic)


def test_a_record_trained_on_other_data_is_not_returned(out, synthetic, tmp_path):
    other = write_synthetic_so2sat(tmp_path / "other", 300, 60, 60, seed=1)
    before = (out / "record.json").read_bytes()
    with pytest.raises(ConfigError, match=f"was trained on {Path(synthetic).resolve()}.*not on {other.resolve()}"):
        train_and_measure(CELL, TrainConfig.from_dict(TINY), out, data=other)
    assert (out / "record.json").read_bytes() == before
    assert train_and_measure(CELL, TrainConfig.from_dict(TINY), out, data=synthetic)["cell"]["hash"] == CELL.hash


# ------------------------------------------------------------------------------------ checkpoint.pt
@pytest.mark.parametrize("seed", [17, 21, 58, 62, 66, 0])  # the unpickler raised IndexError, IndexError, IndexError, KeyError, KeyError, UnpicklingError
def test_a_checkpoint_of_random_bytes_is_set_aside(tmp_path, seed, caplog):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(np.random.default_rng(seed).bytes(4096))
    with caplog.at_level(logging.WARNING):
        assert load_checkpoint(path) is None
    assert not path.exists() and (tmp_path / "checkpoint.pt.corrupt").exists()
    assert "is corrupt" in caplog.text


def tamper(change):
    def apply(path: Path) -> None:
        state = torch.load(path, map_location="cpu", weights_only=True)
        save_checkpoint(path, change({k: v for k, v in state.items() if k != "format"}))

    return apply


def wrong_shape(state):
    name = next(k for k, v in state["model"].items() if v.ndim == 4)
    state["model"][name] = torch.zeros(1, 1, 1, 1)
    return state


@pytest.mark.parametrize(
    "damage",
    [
        tamper(lambda s: {k: v for k, v in s.items() if k != "settings"}),
        tamper(lambda s: {k: v for k, v in s.items() if k != "curves"}),
        tamper(wrong_shape),
        tamper(lambda s: {**s, "model": {k: v for k, v in list(s["model"].items())[1:]}}),
        tamper(lambda s: {**s, "curves": s["curves"][:1]}),
        tamper(lambda s: {**s, "epoch": 1}),
        tamper(lambda s: {**s, "epoch": "2"}),
        tamper(lambda s: {**s, "optimizer": {"state": {}, "param_groups": []}}),
        lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
    ],
    ids=["no-settings", "no-curves", "wrong-shape", "missing-tensor", "curves-behind-epoch", "epoch-behind-curves",
         "epoch-a-string", "optimizer-of-another-model", "truncated"],
)
def test_a_damaged_checkpoint_is_set_aside_and_training_restarts(out, synthetic, damage, caplog):
    (out / "record.json").unlink()
    damage(out / "checkpoint.pt")
    with caplog.at_level(logging.WARNING):
        record = train_and_measure(CELL, TrainConfig.from_dict(TINY), out, data=synthetic)
    assert (out / "checkpoint.pt.corrupt").exists() and "restarts from scratch" in caplog.text
    assert record["training"]["resumed_from_epoch"] == 0 and record["epochs"] == [1, 2]


# ------------------------------------------------------------------------------------ live cache
@pytest.fixture(scope="module")
def live(tmp_path_factory, synthetic):
    """A live benchmark's cache holding one trained cell."""
    cache = tmp_path_factory.mktemp("live_cache")
    bench = LiveBenchmark(synthetic, sensor="s2", config=TINY, cache_dir=cache)
    bench.query(CELL, "val_accuracy")
    return cache


@pytest.fixture
def cached(live, synthetic, tmp_path, monkeypatch):
    """(benchmark over a copy of the cache, path of the cell's record); training forbidden."""
    cache = Path(shutil.copytree(live, tmp_path / "cache"))

    def no_training(*args, **kwargs):
        raise AssertionError("a cached cell was trained again")

    monkeypatch.setattr("eo_naslib.training.live.train_and_measure", no_training)
    bench = LiveBenchmark(synthetic, sensor="s2", config=TINY, cache_dir=cache)
    return bench, next(cache.rglob("record.json"))


def test_the_live_cache_answers_an_intact_record(cached):
    bench, path = cached
    assert bench.query(CELL, "val_accuracy") == json.loads(path.read_text())["metrics"]["val_accuracy"]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (set_accuracy(7.5, sealed=False), "field 'checksum'"),
        (set_accuracy(7.5, sealed=True), "field 'metrics.val_accuracy'"),
        (lambda r: reseal({**r, "curves": r["curves"][1:]}), "field 'curves' must be a point at every evaluated epoch"),
        (lambda r: reseal({**r, "metrics": {k: v for k, v in r["metrics"].items() if k != "latency_ms"}}), "field 'metrics.latency_ms' must be present"),
        (lambda r: reseal({**r, "curves": [{k: v for k, v in p.items() if k != "test_accuracy"} for p in r["curves"]]}), "field 'curves\\[epoch 1\\].test_accuracy' must be present"),
    ],
    ids=["edited-7.5", "resealed-7.5", "lacks-epoch-1", "lacks-latency", "lacks-test-accuracy"],
)
def test_a_bad_cached_record_is_one_line_not_an_answer(cached, change, match):
    bench, path = cached
    edit_json(path, change)
    for metric, epoch in (("val_accuracy", 1), ("latency_ms", None), ("test_accuracy", 2)):
        with pytest.raises(DataFileError, match=f"record.json: {match}"):
            bench.query(CELL, metric, epoch)


def test_the_live_cache_key_holds_the_data_identity(live, synthetic, tmp_path):
    other = write_synthetic_so2sat(tmp_path / "other", 300, 60, 60, seed=1)
    first = LiveBenchmark(synthetic, sensor="s2", config=TINY, cache_dir=live)
    second = LiveBenchmark(other, sensor="s2", config=TINY, cache_dir=live)
    assert first.is_measured(CELL, "val_accuracy") and not second.is_measured(CELL, "val_accuracy")
    assert first.cache != second.cache and list(second.measured_hashes()) == []


# ------------------------------------------------------------------------------------ torchrun environment
@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"WORLD_SIZE": "2"}, "WORLD_SIZE=2 but MASTER_ADDR, MASTER_PORT, RANK not set"),
        ({"WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1"}, "MASTER_PORT, RANK not set"),
        ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not a positive integer"),
    ],
)
def test_world_size_outside_torchrun_is_one_line(monkeypatch, capsys, tmp_path, synthetic, env, match):
    for key in ("WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "RANK"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert ddp.main(["--hash", CELL.hash, "--data", str(synthetic), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
