"""Training on *synthetic* So2Sat-layout files: learning, kill -9 + resume, corrupt checkpoints, records, CLI."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.benchmarks.metrics import METRICS  # noqa: E402
from eo_naslib.cli import report_errors  # noqa: E402
from eo_naslib.errors import ConfigError, DataFileError  # noqa: E402
from eo_naslib.space import OPS, Cell, random_cell  # noqa: E402
from eo_naslib.training.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from eo_naslib.training import cli as training_cli  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.job import train_and_measure  # noqa: E402
from eo_naslib.training.loop import train_model  # noqa: E402
from eo_naslib.training.so2sat import load_so2sat  # noqa: E402
from eo_naslib.testing import TINY_TRAINING, TWO_STACK_TRAINING  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: a seconds-long model and run (small stem, 2 stacks of 1 cell); the seeds' settings are the defaults
TINY = TWO_STACK_TRAINING
CELL = random_cell(np.random.default_rng(1))
TIME_KEYS = {"train_time_s", "wall_time_s"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("synthetic_so2sat"), 600, 100, 100, seed=0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("sensor", ["s1", "s2", "fusion"])
def test_few_epochs_learn_well_above_chance_for_every_sensor(synthetic, tmp_path, sensor):
    record = train_and_measure(
        CELL, TrainConfig.from_dict({**TINY, "sensor": sensor}), tmp_path / "out", data=synthetic
    )
    chance = 3 / 34  # share of the most frequent synthetic class
    assert record["metrics"]["val_accuracy"] > 4 * chance
    assert record["metrics"]["test_accuracy"] > 4 * chance
    assert record["curves"][-1]["test_kappa"] > 0.3


def test_record_schema_and_cached_return(synthetic, tmp_path):
    config = TrainConfig.from_dict(TINY)
    record = train_and_measure(CELL, config, tmp_path, data=synthetic)
    assert set(record["metrics"]) <= set(METRICS)
    assert {
        "val_accuracy",
        "val_accuracy_macro",
        "test_accuracy",
        "train_time_s",
        "latency_ms",
        "params",
        "macs",
    } <= set(record["metrics"])
    assert record["epochs"] == [2, 4] and record["fingerprint"] == config.fingerprint()
    assert record["cell"]["hash"] == CELL.hash and record["versions"]["torch"] == torch.__version__
    assert len(record["curves"][-1]["val_per_class_accuracy"]) == 17
    on_disk = json.loads((tmp_path / "record.json").read_text())
    assert on_disk["metrics"] == pytest.approx(record["metrics"])
    started = time.perf_counter()
    assert train_and_measure(CELL, config, tmp_path, data=synthetic)["created"] == record["created"]
    assert time.perf_counter() - started < 1.0
    with pytest.raises(ConfigError, match=r"lr: 0\.1 -> 0\.05"):
        train_and_measure(CELL, config.replace(lr=0.05), tmp_path, data=synthetic)


def test_train_accuracy_is_an_eval_pass_over_the_training_images(synthetic):
    # NB101's train_accuracy evaluates the trained model on the training images after the epoch;
    # the running train-mode accuracy of the epoch's batches is kept as train_accuracy_running
    config = TrainConfig.from_dict(TINY_TRAINING)
    splits = load_so2sat(synthetic, config.sensor, config.subset_fraction, config.val_fraction, config.split_seed)
    result = train_model(CELL, splits, config, None)
    model = result["model"].eval()
    with torch.no_grad():
        batches = torch.split(splits.x_train, config.eval_batch_size)
        predicted = torch.cat([model(batch).argmax(dim=1) for batch in batches])
    last = result["curves"][-1]
    assert last["train_accuracy"] == pytest.approx(float((predicted == splits.y_train).float().mean()), abs=1e-9)
    assert 0 <= last["train_accuracy_running"] <= 1 and last["train_loss_running"] > 0
    assert {"train_accuracy_macro", "train_kappa", "train_loss"} <= set(last)


def test_resume_in_another_vertex_order_of_the_cell_is_refused(synthetic, tmp_path):
    # three parallel branches: in NB101's order conv3x3 comes first and gets 6 of the 16 channels
    matrix = [[0, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    user = Cell(matrix, ["input", OPS[2], OPS[1], OPS[0], "output"])
    config = TrainConfig.from_dict({**TINY_TRAINING, "epochs": 1})
    splits = load_so2sat(synthetic, config.sensor, config.subset_fraction, config.val_fraction, config.split_seed)
    checkpoint = tmp_path / "checkpoint.pt"
    train_model(user, splits, config, checkpoint)
    with pytest.raises(ConfigError, match="another vertex order"):
        train_model(user.nb101(), splits, config, checkpoint)
    state = load_checkpoint(checkpoint)
    del state["cell_matrix"], state["cell_ops"]  # a checkpoint written before they were recorded
    save_checkpoint(checkpoint, state)
    # its tensors do not fit NB101's network: set aside as corrupt, and training starts afresh
    assert train_model(user.nb101(), splits, config, checkpoint)["resumed_from_epoch"] == 0
    assert (tmp_path / "checkpoint.pt.corrupt").exists()


def test_resume_with_other_settings_names_the_changed_keys(synthetic, tmp_path):
    config = TrainConfig.from_dict({**TINY, "epochs": 2})
    splits = load_so2sat(synthetic, "s2", 1.0)
    train_and_measure(CELL, config, tmp_path, data=splits)
    (tmp_path / "record.json").unlink()  # leave only the checkpoint
    with pytest.raises(ConfigError, match="weight_decay") as info:
        train_and_measure(CELL, config.replace(weight_decay=1e-4), tmp_path, data=splits)
    assert "\n" not in str(info.value)


def test_corrupt_checkpoint_is_set_aside_and_training_restarts(synthetic, tmp_path, caplog):
    config = TrainConfig.from_dict({**TINY, "epochs": 2})
    (tmp_path / "checkpoint.pt").write_bytes(b"\x00garbage, not a checkpoint")
    with caplog.at_level(logging.WARNING):
        record = train_and_measure(CELL, config, tmp_path, data=synthetic)
    assert (tmp_path / "checkpoint.pt.corrupt").read_bytes().startswith(b"\x00garbage")
    assert record["training"]["resumed_from_epoch"] == 0
    assert "is corrupt" in caplog.text and "restarts from scratch" in caplog.text


def test_unwritable_out_dir_is_one_clear_error(synthetic, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataFileError, match="is a file, not a directory"):
        train_and_measure(CELL, TrainConfig.from_dict(TINY), blocker, data=synthetic)


_RUNNER = """
import sys, torch
torch.set_num_threads(1)
from eo_naslib.space import Cell
from eo_naslib.training.config import TrainConfig
from eo_naslib.training.job import train_and_measure
import json
settings, matrix, ops, data, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
train_and_measure(Cell(matrix, ops), TrainConfig.from_dict(settings), out, data=data)
"""


def _start(settings, data, out):
    args = [
        sys.executable,
        "-c",
        _RUNNER,
        json.dumps(settings),
        json.dumps(CELL.matrix.tolist()),
        json.dumps(list(CELL.ops)),
        str(data),
        str(out),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _comparable(record):
    curves = [{k: v for k, v in p.items() if k not in TIME_KEYS} for p in record["curves"]]
    metrics = {
        k: v
        for k, v in record["metrics"].items()
        if k not in {"train_time_s", "latency_ms", "latency_std_ms"}
    }
    return curves, metrics


def test_sigkill_and_resume_end_with_identical_metrics(synthetic, tmp_path):
    settings = {**TINY, "epochs": 6, "eval_every": 1}
    reference = _start(settings, synthetic, tmp_path / "reference")
    killed = _start(settings, synthetic, tmp_path / "killed")
    checkpoint = tmp_path / "killed" / "checkpoint.pt"
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (tmp_path / "killed" / "record.json").exists()
    resumed = _start(settings, synthetic, tmp_path / "killed")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()
    assert reference.wait(timeout=300) == 0, reference.stderr.read().decode()
    first = json.loads((tmp_path / "reference" / "record.json").read_text())
    second = json.loads((tmp_path / "killed" / "record.json").read_text())
    assert 1 <= second["training"]["resumed_from_epoch"] < 6
    assert _comparable(second) == _comparable(first)


def _cli(argv):
    parser = argparse.ArgumentParser(prog="eo-naslib")
    training_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return report_errors(lambda: args.func(args))


def test_cli_train_measure_and_one_line_errors(synthetic, tmp_path, capsys):
    sets = [f"--set={k}={json.dumps(v)}" for k, v in TINY.items() if k != "device"]
    cell = ["--matrix", json.dumps(CELL.matrix.tolist()), "--ops", json.dumps(list(CELL.ops))]
    assert (
        _cli(
            ["train", *cell, "--data", str(synthetic), "--out", str(tmp_path / "o"), "--device", "cpu", *sets]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["metrics"]["val_accuracy"] > 0.3
    assert (
        _cli(
            [
                "measure",
                "--hash",
                CELL.hash,
                "--device",
                "cpu",
                "--stem-channels",
                "8",
                "--batch-size",
                "2",
                "--repeats",
                "2",
                "--warmup",
                "1",
                "--sensor",
                "fusion",
            ]
        )
        == 0
    )
    measured = json.loads(capsys.readouterr().out)
    assert measured["input_shape"] == [18, 32, 32] and measured["macs"] > 0 and measured["latency_ms"] > 0
    assert (
        _cli(
            [
                "train",
                "--matrix",
                "[[0,0],[0,0]]",
                "--ops",
                '["input","output"]',
                "--data",
                str(synthetic),
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    assert (
        _cli(
            ["train", "--hash", CELL.hash, "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "y")]
        )
        == 2
    )
    assert (
        _cli(
            [
                "train",
                "--hash",
                CELL.hash,
                "--data",
                str(synthetic),
                "--out",
                str(tmp_path / "z"),
                "--set",
                "nope=1",
            ]
        )
        == 2
    )
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("eo-naslib: error: ") for line in errors)
    assert "no path from the input" in errors[0] and "does not exist" in errors[1] and "nope" in errors[2]
