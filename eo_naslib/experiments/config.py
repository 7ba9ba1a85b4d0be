"""Experiment configuration: configurations x seeds of one search problem, read from YAML.

```yaml
name: so2sat_accuracy_vs_train_time
dataset: so2sat_lcz42_micro            # a NASLib dataset name (see eo_naslib.naslib_compat.DATASETS)
objectives: [val_accuracy, train_time_s:min]
seeds: 30                              # seeds 0 .. seeds-1
budgets: [500]                         # evaluation counts at which every run is also scored
budget_counts: distinct                # or evaluations: every evaluation counts, repeats included
configurations:
  data_centric: {epochs: 500, search: {init: surrogate_front, source: cifar10, n_train: 2000}}
  random_2500: {epochs: 2500, search: {init: random}}
comparisons: [[data_centric, random_2500]]
```
Each configuration runs `optimizer` (default `pls`) for `epochs` distinct evaluations (with
`budget_counts: evaluations`, `epochs` evaluations, repeats included: seed 003's "max evaluations"); `search:`
takes the optimizer's keys and `measured_only: true` (only cells the benchmark measured).
`constraints: ["latency_ms <= 10"]` (top level) constrains every configuration: searches prefer
feasible cells and every score (hypervolume, IGD+ against the whole space's feasible front) counts
feasible cells only. `join: "my-rpi4[latency_ms]"` joins a device store's metrics onto the
dataset's benchmark (`eo_naslib.benchmarks.join_benchmarks`; docs/constraints.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..benchmarks.datasets import dataset_spec
from ..errors import ConfigError, at_most, positive_int
from ..io import load_config, safe_child
from ..search import OPTIMIZERS, Objective, check_budget_counts, parse_constraints

TOP_KEYS = {"name", "dataset", "objectives", "fidelity", "seeds", "budgets", "configurations", "comparisons", "curve_step", "workers", "out_dir", "data_dir", "budget_counts", "constraints", "join"}
CONFIGURATION_KEYS = {"optimizer", "epochs", "search"}
#: search keys of every optimizer (`Search`'s own): only cells the benchmark measured
SEARCH_KEYS = {"measured_only"}
#: seeds per configuration: 10,000 already resolve any difference Mann-Whitney can test
MAX_SEEDS = 10_000
#: runs (configurations x seeds): each writes a run file and is summarised in memory
MAX_RUNS = 100_000


@dataclass(frozen=True)
class Configuration:
    """One search setting: an optimizer, its search keys and its budget (`Experiment.budget_counts`)."""

    name: str
    epochs: int
    optimizer: str = "pls"
    search: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    name: str
    dataset: str
    objectives: tuple[str, ...]
    configurations: dict[str, Configuration]
    comparisons: tuple[tuple[str, str], ...]
    seeds: int = 30
    budgets: tuple[int, ...] = ()
    fidelity: int | None = None
    curve_step: int = 25
    workers: int = 2
    out_dir: str = "results/experiments"
    data_dir: str | None = None
    budget_counts: str = "distinct"
    constraints: tuple[str, ...] = ()
    join: str | None = None

    @property
    def directory(self) -> Path:
        return safe_child(self.out_dir, self.name)


def parse_experiment(data: dict[str, Any], **overrides: Any) -> Experiment:
    """Validate an experiment mapping (unset `overrides` are ignored); nothing is run or written."""
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise ConfigError(f"experiment key {unknown[0]!r} is unknown; allowed: {sorted(TOP_KEYS)}")
    for key in ("name", "dataset", "configurations"):
        if key not in data:
            raise ConfigError(f"experiment key {key!r} is missing")
    for key, kind, example in (
        ("objectives", list, "[val_accuracy, train_time_s:min]"),
        ("configurations", dict, "{random: {epochs: 500}}"),
        ("comparisons", list, "[[data_centric, random_500]]"),
        ("budgets", list, "[500, 2000]"),
    ):
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise ConfigError(f"experiment key {key!r} must be a {kind.__name__}, e.g. {example}; got {data[key]!r}")
    budget_counts = check_budget_counts(data.get("budget_counts", "distinct"), "experiment key budget_counts")
    accuracy = dataset_spec(data["dataset"]).accuracy
    objectives = tuple(str(o) for o in data.get("objectives") or (accuracy, "train_time_s:min"))
    if len(objectives) < 2:
        raise ConfigError(f"objectives must name at least two metrics, got {list(objectives)}")
    for objective in objectives:
        Objective.parse(objective)
    constraints = tuple(c.text for c in parse_constraints(data.get("constraints")))
    configurations = {}
    for name, spec in (data["configurations"] or {}).items():
        if not isinstance(spec, dict) or set(spec) - CONFIGURATION_KEYS:
            raise ConfigError(f"configuration {name!r} must be a mapping with keys {sorted(CONFIGURATION_KEYS)}, got {spec!r}")
        optimizer = spec.get("optimizer", "pls")
        if optimizer not in OPTIMIZERS:
            raise ConfigError(f"configuration {name!r}: optimizer {optimizer!r} is unknown; allowed: {sorted(OPTIMIZERS)}")
        if not isinstance(spec.get("search") or {}, dict):
            raise ConfigError(f"configuration {name!r}: search must be a mapping of search keys, got {spec['search']!r}")
        if budget_counts not in OPTIMIZERS[optimizer].budget_semantics:
            raise ConfigError(
                f"configuration {name!r}: optimizer {optimizer!r} counts its budget as "
                f"{' or '.join(OPTIMIZERS[optimizer].budget_semantics)}, not {budget_counts!r}; set budget_counts: distinct"
            )
        search = dict(spec.get("search") or {})
        allowed = sorted({*OPTIMIZERS[optimizer].defaults, *SEARCH_KEYS})
        bad = sorted(set(search) - set(allowed))
        if bad:
            raise ConfigError(f"configuration {name!r}: search key {bad[0]!r} is unknown for {optimizer!r}; allowed: {allowed}")
        if not isinstance(search.get("measured_only", False), bool):
            raise ConfigError(f"configuration {name!r}: search.measured_only must be true or false, got {search['measured_only']!r}")
        configurations[str(name)] = Configuration(str(name), positive_int(spec.get("epochs"), f"configuration {name!r}: epochs"), optimizer, search)
    if not configurations:
        raise ConfigError("configurations is empty; give at least one, e.g. {random: {epochs: 500}}")
    comparisons = tuple(tuple(pair) if isinstance(pair, (list, tuple)) else (pair,) for pair in data.get("comparisons") or ())
    for pair in comparisons:
        if len(pair) != 2 or any(not isinstance(name, str) or name not in configurations for name in pair):
            raise ConfigError(f"comparison {list(pair)} must name two of the configurations {sorted(configurations)}")
    for key in ("out_dir", "data_dir", "join"):
        if data.get(key) is not None and (not isinstance(data[key], str) or not data[key].strip()):
            raise ConfigError(f"{key} must be a folder path, or left out for the default, got {data[key]!r}")
    safe_child(".", str(data["name"]))
    for name in configurations:
        safe_child(".", name)
    seeds = at_most(positive_int(data.get("seeds", 30), "seeds"), MAX_SEEDS, "seeds", "10,000 seeds per configuration resolve any difference Mann-Whitney tests can")
    at_most(len(configurations) * seeds, MAX_RUNS, "configurations x seeds", "each run writes a file and is summarised in memory", "lower seeds or split the experiment")
    return Experiment(
        name=str(data["name"]),
        dataset=data["dataset"],
        objectives=objectives,
        configurations=configurations,
        comparisons=comparisons,  # type: ignore[arg-type]
        seeds=seeds,
        budgets=tuple(positive_int(b, "budgets entry") for b in data.get("budgets") or ()),
        fidelity=None if data.get("fidelity") is None else positive_int(data["fidelity"], "fidelity"),
        curve_step=positive_int(data.get("curve_step", 25), "curve_step"),
        workers=positive_int(data.get("workers", 2), "workers"),
        out_dir=str(data.get("out_dir", "results/experiments")),
        data_dir=None if data.get("data_dir") is None else str(data["data_dir"]),
        budget_counts=budget_counts,
        constraints=constraints,
        join=None if data.get("join") is None else str(data["join"]).strip(),
    )


def load_experiment(path: str | Path, **overrides: Any) -> Experiment:
    return parse_experiment(load_config(path), **overrides)
