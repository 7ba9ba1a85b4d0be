"""A plan: the list of jobs (cell + job kind + settings + stable id) every backend reads.

A plan is made once from a creation config (`make_plan`) and written as `plan.json` in its
directory; the per-job results go to `<plan dir>/results/<job id>/`. A job's id is the sha256 of
its kind, the cell's NB101 hash and the settings' fingerprint, so the same cell with the same
settings is the same job in every plan, and changed settings make a new job. A job holds its cell
in NB101's labelling (`Cell.nb101()`), so it trains the network NB101 built for the hash.

`repeats: R` (default 1) trains every cell R times, as seed 003 takes a cell's fitness as the
mean of 3 runs: repeat k is its own job whose settings carry `seed` = the settings' `seed`
(default 0) + k, so each run has a distinct, recorded seed and its own job id. At most
`MAX_REPEATS`: a divergence retry steps its seed by that much (`creation.retries`), so a retry
never trains with another repeat's seed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..benchmarks.records import check_cell
from ..errors import ConfigError, DataFileError, positive_int, seed_int
from ..io import atomic_write_json, load_yaml, read_json, safe_child
from ..schema import HASH32, HEX16, FileCheck
from ..space import Cell
from .jobs import job_kind
from .sampling import SAMPLERS, sample_with_walks

#: the most repeats a plan may ask for, and the step of a divergence retry's seed
MAX_REPEATS = 100

FORMAT = "eo-naslib-plan/1"
PLAN_FILE = "plan.json"
RESULTS_DIR = "results"
CONFIG_KEYS = {"name", "description", "sampler", "job", "settings", "store", "repeats"}


@dataclass(frozen=True)
class Job:
    """One cell to train and measure with one job kind and its settings."""

    id: str
    hash: str
    matrix: list[list[int]]
    ops: list[str]
    kind: str
    settings: dict[str, Any]
    repeat: int = 0

    @property
    def cell(self) -> Cell:
        return Cell(self.matrix, self.ops)

    def fingerprint(self) -> str:
        """The fingerprint of this job's settings, as its kind computes it (in its record)."""
        return job_kind(self.kind).fingerprint(self.settings)

    def to_dict(self) -> dict[str, Any]:
        entry = {"id": self.id, "hash": self.hash, "matrix": self.matrix, "ops": self.ops}
        return {**entry, "repeat": self.repeat} if self.repeat else entry


def repeat_settings(settings: dict[str, Any], repeats: int) -> list[dict[str, Any]]:
    """The settings of each of `repeats` runs of a cell: `settings` itself for one run, else
    `seed` = `settings["seed"]` (default 0) + k for run k."""
    if repeats == 1:
        return [settings]
    base = seed_int(settings.get("seed", 0), "settings.seed")
    return [{**settings, "seed": seed_int(base + k, f"settings.seed + {k} (repeat {k})")} for k in range(repeats)]


def job_id(kind: str, cell_hash: str, fingerprint: str) -> str:
    """Stable 16-hex-digit id of (job kind, cell, settings fingerprint)."""
    return hashlib.sha256(f"{kind}\n{cell_hash}\n{fingerprint}".encode()).hexdigest()[:16]


@dataclass
class Plan:
    """The jobs of one benchmark build and where their results go."""

    name: str
    description: str
    kind: str
    settings: dict[str, Any]
    jobs: list[Job]
    sampler: dict[str, Any] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
    walks: list[list[str]] = field(default_factory=list)
    directory: Path | None = None
    repeats: int = 1

    @property
    def results(self) -> Path:
        if self.directory is None:
            raise ConfigError(f"plan {self.name!r} has not been saved; save it into a directory first")
        return self.directory / RESULTS_DIR

    def job(self, identifier: str) -> Job:
        for job in self.jobs:
            if job.id == identifier:
                return job
        raise ConfigError(f"plan {self.name!r} has no job {identifier!r}; see `eo-naslib build status`")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "job": self.kind,
            "settings": self.settings,
            "sampler": self.sampler,
            "store": self.store,
            "walks": self.walks,
            "repeats": self.repeats,
            "jobs": [j.to_dict() for j in self.jobs],
        }

    def save(self, directory: str | os.PathLike) -> Path:
        """Write `plan.json` into `directory` (refused if another plan is there); returns its path."""
        directory = Path(directory)
        path = directory / PLAN_FILE
        if path.exists():
            existing, mine = read_json(path), to_plain(self.to_dict())
            if not isinstance(existing, dict) or any(existing.get(k, 1) != mine[k] for k in ("jobs", "job", "settings", "repeats")):
                raise ConfigError(f"{path} holds another plan; choose an empty directory or delete it")
        self.directory = directory
        atomic_write_json(path, self.to_dict())
        return path


def to_plain(obj: Any) -> Any:
    """JSON round trip (tuples become lists), to compare with what was read."""
    return json.loads(json.dumps(obj))


