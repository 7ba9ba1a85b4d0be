"""Bad arguments to the public Python API raise the package's errors, never numpy's or Python's.

The audit of issue 13: rows, seeds, encodings, cells, footprint settings and search numbers, each
a value a user can plausibly pass by mistake (negative, past the end, float, bool, NaN, wrong type).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import numpy as np
import pytest

from eo_naslib import EONASLibError, load_benchmark, minimize
from eo_naslib.creation.sampling import lhs_sample, random_walk_sample, sample, uniform_sample
from eo_naslib.errors import DataFileError
from eo_naslib.landscape import FootprintSettings
from eo_naslib.search import Objective, SearchResult
from eo_naslib.space import Cell
from eo_naslib.testing import SyntheticBenchmark
from eo_naslib.space import as_generator, decode, encode, mutate, neighbours, random_cell

SPACE_CASES: dict[str, Callable] = {
    "cell(-1)": lambda s: s.cell(-1),
    "cell(1.5)": lambda s: s.cell(1.5),
    "cell(past the end)": lambda s: s.cell(len(s)),
    "cell(True)": lambda s: s.cell(True),
    "cell(np.int64(-3))": lambda s: s.cell(np.int64(-3)),
    "row_of(-1)": lambda s: s.row_of(-1),
    "row_of(True)": lambda s: s.row_of(True),
    "row_of(None)": lambda s: s.row_of(None),
    "neighbours_of(-1)": lambda s: s.neighbours_of(-1),
    "neighbours_of(1.5)": lambda s: s.neighbours_of(1.5),
    "neighbours_of(past the end)": lambda s: s.neighbours_of(len(s)),
    "encode rows -1": lambda s: s.encode("short", np.array([-1])),
    "encode rows float": lambda s: s.encode("short", np.array([1.5])),
    "encode kind unknown": lambda s: s.encode("gcn", np.array([0])),
    "random_cell(seed 'x')": lambda s: random_cell("x"),
    "random_cell(seed -1)": lambda s: random_cell(-1),
    "random_cell(seed 1.5)": lambda s: random_cell(1.5),
    "random_cell(seed True)": lambda s: random_cell(True),
    "mutate(cell, seed 'x')": lambda s: mutate(s.cell(5), "x"),
    "mutate(an int)": lambda s: mutate(5),
    "neighbours(kind 'foo')": lambda s: neighbours(s.cell(5), "foo"),
    "encode(kind 'foo')": lambda s: encode(s.cell(5), "foo"),
    "decode short, wrong length": lambda s: decode("short", np.zeros(3)),
    "decode short, NaN": lambda s: decode("short", np.full(56, np.nan)),
    "decode short, fractions": lambda s: decode("short", np.full(56, 0.5)),
    "decode path": lambda s: decode("path", np.zeros(364)),
    "decode kind 'foo'": lambda s: decode("foo", np.zeros(56)),
}

FOOTPRINT_CASES: dict[str, dict] = {
    "steps 0": {"steps": 0},
    "trials -1": {"trials": -1},
    "runs 2.5": {"runs": 2.5},
    "walks 0": {"walks": 0},
    "walks 'all'": {"walks": "all"},
    "epsilon NaN": {"epsilon": float("nan")},
    "epsilon -1": {"epsilon": -1.0},
    "seed -1": {"seed": -1},
    "epoch 1.5": {"epoch": 1.5},
    "persistence epoch -4": {"persistence_epochs": (4, -4)},
    "neighbourhood 'foo'": {"neighbourhood": "foo"},
}

SEARCH_CASES: dict[str, dict] = {
    "budget 0": {"budget": 0},
    "budget -5": {"budget": -5},
    "budget 2.5": {"budget": 2.5},
    "budget NaN": {"budget": float("nan")},
    "budget '10'": {"budget": "10"},
    "budget True": {"budget": True},
    "seed -1": {"seed": -1},
    "seed 1.5": {"seed": 1.5},
    "seed 'a'": {"seed": "a"},
    "epoch 1.5": {"epoch": 1.5},
    "epoch -1": {"epoch": -1},
    "re population_size 0": {"optimizer": "re", "population_size": 0},
    "re sample_size 0": {"optimizer": "re", "sample_size": 0},
    "re population_size 2.5": {"optimizer": "re", "population_size": 2.5},
    "ae sample_size 0": {"optimizer": "ae", "sample_size": 0},
    "ga population_size 0": {"optimizer": "ga", "population_size": 0},
    "ga mutation_rate 2": {"optimizer": "ga", "mutation_rate": 2.0},
    "ga crossover_rate -1": {"optimizer": "ga", "crossover_rate": -1.0},
    "ls neighbourhood 'foo'": {"optimizer": "ls", "neighbourhood": "foo"},
    "pls n_init 0": {"optimizer": "pls", "n_init": 0},
    "pls n_init NaN": {"optimizer": "pls", "n_init": float("nan")},
    "objective unknown": {"objectives": ["val_acc"]},
    "optimizer unknown": {"optimizer": "bogus"},
}


@pytest.mark.parametrize("case", sorted(SPACE_CASES))
def test_bad_space_arguments_raise_our_errors(space, case):
    with pytest.raises(EONASLibError):
        SPACE_CASES[case](space)


@pytest.mark.parametrize("case", sorted(FOOTPRINT_CASES))
def test_bad_footprint_settings_raise_our_errors(case):
    with pytest.raises(EONASLibError):
        FootprintSettings("val_accuracy", **FOOTPRINT_CASES[case])


@pytest.mark.parametrize("case", sorted(SEARCH_CASES))
def test_bad_search_arguments_raise_our_errors(so2sat, case):
    arguments = {"optimizer": "rs", "objectives": ["val_accuracy", "train_time_s:min"], "budget": 30, "seed": 0}
    arguments.update(SEARCH_CASES[case])
    with pytest.raises(EONASLibError):
        minimize(so2sat, arguments.pop("optimizer"), arguments.pop("objectives"), arguments.pop("budget"), **arguments)


def test_good_arguments_still_work(space, so2sat):
    """The checks accept what they should: numpy integers, Generators, SeedSequences, None."""
    assert space.cell(np.int64(7)).hash == space.hashes[7]
    assert len(space.neighbours_of(np.int32(7))) > 0
    assert as_generator(np.random.SeedSequence(3)).integers(10) == np.random.default_rng(3).integers(10)
    assert random_cell(np.int64(4)) == random_cell(4)
    assert FootprintSettings("val_accuracy", walks="recorded", epoch=np.int64(108), seed=np.uint8(3)).seed == 3
    result = minimize(so2sat, "rs", ["val_accuracy"], 5, seed=np.int64(1))
    assert len(result.cells) == 5


SAMPLER_CASES: dict[str, Callable] = {
    "lhs n 0": lambda: lhs_sample(0),
    "lhs n 2.5": lambda: lhs_sample(2.5),
    "lhs seed -1": lambda: lhs_sample(3, seed=-1),
    "uniform n 0": lambda: uniform_sample(0),
    "uniform n past the space": lambda: uniform_sample(10**7),
    "uniform seed 'a'": lambda: uniform_sample(3, seed="a"),
    "walks starts 0": lambda: random_walk_sample(starts=0),
    "walks steps -1": lambda: random_walk_sample(steps=-1),
    "walks seed -1": lambda: random_walk_sample(seed=-1),
    "sampler unknown": lambda: sample("foo"),
}


@pytest.mark.parametrize("case", sorted(SAMPLER_CASES))
def test_bad_sampler_arguments_raise_our_errors(case):
    with pytest.raises(EONASLibError):
        SAMPLER_CASES[case]()


# ---------------------------------------------------------------------------------------- issue 30
EDGE_CASES: dict[str, Callable] = {
    "minimize(None)": lambda s: minimize(None, "rs", ["val_accuracy"], 5),
    "minimize(a number)": lambda s: minimize(5, "rs", ["val_accuracy"], 5),
    "minimize(space='abc')": lambda s: minimize(SyntheticBenchmark(s), "rs", ["val_accuracy"], 5, space="abc"),
    "objective maximise 'no'": lambda s: Objective.parse({"metric": "val_accuracy", "maximise": "no"}),
    "objective maximise 1": lambda s: Objective.parse({"metric": "val_accuracy", "maximise": 1}),
    "objective misspelt key": lambda s: Objective.parse({"metric": "latency_ms", "maximize": True}),
    "Objective(metric, 'no')": lambda s: Objective("val_accuracy", "no"),
    "Cell with a list op": lambda s: Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", ["conv3x3-bn-relu"], "output"]),
    "Cell with a dict op": lambda s: Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", {"op": 1}, "output"]),
    "Cell with ops None": lambda s: Cell([[0, 1], [0, 0]], None),
    "Cell with ops a string": lambda s: Cell([[0, 1], [0, 0]], "input,output"),
    "Cell.from_spec(list)": lambda s: Cell.from_spec([[0, 1], [0, 0]]),
    "Cell.from_spec(None)": lambda s: Cell.from_spec(None),
    "load_benchmark(data_dir=5)": lambda s: load_benchmark("so2sat", data_dir=5),
    "load_benchmark(data_dir=b'/tmp')": lambda s: load_benchmark("so2sat", data_dir=b"/tmp"),
    "load_benchmark(data_dir='')": lambda s: load_benchmark("so2sat", data_dir=""),
    "live config a string": lambda s: load_benchmark("so2sat", kind="live", data="/tmp", config="a string"),
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_api_edges_raise_our_errors(space, case):
    with pytest.raises(EONASLibError):
        EDGE_CASES[case](space)


def test_a_benchmark_name_is_loaded_where_a_benchmark_is_expected(so2sat, data_dir, monkeypatch):
    monkeypatch.setenv("EO_NASLIB_DATA", str(data_dir))
    by_name = minimize("so2sat", "rs", ["val_accuracy"], 5, seed=0)
    assert by_name.hashes == minimize(so2sat, "rs", ["val_accuracy"], 5, seed=0).hashes
    with pytest.raises(EONASLibError, match="unknown benchmark 'nope'"):
        minimize("nope", "rs", ["val_accuracy"], 5)


def test_objective_flags_accept_bools_only():
    assert Objective.parse({"metric": "latency_ms", "maximise": np.bool_(True)}).maximise is True
    assert Objective.parse({"metric": "latency_ms"}).maximise is False


# ---------------------------------------------------------------------------------------- SearchResult.from_json
RESULT_EDITS: dict[str, Callable[[dict], None]] = {
    "objectives empty": lambda d: d.update(objectives=[]),
    "objectives a string": lambda d: d.update(objectives="val_accuracy"),
    "initial past the end": lambda d: d.update(initial=[999]),
    "initial negative": lambda d: d.update(initial=[-1]),
    "initial a float": lambda d: d.update(initial=[1.7]),
    "initial a bool": lambda d: d.update(initial=[True]),
    "initial twice": lambda d: d.update(initial=[0, 0]),
    "measured 'false'": lambda d: d["history"][0].update(measured="false"),
    "measured 1": lambda d: d["history"][0].update(measured=1),
    "values too few": lambda d: d["history"][0].update(values=[]),
    "values a string": lambda d: d["history"][0].update(values=["0.9", 1.0]),
    "values a bool": lambda d: d["history"][0].update(values=[True, 1.0]),
    "seed 'abc'": lambda d: d.update(seed="abc"),
    "seed -1": lambda d: d.update(seed=-1),
    "seed 1.5": lambda d: d.update(seed=1.5),
    "seed True": lambda d: d.update(seed=True),
    "budget -5": lambda d: d.update(budget=-5),
    "budget 0": lambda d: d.update(budget=0),
    "budget '10'": lambda d: d.update(budget="10"),
    "runtime_s 'x'": lambda d: d.update(runtime_s="x"),
    "runtime_s -1": lambda d: d.update(runtime_s=-1),
    "optimizer missing": lambda d: d.pop("optimizer"),
    "optimizer a number": lambda d: d.update(optimizer=3),
    "benchmark empty": lambda d: d.update(benchmark=""),
    "history an object": lambda d: d.update(history={}),
    "history entry a list": lambda d: d["history"].__setitem__(0, [1]),
    "history entry without hash": lambda d: d["history"][0].pop("hash"),
    "history entry ops None": lambda d: d["history"][0].update(ops=None),
}


@pytest.fixture(scope="module")
def result_dict(space) -> dict:
    result = minimize(SyntheticBenchmark(space, measured_share=0.5), "rs", ["val_accuracy", "train_time_s:min"], 6, seed=0)
    return json.loads(json.dumps(result.to_dict()))


@pytest.mark.parametrize("case", sorted(RESULT_EDITS))
def test_search_result_files_are_checked_field_by_field(result_dict, tmp_path, case):
    data = copy.deepcopy(result_dict)
    RESULT_EDITS[case](data)
    (tmp_path / "result.json").write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="result.json: ") as info:
        SearchResult.from_json(tmp_path / "result.json")
    assert "\n" not in str(info.value)


def test_a_valid_search_result_file_still_loads(result_dict, tmp_path):
    (tmp_path / "result.json").write_text(json.dumps(result_dict))
    loaded = SearchResult.from_json(tmp_path / "result.json")
    assert loaded.n_evaluations == 6 and loaded.seed == 0 and loaded.budget == 6
    assert loaded.initial.tolist() == result_dict["initial"] and loaded.measured.dtype == bool
