"""The NASLib-shaped core: Metric mapping, search space, config validation, runner and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib import Cell, ConfigError, InvalidCellError
from eo_naslib.errors import UnknownMetricError
from eo_naslib.cli import main as cli_main
from eo_naslib.space import encode, neighbours
from eo_naslib.naslib_compat import Metric, NasBench101SearchSpace, from_metric_name, run, to_metric_name
from eo_naslib.naslib_compat import dataset_api as dataset_api_module

from eo_naslib.testing import SyntheticBenchmark

NASLIB_METRIC_VALUES = {
    "RAW": 1, "ALL": 2, "TRAIN_ACCURACY": 3, "VAL_ACCURACY": 4, "TEST_ACCURACY": 5, "TRAIN_LOSS": 6,
    "VAL_LOSS": 7, "TEST_LOSS": 8, "TRAIN_TIME": 9, "VAL_TIME": 10, "TEST_TIME": 11, "FLOPS": 12,
    "LATENCY": 13, "PARAMETERS": 14, "EPOCH": 15, "HP": 16,
}  # fmt: skip


def test_metric_has_naslib_names_and_values():
    for name, value in NASLIB_METRIC_VALUES.items():
        assert Metric[name].value == value


def test_metric_mapping_round_trips():
    assert to_metric_name(Metric.VAL_ACCURACY) == "val_accuracy"
    assert to_metric_name(Metric.VAL_ACCURACY, macro=True) == "val_accuracy_macro"
    assert to_metric_name(Metric.LATENCY_STD) == "latency_std_ms"
    for name in ("train_time_s", "latency_ms", "params", "macs", "size_kb", "test_accuracy_macro"):
        assert to_metric_name(from_metric_name(name)) == name
    assert to_metric_name(Metric.TRAIN_LOSS) == "train_loss" and to_metric_name(Metric.VAL_LOSS) == "val_loss"
    with pytest.raises(KeyError, match="FLOPS has no benchmark value"):
        to_metric_name(Metric.FLOPS)


@pytest.fixture()
def synthetic_api(space, monkeypatch):
    benchmark = SyntheticBenchmark(space)
    api = {"benchmark": benchmark, "space": space, "dataset": "cifar10", "macro": False}
    monkeypatch.setitem(dataset_api_module._REGISTRY, ("nasbench101", "cifar10"), lambda dataset, data_dir, measured_only: api)
    return api


def test_search_space_spec_forms_and_query(space, synthetic_api):
    ss = NasBench101SearchSpace()
    row = 12345
    ss.set_spec(str(space.hashes[row]), dataset_api=synthetic_api)
    cell = ss.spec
    assert ss.get_hash() == space.hashes[row]
    other = ss.clone()
    other.set_spec(ss.get_spec())
    assert other.get_hash() == ss.get_hash()
    percent = ss.query(Metric.VAL_ACCURACY, "cifar10", dataset_api=synthetic_api)
    assert percent == pytest.approx(100 * synthetic_api["benchmark"].values("val_accuracy")[row])
    assert ss.query(Metric.TRAIN_TIME, "cifar10", epoch=108, dataset_api=synthetic_api) == pytest.approx(
        synthetic_api["benchmark"].values("train_time_s")[row]
    )
    # one fidelity (108) is no learning curve: refused in one line naming the data that has curves
    with pytest.raises(UnknownMetricError, match=r"holds val_accuracy at epoch \[108\] only, so it has no learning curve; .*eo-naslib build"):
        ss.query(Metric.VAL_ACCURACY, "cifar10", full_lc=True, dataset_api=synthetic_api)
    with pytest.raises(UnknownMetricError, match="has no val_loss, so no learning curve"):
        ss.query(Metric.VAL_LOSS, "cifar10", full_lc=True, dataset_api=synthetic_api)
    assert cell.n_vertices == 7  # NASLib's adjacency one-hot equals ours on 7-vertex cells
    assert ss.encode("adjacency_one_hot") == encode(cell, "adjacency_one_hot").tolist()


def test_search_space_naslib_tuple_and_moves(synthetic_api):
    ss = NasBench101SearchSpace()
    matrix = np.zeros((7, 7), dtype=int)
    matrix[0, 1] = matrix[1, 6] = 1
    ops = [0, 4, 3, 2, 3, 3, 1]  # NASLib order: input, output, maxpool, conv1x1, conv3x3
    ss.set_spec(tuple(matrix.ravel().tolist() + ops))
    assert ss.spec == Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
    np.random.seed(0)
    child = NasBench101SearchSpace()
    child.mutate(ss)
    assert child.get_hash() != ss.get_hash()
    assert {n.arch.get_hash() for n in ss.get_nbhd()} == {c.hash for c in neighbours(ss.spec, "edit")}


def test_invalid_spec_raises_instead_of_minus_one():
    ss = NasBench101SearchSpace()
    with pytest.raises(InvalidCellError):
        ss.set_spec({"matrix": [[0, 0], [0, 0]], "ops": ["input", "output"]})


def _config(tmp_path, optimizer="re", **search):
    return {
        "seed": 3,
        "search_space": "nasbench101",
        "dataset": "cifar10",
        "optimizer": optimizer,
        "out_dir": str(tmp_path / "out"),
        "search": {"epochs": 60, "checkpoint_freq": 7, **search},
    }


def _trajectory(summary):
    return json.loads((summary_dir(summary) / "trajectory.json").read_text())


def summary_dir(summary):
    from pathlib import Path

    return Path(summary["save_dir"])


@pytest.mark.parametrize(
    ("optimizer", "search"),
    [("rs", {}), ("re", {"population_size": 10, "sample_size": 3}), ("ls", {"num_init": 5}),
     ("ea", {"pop_size": 6}), ("ga", {"pop_size": 8})],  # generations that end past the budget
)
def test_runs_are_reproducible_and_write_naslib_files(tmp_path, synthetic_api, optimizer, search):
    first = run(_config(tmp_path / "a", optimizer, **search), progress=False)
    second = run(_config(tmp_path / "b", optimizer, **search), progress=False)
    trajectory = _trajectory(first)
    assert [t["hash"] for t in trajectory] == [t["hash"] for t in _trajectory(second)]
    assert len({t["hash"] for t in trajectory}) == len(trajectory) == 60  # distinct cells
    config, errors = json.loads((summary_dir(first) / "errors.json").read_text())
    assert config["optimizer"] == optimizer
    assert set(errors) == {"train_acc", "valid_acc", "test_acc", "runtime", "train_time", "params", "measured", "arch_hash",
                           "arch_params", "uncertainty"}  # fmt: skip
    assert errors["uncertainty"] == first["uncertainty"] and errors["uncertainty"]["front"]["size"] == first["front_size"]
    assert isinstance(errors["params"], float)  # one number, as NASLib writes it
    assert len(errors["valid_acc"]) == len(errors["measured"]) == len(errors["arch_hash"]) == 60
    assert all(v > 1 for v in errors["valid_acc"])  # percent
    best = max(t["val_accuracy"] for t in trajectory)
    assert errors["valid_acc"][-1] == pytest.approx(100 * best)  # incumbent at the end
    by_hash = {t["hash"]: t["measured"]["val_accuracy"] for t in trajectory}
    assert errors["measured"] == [by_hash[h] for h in errors["arch_hash"]]
    log = (summary_dir(first) / "log.log").read_text()
    assert "Beginning search" in log and "Epoch 59 done." in log and "Training finished" in log
    final = json.loads((summary_dir(first) / "final_architecture.json").read_text())
    assert final["hash"] == first["best_hash"]
    assert summary_dir(first).parts[-4:] == ("nasbench101", "cifar10", optimizer, "3")


def test_evolution_improves_on_random_search(tmp_path, synthetic_api):
    re_best = run(_config(tmp_path / "re", "re", epochs=300, population_size=20, sample_size=5), progress=False)["best"]
    rs_best = run(_config(tmp_path / "rs", "rs", epochs=300), progress=False)["best"]
    assert re_best["val_accuracy"] >= rs_best["val_accuracy"]


class _Killed(Exception):
    pass


@pytest.mark.parametrize("optimizer", ["re", "ls"])
def test_resume_after_interruption_gives_the_same_trajectory(tmp_path, synthetic_api, monkeypatch, optimizer):
    reference = _trajectory(run(_config(tmp_path / "ref", optimizer), progress=False))
    from eo_naslib.naslib_compat import optimizer as optimizer_module

    original = optimizer_module.DiscreteOptimizer.new_epoch

    def dying(self, epoch):
        if epoch == 33:  # after the checkpoint at epoch 27, before the one at 34
            raise _Killed
        original(self, epoch)

    monkeypatch.setattr(optimizer_module.DiscreteOptimizer, "new_epoch", dying)
    config = _config(tmp_path / "cut", optimizer)
    with pytest.raises(_Killed):
        run(config, progress=False)
    monkeypatch.setattr(optimizer_module.DiscreteOptimizer, "new_epoch", original)
    resumed = run(config, resume=True, progress=False)
    assert resumed["resumed"]
    assert [t["hash"] for t in _trajectory(resumed)] == [t["hash"] for t in reference]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"optimizer": "bananaz"}, "optimizer 'bananaz' is unknown; allowed: "),
        ({"dataset": "imagenet"}, "dataset 'imagenet' is unknown; allowed: "),
        ({"search_space": "darts"}, "search_space 'darts' is unknown; allowed: "),
        ({"seed": -1}, "seed must be a seed, an integer from 0"),
        ({"colour": 1}, "config key 'colour' is unknown; allowed: "),
        ({"search": {"epochs": 0}}, "search.epochs must be a positive integer"),
        ({"search": {"epochs": 5, "popsize": 3}}, "search key 'popsize' is unknown for optimizer 're'; did you mean 'population_size'? allowed: "),
        ({"search": {"epochs": 5, "objectives": ["speed"]}}, "unknown metric 'speed'"),
        ({"search": {"epochs": 5, "sample_sise": 3}}, "search key 'sample_sise' is unknown for optimizer 're'; did you mean 'sample_size'?"),
        ({"optimizer": "bananas"}, "optimizer 'bananas' is NASLib's; run this config through NASLib"),
        ({"search": {"epochs": 5, "measured_only": "yes"}}, "search.measured_only must be true or false"),
    ],
)
def test_bad_configs_fail_with_one_line_and_write_nothing(tmp_path, capsys, change, message):
    config = {**_config(tmp_path), **change}
    config_file = tmp_path / "bad.yaml"
    import yaml

    config_file.write_text(yaml.safe_dump(config))
    assert cli_main(["run", "--config-file", str(config_file), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_naslib_discrete_config_is_accepted_with_its_keys_listed_once_as_ignored(tmp_path, synthetic_api, caplog):
    """NASLib's runners/bbo/discrete_config.yaml keys, as NASLib ships them."""
    config = {
        **_config(tmp_path, "re"), "search_space": "nasbench101", "config_id": 0,
        "search": {"budgets": 50000000, "checkpoint_freq": 1000, "fidelity": 108, "epochs": 12, "predictor_type": "var_sparse_gp",
                   "num_init": 10, "k": 10, "num_ensemble": 3, "acq_fn_type": "its", "acq_fn_optimization": "mutation",
                   "encoding_type": "adjacency_one_hot", "num_arches_to_mutate": 1, "max_mutations": 1, "num_candidates": 50,
                   "batch_size": 256, "data_size": 25000, "cutout": False, "cutout_length": 16, "cutout_prob": 1.0,
                   "train_portion": 0.7, "debug_predictor": False, "sample_size": 10, "population_size": 30},
        "evaluation": {"checkpoint_freq": 30, "batch_size": 96, "epochs": 600},
    }  # fmt: skip
    with caplog.at_level("WARNING", logger="eo_naslib.naslib_compat.config"):
        summary = run(config, progress=False)
    assert summary["evaluations"] == 12
    ignored = [r.getMessage() for r in caplog.records if "are ignored" in r.getMessage()]
    assert len(ignored) == 1 and "search.budgets" in ignored[0] and "search.sample_size" not in ignored[0]


def test_overrides_are_applied(tmp_path, synthetic_api, capsys):
    import yaml

    config_file = tmp_path / "ok.yaml"
    config_file.write_text(yaml.safe_dump(_config(tmp_path, "rs")))
    assert cli_main(["run", "--config-file", str(config_file), "--no-progress", "seed", "5", "search.epochs", "12"]) == 0
    headline, printed = capsys.readouterr().out.split("\n", 1)
    summary = json.loads(printed)
    assert summary["evaluations"] == 12 and summary["save_dir"].endswith("/5")
    assert headline == summary["headline"] and headline.startswith("front ")
    with pytest.raises(ConfigError, match="pairs"):
        from eo_naslib.naslib_compat.config import apply_overrides

        apply_overrides({}, ["seed"])
