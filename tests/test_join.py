"""Joined benchmarks: each metric from its source (values, measured flags, uncertainty), clashes
refused unless named, the name form, and constrained search over a join. Synthetic benchmarks
(no real measurement) and the two bundled real benchmarks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib import join_benchmarks
from eo_naslib.benchmarks import JoinedBenchmark, load_benchmark
from eo_naslib.benchmarks.datasets import open_dataset
from eo_naslib.benchmarks.joined import parse_join
from eo_naslib.cli import main
from eo_naslib.errors import ConfigError, UnknownMetricError
from eo_naslib.landscape.core import from_benchmark
from eo_naslib.search import minimize
from eo_naslib.testing import SyntheticBenchmark


class SyntheticDeviceStore(SyntheticBenchmark):
    """SYNTHETIC device store: latency and a training time of its own (a name clash), measured on
    other cells than the base benchmark."""

    name = "synthetic-rpi"

    def __init__(self, space) -> None:
        super().__init__(space, seed=7, measured_share=0.02)
        rng = np.random.default_rng(8)
        self._values = {"latency_ms": rng.uniform(20, 80, len(space)), "train_time_s": rng.uniform(1, 2, len(space))}
        self.metrics = tuple(self._values)


@pytest.fixture(scope="module")
def base(space):
    return SyntheticBenchmark(space, seed=0, measured_share=0.05)


@pytest.fixture(scope="module")
def store(space):
    return SyntheticDeviceStore(space)


def test_join_takes_each_metric_from_its_source(base, store, space):
    joined = join_benchmarks(base, store, metrics=["latency_ms"])
    assert isinstance(joined, JoinedBenchmark) and joined.name == "synthetic+synthetic-rpi[latency_ms]"
    assert joined.metrics == ("val_accuracy", "train_time_s", "latency_ms")
    assert joined.provenance() == {"val_accuracy": "synthetic", "train_time_s": "synthetic", "latency_ms": "synthetic-rpi"}
    rows = np.random.default_rng(0).choice(len(space), 500, replace=False)
    hashes = space.hashes[rows].tolist()
    np.testing.assert_array_equal(joined.query_many(hashes, "latency_ms"), store.query_many(hashes, "latency_ms"))
    np.testing.assert_array_equal(joined.query_many(hashes, "val_accuracy"), base.query_many(hashes, "val_accuracy"))
    np.testing.assert_array_equal(joined.query_rows(rows, "train_time_s"), base.query_rows(rows, "train_time_s"))
    both = joined.query_many(hashes, ["val_accuracy", "latency_ms"])
    np.testing.assert_array_equal(both[:, 1], store.values("latency_ms")[rows])
    np.testing.assert_array_equal(joined.measured_mask("latency_ms"), store.measured_mask("latency_ms"))
    np.testing.assert_array_equal(joined.measured_mask("val_accuracy"), base.measured_mask("val_accuracy"))
    assert set(joined.measured_hashes()) == set(base.measured_hashes()) | set(store.measured_hashes())
    record = joined.query_all(hashes[0])
    assert record.values == {"val_accuracy": base.query(hashes[0], "val_accuracy"), "train_time_s": base.query(hashes[0], "train_time_s"),
                             "latency_ms": store.query(hashes[0], "latency_ms")}
    assert record.measured["latency_ms"] == store.is_measured(hashes[0], "latency_ms")
    frame = joined.to_dataframe()
    assert list(frame.columns) == ["hash", "val_accuracy", "train_time_s", "latency_ms"]
    # the clashing metric, named, comes from the second
    swapped = join_benchmarks(base, store, metrics=["train_time_s", "latency_ms"])
    np.testing.assert_array_equal(swapped.values("train_time_s"), store.values("train_time_s"))


def test_join_refuses_clashes_and_unknown_metrics(base, store):
    with pytest.raises(ConfigError, match=r"both offer \['train_time_s'\]; name the metrics to take from 'synthetic-rpi'"):
        join_benchmarks(base, store)
    with pytest.raises(ConfigError, match="has no metric 'energy_mj' to join"):
        join_benchmarks(base, store, metrics=["energy_mj"])
    with pytest.raises(ConfigError, match="list of metric names"):
        join_benchmarks(base, store, metrics="latency_ms")
    with pytest.raises(ConfigError, match="is not a benchmark"):
        join_benchmarks(base, "synthetic-rpi")
    with pytest.raises(UnknownMetricError, match="has no metric 'params'"):
        join_benchmarks(base, store, metrics=["latency_ms"]).values("params")


@pytest.mark.parametrize(
    "name, parsed",
    [
        ("so2sat+my-rpi4", ("so2sat", "my-rpi4", None)),
        ("so2sat+my-rpi4[latency_ms]", ("so2sat", "my-rpi4", ["latency_ms"])),
        (" so2sat+my-rpi4[latency_ms, energy_mj] ", ("so2sat", "my-rpi4", ["latency_ms", "energy_mj"])),
    ],
)
def test_join_names_parse(name, parsed):
    assert parse_join(name) == parsed


@pytest.mark.parametrize("name", ["so2sat+", "+my-rpi4", "a+b+c", "so2sat+my-rpi4[latency_ms", "so2sat+my-rpi4[]"])
def test_bad_join_names_are_refused(name):
    with pytest.raises(ConfigError, match="e.g. 'so2sat\\+my-rpi4\\[latency_ms\\]'"):
        parse_join(name)


def test_constrained_search_over_a_join(base, store, space):
    joined = join_benchmarks(base, store, metrics=["latency_ms"])
    result = minimize(joined, "nsga2", ["val_accuracy", "latency_ms:min"], 80, seed=0, constraints=["latency_ms <= 40"])
    latency = store.values("latency_ms")[space.indices(result.hashes)]
    np.testing.assert_array_equal(result.values[:, 1], latency)
    assert result.feasible.any() and (latency[result.front] <= 40).all()
    assert result.benchmark == "synthetic+synthetic-rpi[latency_ms]"


def test_real_benchmarks_join_by_name(data_dir, so2sat, cifar10):
    """so2sat's accuracies with CIFAR-10's training time (both real): values, flags and std equal
    their sources' on the same hashes; the clash of an unnamed join is refused."""
    joined = load_benchmark("so2sat+cifar10[train_time_s]", data_dir, build=False)
    hashes = so2sat.measured_hashes()[:50].tolist() + cifar10.measured_hashes()[:50].tolist()
    values, std = joined.query_many(hashes, ["val_accuracy", "train_time_s"], with_std=True)
    so2sat_values, so2sat_std = so2sat.query_many(hashes, "val_accuracy", with_std=True)
    cifar_values, cifar_std = cifar10.query_many(hashes, "train_time_s", with_std=True)
    np.testing.assert_array_equal(values[:, 0], so2sat_values)
    np.testing.assert_array_equal(values[:, 1], cifar_values)
    np.testing.assert_array_equal(std, np.column_stack([so2sat_std, cifar_std]))
    assert [joined.is_measured(h, "train_time_s") for h in hashes] == [cifar10.is_measured(h, "train_time_s") for h in hashes]
    assert joined.interval_multiplier("train_time_s") == cifar10.interval_multiplier("train_time_s")
    assert joined.query_all(hashes[-1]).measured["train_time_s"] is True
    with pytest.raises(ConfigError, match="both offer"):
        load_benchmark("so2sat+cifar10", data_dir, build=False)
    opened, _ = open_dataset("so2sat_lcz42_micro", data_dir, join="cifar10[train_time_s]")
    assert opened.name == "so2sat+cifar10[train_time_s]"
    with pytest.raises(ConfigError, match="must name one benchmark"):
        open_dataset("so2sat_lcz42_micro", data_dir, join="a+b")


def test_query_command_answers_a_join(data_dir, cifar10, capsys):
    """`eo-naslib query 'so2sat+cifar10[train_time_s]'`: every metric of the join, each from its source."""
    cell_hash = str(cifar10.measured_hashes()[0])
    assert main(["query", "so2sat+cifar10[train_time_s]", "--hash", cell_hash, "--data-dir", str(data_dir)]) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["metrics"]["train_time_s"] == cifar10.query(cell_hash, "train_time_s")
    assert answer["measured"]["train_time_s"] is True and "val_accuracy" in answer["metrics"]


def test_landscapes_read_a_join(base, store, space):
    """Footprints use a join as one benchmark: the landscape of a joined metric is its source's."""
    joined = join_benchmarks(base, store, metrics=["latency_ms"])
    land = from_benchmark(joined, "latency_ms", space=space)
    np.testing.assert_array_equal(land.fitness, store.values("latency_ms"))
    assert land.settings["benchmark"] == "synthetic+synthetic-rpi[latency_ms]" and land.maximise is False
