"""Bad arguments to the public Python API raise the package's errors, never numpy's or Python's.

The audit of issue 13: rows, seeds, encodings, cells, footprint settings and search numbers, each
a value a user can plausibly pass by mistake (negative, past the end, float, bool, NaN, wrong type).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from eo_naslib import EONASLibError, minimize
from eo_naslib.creation.sampling import lhs_sample, random_walk_sample, sample, uniform_sample
from eo_naslib.landscape import FootprintSettings
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