def make_plan(config: dict[str, Any]) -> Plan:
    """Sample the cells of a creation config and turn them into jobs."""
    unknown = set(config) - CONFIG_KEYS
    if unknown:
        raise ConfigError(f"unknown creation config keys {sorted(unknown)}; allowed: {sorted(CONFIG_KEYS)}")
    name = config.get("name")
    if not isinstance(name, str):
        raise ConfigError(f"a creation config needs a `name` (a slug such as so2sat_s2), got {name!r}")
    safe_child(".", name)
    for key, kind in (("sampler", dict), ("settings", dict), ("job", str)):
        if config.get(key) is not None and not isinstance(config[key], kind):
            raise ConfigError(f"creation config key {key!r} must be a {kind.__name__}, got {config[key]!r}")
    sampler = dict(config.get("sampler") or {})
    kind_name = sampler.pop("kind", None)
    if kind_name not in SAMPLERS:
        raise ConfigError(f"sampler.kind is {kind_name!r}; choose one of {list(SAMPLERS)}")
    kind = job_kind(config.get("job", "train"))
    settings = dict(config.get("settings") or {})
    repeats = positive_int(config.get("repeats", 1), "repeats")
    if repeats > MAX_REPEATS:
        raise ConfigError(f"repeats = {repeats:,} is more than {MAX_REPEATS}; seed 003 uses 3, give at most {MAX_REPEATS}")
    runs = [(s, kind.fingerprint(s)) for s in repeat_settings(settings, repeats)]
    cells, walk_cells = sample_with_walks(kind_name, **sampler)
    walks = [[c.hash for c in w] for w in walk_cells]
    jobs = [
        Job(job_id(kind.name, c.hash, fingerprint), c.hash, c.matrix.tolist(), list(c.ops), kind.name, run, k)
        for c in (cell.nb101() for cell in cells)  # a job trains the network NB101 built for the hash
        for k, (run, fingerprint) in enumerate(runs)
    ]
    return Plan(
        name=name,
        description=str(config.get("description", "")),
        kind=kind.name,
        settings=settings,
        jobs=jobs,
        sampler={"kind": kind_name, **sampler},
        store=dict(config.get("store") or {}),
        walks=walks,
        repeats=repeats,
    )


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    config = load_yaml(path)
    if not isinstance(config, dict):
        raise ConfigError(f"creation config {path} must be a mapping with keys {sorted(CONFIG_KEYS)}")
    return config


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan from `plan.json` or the directory holding it, checking every field it uses:
    each job's cell is valid and has the stated hash, and its id is the one its kind, cell and
    settings give (so no id can name a path outside the results folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / PLAN_FILE
    if not path.exists():
        raise DataFileError(
            f"there is no plan at {path}; make one with `eo-naslib build plan CONFIG --out DIR`"
        )
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataFileError(
            f"{path} is not a plan (format {FORMAT}); make one with `eo-naslib build plan CONFIG`"
        )
    check = FileCheck(path, "re-create the plan with `eo-naslib build plan CONFIG --out DIR`")
    kind = check.text(check.key(data, "job"), "job")
    settings = check.mapping(check.key(data, "settings"), "settings")
    repeats = check.integer(data.get("repeats", 1), "repeats", 1, MAX_REPEATS)
    try:
        runs = [(s, job_kind(kind).fingerprint(s)) for s in repeat_settings(settings, repeats)]
    except ConfigError as exc:
        raise check.error("job/settings", "a job kind and its valid settings", detail=f" ({exc})") from None
    jobs, seen = [], set()
    for i, raw in enumerate(check.listing(check.key(data, "jobs"), "jobs")):
        entry = check.mapping(raw, f"jobs[{i}]")
        identifier = check.text(check.key(entry, "id", f"jobs[{i}]"), f"jobs[{i}].id", HEX16, "a 16-hex-digit job id")
        cell = check_cell(check, {k: entry.get(k) for k in ("hash", "matrix", "ops")}, f"jobs[{i}]")
        repeat = check.integer(entry.get("repeat", 0), f"jobs[{i}].repeat", 0, repeats - 1)
        run, expected = runs[repeat]
        if identifier != job_id(kind, cell.hash, expected) or identifier in seen:
            raise check.error(f"jobs[{i}].id", f"the unique id of its kind, cell and settings ({job_id(kind, cell.hash, expected)})", identifier)
        seen.add(identifier)
        jobs.append(Job(identifier, cell.hash, entry["matrix"], entry["ops"], kind, run, repeat))
    walks = check.listing(check.key(data, "walks"), "walks")
    for i, walk in enumerate(walks):
        for j, cell_hash in enumerate(check.listing(walk, f"walks[{i}]")):
            check.text(cell_hash, f"walks[{i}][{j}]", HASH32, "a 32-hex-digit NB101 hash")
    return Plan(
        name=check.slug(check.key(data, "name"), "name"),
        description=check.text(check.key(data, "description"), "description"),
        kind=kind,
        settings=settings,
        jobs=jobs,
        sampler=check.mapping(check.key(data, "sampler"), "sampler"),
        store=check.mapping(check.key(data, "store"), "store"),
        walks=walks,
        directory=path.parent,
        repeats=repeats,
    )
