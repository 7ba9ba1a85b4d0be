"""The footprint record: every landscape feature of one benchmark/metric/fidelity, as JSON."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from ..errors import ConfigError, DataFileError
from . import distribution, fdc, neutrality, optima, persistence, walks
from .core import Landscape, from_benchmark
from .graph import NeighbourGraph

FORMAT = "eo-naslib-footprint/1"


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


def footprint(
    benchmark: Any,
    settings: FootprintSettings,
    space: Any = None,
    reference: tuple[Any, str, int | None] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Compute the footprint of `benchmark` (and the seeds' ratio estimate against `reference`).

    `reference` is (benchmark, metric, epoch) of the landscape the local-optimum ratio is taken
    against (the seeds used CIFAR-10 at 36 epochs for So2Sat).
    """
    from ..space import all_cells

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
    return record


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
        edit = NeighbourGraph.from_table(
            space.neighbour_table("edit"), landscape.settings.get("symmetric", True)
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
    out: dict[str, Any] = {"tie_rule": "a known cell with no strictly fitter known neighbour"}
    if landscape.complete:
        exact = optima.exact_local_optima(landscape)
        out["exact"] = {k: exact[k] for k in ("count", "share", "basins")}
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


def to_jsonable(value: Any) -> Any:
    """numpy scalars/arrays to Python, non-finite floats to None (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save(record: dict[str, Any], path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(to_jsonable(record), fh, indent=1, allow_nan=False)


def load(path: str | os.PathLike) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataFileError(
            f"cannot read footprint {path} ({exc}); pass a file written by `eo-naslib footprint`"
        ) from exc
    if record.get("format") != FORMAT:
        raise DataFileError(
            f"{path} is not a footprint record (format {record.get('format')!r}, expected {FORMAT!r})"
        )
    return record


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
