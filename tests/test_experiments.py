"""Multi-seed experiments on the synthetic benchmark: runs, resume, tables, Mann-Whitney, plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.stats import mannwhitneyu

import eo_naslib
from eo_naslib import ConfigError
from eo_naslib.cli import main as cli_main
from eo_naslib.experiments import parse_experiment, run_experiment
from eo_naslib.creation.backends import get_backend
from eo_naslib.experiments import runner as runner_module
from eo_naslib.experiments import runs as runs_module
from eo_naslib.benchmarks import datasets as datasets_module
from eo_naslib.reproduce.synthetic import write_synthetic_data
from eo_naslib.search.pareto import non_dominated
from eo_naslib.testing import SyntheticBenchmark


@pytest.fixture()
def synthetic_api(space, monkeypatch):
    benchmark = SyntheticBenchmark(space, measured_share=0.5)
    monkeypatch.setattr(datasets_module, "_open", lambda name, data_dir, surrogate=True: benchmark)
    runs_module.scorer_for.cache_clear()
    yield benchmark
    runs_module.scorer_for.cache_clear()


def _experiment(tmp_path, **changes):
    data = {
        "name": "tiny",
        "dataset": "cifar10",
        "seeds": 4,
        "budgets": [60],
        "curve_step": 20,
        "workers": 1,
        "out_dir": str(tmp_path),
        "configurations": {
            "pls_120": {"epochs": 120, "search": {"n_init": 5}},
            "pls_hamming_60": {"epochs": 60, "search": {"n_init": 5, "neighbourhood": "hamming"}},
            "rs_60": {"optimizer": "rs", "epochs": 60},
        },
        "comparisons": [["pls_120", "rs_60"], ["pls_120", "pls_hamming_60"]],
    }
    return {**data, **changes}


def test_experiment_writes_runs_tables_tests_and_plots(tmp_path, synthetic_api):
    experiment = parse_experiment(_experiment(tmp_path))
    assert experiment.objectives == ("val_accuracy", "train_time_s:min")
    report = run_experiment(experiment, progress=False)
    directory = tmp_path / "tiny"
    record = json.loads((directory / "runs" / "pls_120" / "2.json").read_text())
    assert len(record["history"]["hash"]) == len(set(record["history"]["hash"])) == 120
    values = np.array(record["history"]["values"]) * [-1, 1]
    assert sorted(record["front"]["hash"]) == sorted(np.array(record["history"]["hash"])[non_dominated(values)].tolist())
    assert [s["evaluations"] for s in record["scores"]] == [20, 40, 60, 80, 100, 120]
    import pandas as pd

    summary = pd.read_csv(directory / "summary.csv")
    final = summary[summary.final]
    assert len(final) == 12 and set(final.evaluations) == {60, 120}
    assert 0 < summary.predicted_share.mean() < 1  # half the synthetic cells are flagged predicted
    tests = pd.read_csv(directory / "mann_whitney.csv")
    row = tests[(tests.a == "pls_120") & (tests.b == "rs_60") & (tests["at"] == "final") & (tests.metric == "hypervolume")].iloc[0]
    x = final[final.configuration == "pls_120"].hypervolume
    y = final[final.configuration == "rs_60"].hypervolume
    expected = mannwhitneyu(x, y, alternative="two-sided")
    assert (row.U, row.p) == pytest.approx((expected.statistic, expected.pvalue))
    assert set(tests["at"].astype(str)) == {"final", "60"}
    assert set(tests.metric) == {"best_val_accuracy", "best_train_time_s", "mean_pareto_distance", "hypervolume", "igd_plus"}
    for figure in ("distributions", "curves", "fronts"):
        assert (directory / "plots" / f"{figure}.png").read_bytes()[:4] == b"\x89PNG"
    assert report["medians"]["pls_120"]["evaluations"] == 120
    assert np.isfinite(report["medians"]["pls_120"]["hypervolume"])
    share = 1 - np.mean(record["history"]["predicted"])
    assert record["honesty"]["measured_share"] == pytest.approx(share) == report["measured_share_per_run"]["pls_120"][2]
    front = record["honesty"]["front"]
    assert front["size"] == len(record["front"]["hash"])
    assert report["front_measured_per_run"]["pls_120/2"] == f"{front['measured']} of {front['size']}"


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory, space) -> Path:
    """SYNTHETIC `so2sat` and `cifar10` stores on disk (reproduce's stand-ins): spawned workers open
    them by name, as they open the real ones (they see none of the test process's patches)."""
    return write_synthetic_data(tmp_path_factory.mktemp("synthetic-data"), space)


def test_finished_runs_are_skipped_and_parallel_runs_match(tmp_path, synthetic_data, monkeypatch):
    """Runs in two spawned workers equal the serial ones (random search only: a fresh worker would
    build the space's neighbour graphs again for local searches, seconds each)."""
    configurations = {"rs_60": {"optimizer": "rs", "epochs": 60}, "rs_120": {"optimizer": "rs", "epochs": 120}}
    settings = {"seeds": 2, "data_dir": str(synthetic_data), "configurations": configurations, "comparisons": [["rs_120", "rs_60"]]}
    serial = parse_experiment(_experiment(tmp_path / "serial", **settings))
    run_experiment(serial, progress=False)
    pools = []

    def recording(*args, **options):
        pools.append(get_backend(*args, **options))
        return pools[-1]

    monkeypatch.setattr(runner_module, "get_backend", recording)
    parallel = parse_experiment(_experiment(tmp_path / "parallel", workers=2, **settings))
    run_experiment(parallel, progress=False)
    assert [pool.start_method for pool in pools] == ["spawn"]  # a fork after torch/xgboost started threads can hang
    for name in serial.configurations:
        for seed in range(2):
            a = json.loads(runs_module.run_path(serial, name, seed).read_text())
            b = json.loads(runs_module.run_path(parallel, name, seed).read_text())
            assert a["history"] == b["history"] and a["scores"] == b["scores"]
    monkeypatch.setattr(runs_module, "run_once", lambda *args: pytest.fail("a finished run was run again"))
    report = run_experiment(serial, progress=False)
    assert report["seeds"] == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": 1}, "experiment key 'colour' is unknown"),
        ({"dataset": "mnist"}, "dataset 'mnist' is unknown"),
        ({"comparisons": [["pls_120", "nope"]]}, "comparison \\['pls_120', 'nope'\\] must name two of the configurations"),
        ({"objectives": ["val_accuracy"]}, "objectives must name at least two metrics"),
        ({"seeds": 0}, "seeds must be a positive integer"),
        ({"configurations": {"x": {"epochs": 10, "search": {"population_size": 3}}}}, "search key 'population_size' is unknown for 'pls'"),
        ({"configurations": {"x": {"epochs": 10, "search": {"measured_only": "yes"}}}}, "measured_only must be true or false"),
    ],
)
def test_bad_experiment_configs_are_config_errors(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment(_experiment(tmp_path, **change))


def test_measured_only_experiment_runs_evaluate_only_measured_cells(tmp_path, synthetic_api):
    experiment = parse_experiment(_experiment(
        tmp_path, seeds=2, budgets=[], comparisons=[["pls", "rs"]],
        configurations={"pls": {"epochs": 40, "search": {"n_init": 5, "measured_only": True}},
                         "rs": {"optimizer": "rs", "epochs": 40, "search": {"measured_only": True}}},
    ))
    run_experiment(experiment, progress=False)
    for path in sorted((experiment.directory / "runs").glob("*/*.json")):
        history = json.loads(path.read_text())["history"]
        assert len(history["hash"]) == 40 and not any(history["predicted"]), path
        assert all(synthetic_api.is_measured(h, "val_accuracy") for h in history["hash"])


def test_cli_runs_an_experiment_file(tmp_path, synthetic_api, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(_experiment(tmp_path / "out")))
    assert cli_main(["experiment", "--config", str(config), "--seeds", "2", "--no-progress"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["medians"]) == {"pls_120", "pls_hamming_60", "rs_60"}
    assert cli_main(["experiment", "--config", str(tmp_path / "missing.yaml")]) == 2


def test_shipped_experiment_configs_are_valid():
    folder = Path(eo_naslib.__file__).parent / "configs" / "experiments"
    files = sorted(folder.glob("*.yaml"))
    assert len(files) >= 3
    for path in files:
        parse_experiment(yaml.safe_load(path.read_text()))
    for path in sorted(folder.glob("*_accuracy_vs_*.yaml")):  # seed 000's PLS experiments
        experiment = parse_experiment(yaml.safe_load(path.read_text()))
        assert experiment.seeds == 30 and experiment.configurations["data_centric"].epochs == 500
        assert experiment.configurations["random_2500"].epochs == 2500  # n_train 2,000 + 500
