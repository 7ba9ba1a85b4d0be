"""Typed config keys checked at the edge: lists vs mappings, null, bools, huge ints, seeds outside
numpy/torch ranges, empty paths, unordered fidelity lists; a negative ruggedness tau is flagged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib import cli
from eo_naslib.errors import MAX_SEED, ConfigError, InvalidCellError, seed_int
from eo_naslib.experiments.config import parse_experiment
from eo_naslib.landscape import FootprintSettings
from eo_naslib.landscape.walks import ruggedness
from eo_naslib.naslib_compat.config import validate
from eo_naslib.space import Cell
from eo_naslib.training.config import TrainConfig


def run_config(**changes):
    config = {"seed": 0, "search_space": "nasbench101", "dataset": "cifar10", "optimizer": "rs", "out_dir": "out",
              "search": {"epochs": 5}}  # fmt: skip
    config.update(changes)
    return config


def one_line_refusal(argv, capsys):
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


# ------------------------------------------------------------------------------ the runner's config
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"search": {"epochs": None}}, r"search.epochs must be a positive integer, got None"),
        ({"search": [{"epochs": 5}]}, "search must be a mapping"),
        ({"search": {"epochs": True}}, "search.epochs must be a positive integer, got True"),
        ({"search": {"epochs": 10**30}}, None),  # accepted here; the budget bounds are issue 30's
        ({"seed": -1}, "seed must be a seed, an integer from 0 to 4294967295, got -1"),
        ({"seed": 2**70}, "seed must be a seed"),
        ({"seed": True}, "seed must be a seed"),
        ({"seed": 1.0}, "seed must be a seed"),
        ({"data_dir": ""}, "data_dir must be a folder path, or null for the default, got ''"),
        ({"data_dir": "  "}, "data_dir must be a folder path"),
        ({"data_dir": ["a"]}, "data_dir must be a folder path"),
    ],
)
def test_runner_config_values(changes, message):
    if message is None:
        validate(run_config(**changes))
        return
    with pytest.raises(ConfigError, match=message):
        validate(run_config(**changes))


def test_null_checkpoint_freq_means_the_default():
    assert validate(run_config(search={"epochs": 5, "checkpoint_freq": None}))["search"]["checkpoint_freq"] == 10


def test_search_epochs_null_through_the_command_line(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(json.dumps(run_config(out_dir=str(tmp_path / "out"), search={"epochs": None})))
    err = one_line_refusal(["run", "--config-file", str(config), "--no-progress"], capsys)
    assert "search.epochs must be a positive integer, got None" in err


def test_seeds_are_the_range_numpy_and_torch_share():
    assert seed_int(0, "s") == 0 and seed_int(MAX_SEED, "s") == MAX_SEED and seed_int(np.int64(7), "s") == 7
    for bad in (-1, MAX_SEED + 1, 2**70, True, 1.5, "3", None):
        with pytest.raises(ConfigError):
            seed_int(bad, "s")


# ------------------------------------------------------------------------------ training settings
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"split_seed": -1}, "split_seed must be a seed"),
        ({"seed": 2**70}, "seed must be a seed"),
        ({"seed": True}, "must be of type int"),
        ({"num_stacks": 7}, "num_stacks 7 is too deep for 32x32"),
        ({"epochs": None}, "must be of type int"),
        ({"sensor": ["s2"]}, "must be of type str"),
    ],
)
def test_training_settings(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(changes)


def test_training_seed_on_the_command_line(tmp_path, capsys):
    pytest.importorskip("torch", reason="train needs the train extra")
    argv = ["train", "--matrix", "[[0,1],[0,0]]", "--ops", '["input","output"]', "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--set", "split_seed=-1"]
    assert "split_seed must be a seed" in one_line_refusal(argv, capsys)


# ------------------------------------------------------------------------------ cells
@pytest.mark.parametrize("ops", [None, {"a": 1}, [["input"], ["output"]], 5, "input", ["input", 3]])
def test_cell_ops_of_the_wrong_shape(ops):
    with pytest.raises(InvalidCellError, match="ops must be a list of op names"):
        Cell([[0, 1], [0, 0]], ops)


@pytest.mark.parametrize("ops", ['{"a": 1}', '[["input"], ["output"]]', "null", '"input"'])
@pytest.mark.parametrize("command", ["measure", "query"])
def test_ops_holding_a_list_or_an_object_on_the_command_line(ops, command, capsys, tmp_path):
    if command == "measure":
        pytest.importorskip("torch", reason="measure needs the train extra")
    argv = [command, *(["so2sat", "--data-dir", str(tmp_path)] if command == "query" else []), "--matrix", "[[0,1],[0,0]]", "--ops", ops]
    err = one_line_refusal(argv, capsys)
    assert "ops must be a list of op names" in err


# ------------------------------------------------------------------------------ experiments
def experiment(**changes):
    data = {"name": "x", "dataset": "cifar10", "configurations": {"rs": {"optimizer": "rs", "epochs": 4}}}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"configurations": {"rs": {"optimizer": "rs", "epochs": 4, "search": [1, 2]}}}, "search must be a mapping"),
        ({"configurations": {"rs": {"optimizer": "rs", "epochs": 4, "search": "fast"}}}, "search must be a mapping"),
        ({"data_dir": ""}, "data_dir must be a folder path"),
        ({"out_dir": ""}, "out_dir must be a folder path"),
        ({"out_dir": ["a"]}, "out_dir must be a folder path"),
    ],
)
def test_experiment_config_shapes(changes, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment(experiment(**changes))


# ------------------------------------------------------------------------------ footprints
@pytest.mark.parametrize("epochs", [(108, 4), (4, 4, 108), (36, 12)])
def test_fidelity_lists_must_be_increasing(epochs):
    with pytest.raises(ConfigError, match="increasing order"):
        FootprintSettings(metric="val_accuracy", persistence_epochs=epochs)
    FootprintSettings(metric="val_accuracy", persistence_epochs=tuple(sorted(set(epochs))))


def test_unordered_epochs_on_the_command_line(capsys):
    err = one_line_refusal(["footprint", "--benchmark", "cifar10", "--epochs", "108", "4", "--out", "x"], capsys)
    assert "increasing order" in err


def test_a_negative_tau_is_flagged_with_its_meaning():
    alternating = [np.array([0.0, 1.0] * 20) + 0.01 * np.arange(40) for _ in range(3)]
    record = ruggedness(alternating)
    assert record["tau"] < 0
    assert "anti-correlated" in record["tau_flag"] and "no correlation length" in record["tau_flag"]
    smooth = [np.linspace(0, 1, 40) ** 2 for _ in range(3)]
    assert ruggedness(smooth)["tau"] > 0 and ruggedness(smooth)["tau_flag"] is None
