"""A plan: the list of jobs (cell + job kind + settings + stable id) every backend reads.

A plan is made once from a creation config (`make_plan`) and written as `plan.json` in its
directory; the per-job results go to `<plan dir>/results/<job id>/`. A job's id is the sha256 of
its kind, the cell's NB101 hash and the settings' fingerprint, so the same cell with the same
settings is the same job in every plan, and changed settings make a new job.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataFileError
from ..io import atomic_write_json, load_yaml, read_json, safe_child
from ..space import Cell
from .jobs import job_kind
from .sampling import SAMPLERS, sample_with_walks

FORMAT = "eo-naslib-plan/1"
PLAN_FILE = "plan.json"
RESULTS_DIR = "results"
CONFIG_KEYS = {"name", "description", "sampler", "job", "settings", "store"}


@dataclass(frozen=True)
class Job:
    """One cell to train and measure with one job kind and its settings."""

    id: str
    hash: str
    matrix: list[list[int]]
    ops: list[str]
    kind: str
    settings: dict[str, Any]

    @property
    def cell(self) -> Cell:
        return Cell(self.matrix, self.ops)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "hash": self.hash, "matrix": self.matrix, "ops": self.ops}


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
            "jobs": [j.to_dict() for j in self.jobs],
        }

    def save(self, directory: str | os.PathLike) -> Path:
        """Write `plan.json` into `directory` (refused if another plan is there); returns its path."""
        directory = Path(directory)
        path = directory / PLAN_FILE
        if path.exists():
            existing = read_json(path)
            if existing.get("jobs") != to_plain(self.to_dict())["jobs"] or existing.get("job") != self.kind:
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
    fingerprint = kind.fingerprint(settings)
    cells, walk_cells = sample_with_walks(kind_name, **sampler)
    walks = [[c.hash for c in w] for w in walk_cells]
    jobs = [
        Job(
            job_id(kind.name, c.hash, fingerprint),
            c.hash,
            c.matrix.tolist(),
            list(c.ops),
            kind.name,
            settings,
        )
        for c in cells
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
    )


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    config = load_yaml(path)
    if not isinstance(config, dict):
        raise ConfigError(f"creation config {path} must be a mapping with keys {sorted(CONFIG_KEYS)}")
    return config


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan from `plan.json` or the directory holding it."""
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
    kind, settings = data["job"], data["settings"]
    return Plan(
        name=data["name"],
        description=data["description"],
        kind=kind,
        settings=settings,
        jobs=[Job(j["id"], j["hash"], j["matrix"], j["ops"], kind, settings) for j in data["jobs"]],
        sampler=data["sampler"],
        store=data["store"],
        walks=data["walks"],
        directory=path.parent,
    )
