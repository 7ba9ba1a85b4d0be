"""Issue 30: every size is bounded before work starts, in one line naming the value, the bound
and why (workers, seeds, walks, trials, populations, samples, numbers numpy cannot hold), and
every config reader refuses what would end in a traceback (deep nesting, huge integers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from eo_naslib import cli, minimize
from eo_naslib.benchmarks import datasets as datasets_module
from eo_naslib.creation.backends import get_backend
from eo_naslib.creation.backends.local import MAX_WORKERS_PER_CPU, cpus_available
from eo_naslib.creation.sampling import lhs_sample, random_walk_sample
from eo_naslib.errors import ConfigError
from eo_naslib.experiments import runs as runs_module
from eo_naslib.experiments.config import MAX_SEEDS, parse_experiment
from eo_naslib.landscape import FootprintSettings
from eo_naslib.testing import SyntheticBenchmark

CREATION = Path(__file__).resolve().parents[1] / "eo_naslib" / "configs" / "creation" / "so2sat_fusion.yaml"


@pytest.fixture
def synthetic_api(space, monkeypatch):
    """Experiments on the synthetic benchmark (as tests/test_experiments.py)."""
    monkeypatch.setattr(datasets_module, "_open", lambda name, data_dir, surrogate=True: SyntheticBenchmark(space))
    runs_module.scorer_for.cache_clear()
    yield
    runs_module.scorer_for.cache_clear()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def experiment_config(tmp_path: Path, **changes: object) -> dict[str, object]:
    return {
        "name": "bounded",
        "dataset": "cifar10",
        "seeds": 2,
        "workers": 1,
        "out_dir": str(tmp_path / "out"),
        "configurations": {"rs_5": {"optimizer": "rs", "epochs": 5}, "pls_5": {"epochs": 5, "search": {"n_init": 2}}},
        **changes,
    }


def write_yaml(path: Path, data: object) -> str:
    path.write_text(yaml.safe_dump(data))
    return str(path)


# ---------------------------------------------------------------------------------------- workers
def test_more_workers_than_cpus_are_refused_before_any_fork():
    cpus = cpus_available()
    with pytest.raises(ConfigError, match=rf"workers = 100,000 is more than {cpus:,}, the limit \(the CPUs available"):
        get_backend("local", workers=100_000)
    with pytest.raises(ConfigError, match=rf"more than {MAX_WORKERS_PER_CPU * cpus:,}, the limit \({MAX_WORKERS_PER_CPU} per CPU"):
        get_backend("local", workers=100_000, oversubscribe=True)
    with get_backend("local", workers=cpus + 1, oversubscribe=True) as backend:
        assert backend.workers == cpus + 1


def test_experiment_workers_100000_is_one_line_and_no_run(tmp_path, capsys, synthetic_api):
    config = write_yaml(tmp_path / "exp.yaml", experiment_config(tmp_path))
    code, err = run_cli(["experiment", "--config", config, "--workers", "100000", "--no-progress"], capsys)
    assert code == 2 and "workers = 100,000 is more than" in one_error_line(err) and "--oversubscribe" in err
    assert not list((tmp_path / "out").rglob("*.json"))


def test_the_local_backend_submits_a_few_calls_per_worker_at_a_time():
    with get_backend("local", workers=1) as backend:
        pool = backend._executor()
        submitted = []
        original = pool.submit
        pool.submit = lambda fn, *args: submitted.append(args) or original(fn, *args)  # type: ignore[method-assign]
        results = backend.imap(abs, [(-i,) for i in range(50)])
        first = next(results)
        assert len(submitted) <= 2  # the window: WINDOW_PER_WORKER calls for one worker
        rest = list(results)
        assert sorted(r for _, r, _ in [first, *rest]) == list(range(50))  # completion order, not submission order


# ---------------------------------------------------------------------------------------- seeds
@pytest.mark.parametrize("seeds", [10**9, MAX_SEEDS + 1])
def test_experiment_seeds_are_bounded(tmp_path, seeds):
    with pytest.raises(ConfigError, match=rf"seeds = {seeds:,} is more than {MAX_SEEDS:,}"):
        parse_experiment(experiment_config(tmp_path, seeds=seeds))


def test_experiment_runs_are_bounded(tmp_path):
    many = {f"rs_{i}": {"optimizer": "rs", "epochs": 5} for i in range(20)}
    with pytest.raises(ConfigError, match="configurations x seeds = 200,000 is more than 100,000"):
        parse_experiment(experiment_config(tmp_path, seeds=MAX_SEEDS, configurations=many))


# ---------------------------------------------------------------------------------------- footprints
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--walks", "99999999999999999999999"], "walks x (steps + 1) = "),
        (["--walks", str(10**9)], "walks x (steps + 1) = 101,000,000,000 is more than 1,000,000"),
        (["--trials", str(10**9)], "trials x runs = 200,000,000,000 is more than 1,000,000"),
    ],
)
def test_footprint_sizes_are_refused_in_one_line(tmp_path, capsys, so2sat, data_dir, flags, message):
    code, err = run_cli(["footprint", "--benchmark", "so2sat", "--data-dir", str(data_dir), "--out", str(tmp_path), *flags], capsys)
    assert code == 2 and message in one_error_line(err)
    assert not any(tmp_path.iterdir())


def test_footprint_settings_at_the_bounds_are_accepted():
    assert FootprintSettings("val_accuracy", walks=9_999, steps=99).walks == 9_999
    assert FootprintSettings("val_accuracy", trials=5_000, runs=200).trials == 5_000


# ---------------------------------------------------------------------------------------- populations, samples
def test_nsga2_population_is_bounded(space):
    with pytest.raises(ConfigError, match="search.pop_size = 1,000,000 is more than 10,000, the limit \\(pymoo"):
        minimize(SyntheticBenchmark(space), "nsga2", ["val_accuracy", "train_time_s:min"], 50, seed=0, pop_size=10**6)


def test_a_population_larger_than_the_space_is_refused(space):
    with pytest.raises(ConfigError, match="search.pop_size 1000000 is more than the 423624 cells of the space"):
        minimize(SyntheticBenchmark(space), "ga", ["val_accuracy"], 50, seed=0, pop_size=10**6)


def test_samples_larger_than_the_space_are_refused():
    with pytest.raises(ConfigError, match="n \\(cells to sample\\) = 1,000,000,000 is more than 423,624"):
        lhs_sample(10**9)
    with pytest.raises(ConfigError, match="starts x \\(steps \\+ 1\\) = 10,000,000,000,000,000,000,000 is more than 423,624"):
        random_walk_sample(starts=10**22, steps=0)


def test_build_plan_with_lhs_n_1e9_is_one_line(tmp_path, capsys):
    pytest.importorskip("torch", reason="a train plan needs the train extra (torch, h5py)")
    config = yaml.safe_load(CREATION.read_text())
    config["sampler"]["n"] = 10**9
    code, err = run_cli(["build", "plan", write_yaml(tmp_path / "lhs.yaml", config), "--out", str(tmp_path / "plan"), "--data", str(tmp_path)], capsys)
    assert code == 2 and "n (cells to sample) = 1,000,000,000 is more than 423,624" in one_error_line(err)
    assert not (tmp_path / "plan" / "plan.json").exists()


# ---------------------------------------------------------------------------------------- config files
def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "text, message",
    [
        (f"name: deep\nconfigurations: {_deep(900)}\n", "nested deeper than 100 levels"),
        ("name: deep\nseeds: " + "7" * 5000 + "\n", "outside the 64-bit range"),
        ("name: twice\nseeds: 3\nseeds: 4\n", "key 'seeds' appears twice"),
    ],
)
def test_experiment_config_files_are_refused_in_one_line(tmp_path, capsys, text, message):
    (tmp_path / "exp.yaml").write_text(text)
    code, err = run_cli(["experiment", "--config", str(tmp_path / "exp.yaml"), "--no-progress"], capsys)
    assert code == 2 and message in one_error_line(err)


@pytest.mark.parametrize(
    "text, message",
    [
        (f"seed: 0\nsearch: {_deep(900)}\n", "nested deeper than 100 levels"),
        ("seed: 0\nsearch:\n  epochs: " + "9" * 5000 + "\n", "outside the 64-bit range"),
        ("seed: " + "9" * 5000 + "\n", "outside the 64-bit range"),
    ],
)
def test_runner_config_files_are_refused_in_one_line(tmp_path, capsys, text, message):
    (tmp_path / "run.yaml").write_text(text)
    code, err = run_cli(["run", "--config-file", str(tmp_path / "run.yaml")], capsys)
    assert code == 2 and message in one_error_line(err)
    assert os.path.exists(tmp_path / "run.yaml")
