"""The footprint record: every landscape feature of one benchmark/metric/fidelity, as JSON."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from tqdm import tqdm

from ..errors import ConfigError, DataFileError, at_most, non_negative_float, non_negative_int, positive_int
from ..io import atomic_write_json, read_json, to_jsonable
from ..space import all_cells, check_neighbourhood
from . import distribution, fdc, neutrality, optima, persistence, walks
from .core import Landscape, from_benchmark
from .graph import NeighbourGraph

FORMAT = "eo-naslib-footprint/1"
#: the entries of a record's `local_optima.exact` block (`optima.exact_local_optima` less its rows)
EXACT_FIELDS = ("count", "share", "basins", "plateaus")
#: random walks x (steps + 1): every visited cell's fitness is kept in the record (the seeds: 30 x 101)
MAX_WALK_CELLS = 1_000_000
WALK_CELLS_WHY = "every walk's fitness series is kept in the footprint's JSON: 1,000,000 values are about 20 MB"
#: birthday trials x BILS runs: one best-improvement local search each (the seeds: 9 x 200)
MAX_BILS_RUNS = 1_000_000
BILS_RUNS_WHY = "each run is a local search whose result is stored; the seeds use 9 x 200"


@dataclass(frozen=True)
class FootprintSettings:
    """What produced a footprint; `walks` is "recorded" or the number of random walks."""

    metric: str
    epoch: int | None = None
    neighbourhood: str = "edit"
    symmetric: bool = True
    walks: str | int = 30
    steps: int = 100
    trials: int = 9
    runs: int = 200
    persistence_epochs: tuple[int, ...] = ()
    proxy_samples: int = 100
    proxy_neighbours: int = 10
    epsilon: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        check_neighbourhood(self.neighbourhood)
        if self.walks != "recorded":
            positive_int(self.walks, "walks (or 'recorded')")
        for name in ("steps", "trials", "runs", "proxy_samples", "proxy_neighbours"):
            positive_int(getattr(self, name), name)
        if self.walks != "recorded":
            at_most(int(self.walks) * (int(self.steps) + 1), MAX_WALK_CELLS, "walks x (steps + 1)", WALK_CELLS_WHY, "lower walks or steps")
        at_most(int(self.trials) * int(self.runs), MAX_BILS_RUNS, "trials x runs", BILS_RUNS_WHY, "lower trials or runs")
        for epoch in (*([] if self.epoch is None else [self.epoch]), *self.persistence_epochs):
            non_negative_int(epoch, "epoch")
        if list(self.persistence_epochs) != sorted(set(self.persistence_epochs)):
            raise ConfigError(
                f"persistence epochs must be distinct budgets in increasing order, e.g. 4 12 36 108; "
                f"got {list(self.persistence_epochs)}"
            )
        non_negative_float(self.epsilon, "epsilon")
        non_negative_int(self.seed, "seed")


@dataclass(frozen=True)
class Footprint(Mapping[str, Any]):
    """A footprint record: the settings and each feature group (plain JSON values).

    Reads like the JSON mapping it round-trips to (`record["fdc"]["edit"]`), so plots and
    reports take a `Footprint` or a loaded dict alike.
    """

    settings: dict[str, Any]
    distribution: dict[str, Any]
    fdc: dict[str, Any]
    ruggedness: dict[str, Any]
    local_optima: dict[str, Any]
    neutrality: dict[str, Any]
    persistence: dict[str, Any] | None = None
    format: str = FORMAT

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self}

    @classmethod
    def from_dict(cls, data: Any, source: str = "record") -> Footprint:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise DataFileError(f"{source} is not a footprint record (format {found!r}, expected {FORMAT!r})")
        missing = [f.name for f in fields(cls) if f.name not in data and f.name != "persistence"]
        if missing:
            raise DataFileError(f"footprint {source} lacks {missing}; recompute it with `eo-naslib footprint`")
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})

    def to_json(self, path: str | os.PathLike) -> None:
        save(self, path)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> Footprint:
        return load(path)

    def __getitem__(self, key: str) -> Any:
        if key not in self._present():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._present())

    def __len__(self) -> int:
        return len(self._present())

    def _present(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not None)


def footprint(
    benchmark: Any,
    settings: FootprintSettings,
    space: Any = None,
    reference: tuple[Any, str, int | None] | None = None,
    progress: bool = True,
) -> Footprint:
    """Compute the footprint of `benchmark` (and the seeds' ratio estimate against `reference`).

    `reference` is (benchmark, metric, epoch) of the landscape the local-optimum ratio is taken
    against (the seeds used CIFAR-10 at 36 epochs for So2Sat).
    """
    space = space if space is not None else all_cells()
    seeds = np.random.SeedSequence(settings.seed).generate_state(6)
    s = settings
    landscape = from_benchmark(benchmark, s.metric, s.epoch, s.neighbourhood, space, symmetric=s.symmetric)
    record: dict[str, Any] = {"format": FORMAT, "settings": {**_settings_dict(s), **landscape.settings}}
    steps = ["distribution", "fdc", "ruggedness", "local_optima", "neutrality", "persistence"]
    bar = tqdm(steps, desc=f"footprint {benchmark.name}/{s.metric}", disable=not progress)
    for step in bar:
        bar.set_postfix_str(step)
        if step == "distribution":
            record[step] = {
                **distribution.summary(landscape.fitness),
                "fits": distribution.fit_distributions(landscape.fitness, seed=int(seeds[0])),
                "histogram": _histogram(landscape.fitness),
            }
        elif step == "fdc":
            record[step] = _fdc(landscape, space, int(seeds[1]))
        elif step == "ruggedness":
            record[step] = _ruggedness(landscape, benchmark, space, s, int(seeds[2]))
        elif step == "local_optima":
            record[step] = _local_optima(landscape, benchmark, space, s, int(seeds[3]), reference)
        elif step == "neutrality":
            record[step] = neutrality.neutrality(landscape, s.epsilon)
        elif step == "persistence" and s.persistence_epochs:
            record[step] = _persistence(benchmark, s, landscape)
    return Footprint.from_dict(to_jsonable(record))


def _settings_dict(s: FootprintSettings) -> dict[str, Any]:
    out = dict(s.__dict__)
    out["persistence_epochs"] = list(s.persistence_epochs)
    return out


def _histogram(values: np.ndarray, bins: int = 50) -> dict[str, list]:
    counts, edges = np.histogram(values[np.isfinite(values)], bins=bins, density=True)
    return {"density": counts.tolist(), "edges": edges.tolist()}


def _fdc(landscape: Landscape, space: Any, seed: int) -> dict[str, Any]:
    """FDC with the Hamming distance in the 289-bit encoding and the edit distance (edit moves)."""
    best = fdc.global_optimum(landscape)
    edit = landscape.graph
    if landscape.settings.get("neighbourhood") != "edit":
        edit = NeighbourGraph.from_space(
            space, "edit", landscape.settings.get("symmetric", True)
        )
    return {
        "optimum": {"row": best, "hash": str(space.hashes[best]), "fitness": float(landscape.fitness[best])},
        "hamming": fdc.fdc(landscape, fdc.hamming_distances(space.encode("long"), best), seed=seed),
        "edit": fdc.fdc(landscape, fdc.graph_distances(edit, best), seed=seed),
    }


def _ruggedness(
    landscape: Landscape, benchmark: Any, space: Any, s: FootprintSettings, seed: int
) -> dict[str, Any]:
    if s.walks == "recorded":
        recorded = benchmark.walks()
        if not recorded:
            raise ConfigError(
                f"{benchmark.name} has no recorded walks; pass a number of random walks instead"
            )
        rows = walks.recorded_walks(space, recorded)
        source = "recorded"
    else:
        rows = walks.random_walks(landscape, int(s.walks), s.steps, seed)
        source = "random"
    series = walks.walk_fitness(landscape, rows)
    return {"source": source, **walks.ruggedness(series), "series": [f.tolist() for f in series]}


def _local_optima(
    landscape: Landscape,
    benchmark: Any,
    space: Any,
    s: FootprintSettings,
    seed: int,
    reference: tuple[Any, str, int | None] | None,
) -> dict[str, Any]:
    """Exact count (complete landscapes), birthday estimate, nearest-neighbour proxy and ratio.

    The proxy sample is drawn from measured cells (of both benchmarks with a reference).
    """
    out: dict[str, Any] = {
        "tie_rule": "a known cell with no strictly fitter known neighbour",
        "plateau_rule": "exact.plateaus: equally fit cells joined by moves count once (optimal_plateaus)",
    }
    if landscape.complete:
        exact = optima.exact_local_optima(landscape)
        out["exact"] = {k: exact[k] for k in EXACT_FIELDS}
    known = int(landscape.known.sum())
    if known >= 2:
        out["birthday"] = optima.birthday_local_optima(landscape, s.trials, min(s.runs, known), seed)
    rng = np.random.default_rng(seed)
    mask = _measured(benchmark, s.metric, s.epoch, landscape)
    ref_values = None
    if reference is not None:
        ref_bench, ref_metric, ref_epoch = reference
        ref_values = from_benchmark(
            ref_bench, ref_metric, ref_epoch, s.neighbourhood, space, symmetric=s.symmetric
        )
        mask &= _measured(ref_bench, ref_metric, ref_epoch, ref_values)
    if mask.sum() <= s.proxy_neighbours:
        raise ConfigError(
            f"only {int(mask.sum())} cells are measured for the proxy; need more than {s.proxy_neighbours}"
        )
    rows = np.sort(rng.choice(np.flatnonzero(mask), min(s.proxy_samples, int(mask.sum())), replace=False))
    bits = space.encode("long", rows)
    proxy = optima.nearest_neighbour_proxy(
        landscape.fitness[rows], bits, s.proxy_neighbours, landscape.maximise
    )
    out["nn_proxy"] = {**proxy, "hashes": space.hashes[rows].tolist()}
    if ref_values is not None:
        ref_proxy = optima.nearest_neighbour_proxy(
            ref_values.fitness[rows], bits, s.proxy_neighbours, ref_values.maximise
        )
        if ref_values.complete:
            ref_count, ref_method = optima.exact_local_optima(ref_values)["count"], "exact"
        else:
            b = optima.birthday_local_optima(ref_values, s.trials, s.runs, seed)
            ref_count, ref_method = b["estimate"], "birthday"
        out["ratio"] = {
            "reference": ref_values.settings,
            "reference_proxy": ref_proxy["count"],
            "reference_method": ref_method,
            **optima.ratio_estimate(proxy["count"], ref_proxy["count"], ref_count),
        }
    return out


def _persistence(benchmark: Any, s: FootprintSettings, landscape: Landscape) -> dict[str, Any]:
    """Persistence over the cells measured at every fidelity (a surrogate would rank its own guesses)."""
    values = []
    for epoch in s.persistence_epochs:
        v = np.array(benchmark.values(s.metric, epoch), dtype=np.float64)
        if hasattr(benchmark, "measured_mask"):
            v[~np.asarray(benchmark.measured_mask(s.metric, epoch), dtype=bool)] = np.nan
        values.append(v)
    return persistence.persistence(values, s.persistence_epochs, landscape.maximise)


def _measured(benchmark: Any, metric: str, epoch: int | None, landscape: Landscape) -> np.ndarray:
    """Cells measured (not predicted) for `metric`, else the landscape's known cells."""
    if hasattr(benchmark, "measured_mask"):
        return np.asarray(benchmark.measured_mask(metric, epoch), dtype=bool) & landscape.known
    return landscape.known.copy()


def save(record: Footprint | dict[str, Any], path: str | os.PathLike) -> None:
    """Write a footprint record as JSON, atomically (a kill leaves the previous file intact)."""
    atomic_write_json(path, record)


def load(path: str | os.PathLike) -> Footprint:
    """A footprint record written by `save`; `DataFileError` naming the problem otherwise."""
    try:
        data = read_json(path)
    except DataFileError as exc:
        raise DataFileError(f"{exc}; pass a file written by `eo-naslib footprint`") from None
    return Footprint.from_dict(data, source=str(path))


def radar_features(record: dict[str, Any]) -> dict[str, float | None]:
    """The footprint's bag of features, one number each (axes of the radar plot)."""
    lo = record.get("local_optima", {})
    count = (
        lo.get("exact", {}).get("count")
        or (lo.get("ratio") or {}).get("estimate")
        or (lo.get("birthday") or {}).get("estimate")
    )
    per = record.get("persistence") or {}
    return {
        "mean fitness": record["distribution"]["mean"],
        "std fitness": record["distribution"]["std"],
        "ruggedness tau": record["ruggedness"]["tau"],
        "log10 local optima": math.log10(count) if count else None,
        "|FDC r| (hamming)": abs(record["fdc"]["hamming"]["correlation"]),
        "Pi+ (25)": (per.get("positive") or {}).get("pi_25"),
        "Pi- (25)": (per.get("negative") or {}).get("pi_25"),
        "AuC+ (25)": (per.get("positive") or {}).get("auc_25_normalised"),
        "AuC- (25)": (per.get("negative") or {}).get("auc_25_normalised"),
    }


def label(record: dict[str, Any]) -> str:
    st = record["settings"]
    return f"{st['benchmark']} {st['metric']} @{st['epoch']}"
