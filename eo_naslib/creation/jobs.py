"""Job kinds and `execute`: run one job of a plan idempotently, under a claim, on any backend.

A job's directory `<results>/<job id>/` holds everything about it:

- `record.json`: the finished record (written atomically; its presence means done);
- `claim.lock`: an exclusive `flock` held by the process running the job. The OS drops it when
  that process dies (kill -9 included), so a claim never goes stale, and two coordinators on one
  plan never run a cell twice: the second finds the lock taken and reports the job busy;
- `claim.json`: who holds the claim (host, pid, coordinator, start), for `build status`;
- `events/*.json`: one file per start / done / failure (an audit trail of every execution);
- `diverged.json`: written by a job kind that gave its cell up as diverged (the reasons; see
  `retries`): the job is final, reported as "diverged", never retried;
- `divergence.json`: the attempts that diverged and were retried with a fresh seed (see `retries`);
- `errors/*.json`: one file per failed attempt (error and traceback); their count is the number
  of attempts that failed, which the coordinator compares with its retry limit;
- the job kind's own files (training checkpoints), so a rerun resumes a partial job.

Job kinds: `train`, `measure` (a device profile, no training) and `zc` (zero-cost scores), all
loading torch when first asked for, and the stand-ins `noop`
(returns at once: overhead benchmarks) and `sleep` (resumable steps with a checkpoint and
synthetic, clearly labelled metrics: fault tests).
"""

from __future__ import annotations

import importlib
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from ..errors import ConfigError, DataFileError, TrainingDivergedError
from ..io import atomic_write_json, fingerprint, read_json, safe_child
from ..schema import FileCheck, seal
from ..space import Cell

RECORD = "record.json"
CLAIM_LOCK = "claim.lock"
CLAIM_INFO = "claim.json"
DIVERGED = "diverged.json"
#: the diverged attempts of a job that were retried with another seed, oldest first (see `retries`)
DIVERGENCE = "divergence.json"
EVENTS = "events"
ERRORS = "errors"
#: environment variables naming the engine's job, kept in claim.json (to find or requeue it)
_ENGINE_IDS = ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT")

#: (cell, settings, out_dir, resume) -> record
JobFunction = Callable[[Cell, dict[str, Any], Path, bool], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    """What a job does (`run`) and how its settings enter the job id (`fingerprint`)."""

    name: str
    run: JobFunction
    fingerprint: Callable[[dict[str, Any]], str]


_KINDS: dict[str, JobKind] = {}
#: kinds whose module registers them when first asked for (heavy dependencies)
_LAZY_KINDS = {
    "train": "eo_naslib.creation.train", "measure": "eo_naslib.creation.measure", "zc": "eo_naslib.creation.zc",
}


def register_job_kind(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def job_kind(name: str) -> JobKind:
    """The registered kind `name` (importing the module of a lazily registered one)."""
    if name not in _KINDS and name in _LAZY_KINDS:
        try:
            importlib.import_module(_LAZY_KINDS[name])
        except ImportError as exc:
            raise ConfigError(f"job kind {name!r} needs the training extra ({exc}); pip install 'eo-naslib[train]'") from None
    try:
        return _KINDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown job kind {name!r}; choose one of {sorted({*_KINDS, *_LAZY_KINDS})}"
        ) from None


# ------------------------------------------------------------------------------------ state
def job_dir(results: str | os.PathLike, identifier: str) -> Path:
    """The folder of job `identifier` in `results` (an id that is not a plain name is refused)."""
    return safe_child(results, identifier)


def is_done(directory: Path) -> bool:
    return (directory / RECORD).exists()


def is_diverged(directory: Path) -> bool:
    """True once the job's cell was given up as diverged (no record will come)."""
    return (directory / DIVERGED).exists() and not is_done(directory)


def _audit_file(path: Path, required: str) -> dict[str, Any]:
    """One `errors/` or `events/` file: a mapping whose `required` field is text, and a finite `time`."""
    check = FileCheck(path, "move the file away (it is an audit record eo-naslib did not write)")
    document = check.mapping(read_json(path), "(top level)")
    check.text(check.key(document, required), required)
    if "time" in document:
        check.number(document["time"], "time", 0)
    return document


def failures(directory: Path) -> list[dict[str, Any]]:
    """The recorded failed attempts of a job, oldest first."""
    folder = directory / ERRORS
    if not folder.is_dir():
        return []
    return [_audit_file(p, "error") for p in sorted(folder.glob("*.json"))]


def is_claimed(directory: Path) -> bool:
    """True while some process holds the job's claim (it is running somewhere)."""
    if not (directory / CLAIM_LOCK).exists():
        return False
    probe = FileLock(str(directory / CLAIM_LOCK), timeout=0)
    try:
        probe.acquire()
    except Timeout:
        return True
    probe.release()
    return False


def events(directory: Path, name: str | None = None) -> list[dict[str, Any]]:
    """The job's audit events (all, or those called `name`), in time order."""
    folder = directory / EVENTS
    found = [_audit_file(p, "event") for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return [e for e in found if name is None or e["event"] == name]


def _stamp() -> str:
    return f"{time.time():.6f}-{socket.gethostname()}-{os.getpid()}"


def _event(directory: Path, event: str, **details: Any) -> None:
    payload = {
        "event": event,
        "time": time.time(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        **details,
    }
    atomic_write_json(directory / EVENTS / f"{_stamp()}-{event}.json", payload)


# ------------------------------------------------------------------------------------ execute
def execute(job: Any, results: str, coordinator: str = "") -> dict[str, Any]:
    """Run `job` (a plan `Job`) unless done or running elsewhere; never raises for the job's errors.

    Returns an outcome: `{"id", "status": "done" | "skipped" | "busy" | "failed" | "diverged",
    "error", "host", "pid", "seconds"}`. "skipped": the record already existed; "busy": another
    process holds the claim; "diverged": the cell was given up as diverged (`diverged.json`).
    """
    began = time.perf_counter()
    directory = job_dir(results, job.id)
    outcome = {
        "id": job.id,
        "status": "skipped",
        "error": None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    if is_done(directory):
        return {**outcome, "seconds": time.perf_counter() - began}
    if is_diverged(directory):
        return {**outcome, "status": "diverged", "error": diverged_reason(directory), "seconds": time.perf_counter() - began}
    directory.mkdir(parents=True, exist_ok=True)
    claim = FileLock(str(directory / CLAIM_LOCK), timeout=0)
    try:
        claim.acquire()
    except Timeout:
        return {**outcome, "status": "busy", "seconds": time.perf_counter() - began}
    try:
        if is_done(directory):  # finished by the previous holder between our check and the claim
            return {**outcome, "seconds": time.perf_counter() - began}
        info = {
            "host": outcome["host"],
            "pid": outcome["pid"],
            "coordinator": coordinator,
            "since": time.time(),
        }
        info.update({k.lower(): os.environ[k] for k in _ENGINE_IDS if k in os.environ})
        atomic_write_json(directory / CLAIM_INFO, info)
        _event(directory, "start", coordinator=coordinator)
        try:
            record = job_kind(job.kind).run(job.cell, job.settings, directory, True)
            if not is_done(directory):
                atomic_write_json(directory / RECORD, seal(record))
        except Exception as exc:  # noqa: BLE001 - a job's error is reported, the coordinator goes on
            if isinstance(exc, TrainingDivergedError) and is_diverged(directory):  # given up: final
                _event(directory, "diverged", error=str(exc))
                return {**outcome, "status": "diverged", "error": str(exc), "seconds": time.perf_counter() - began}
            error = f"{type(exc).__name__}: {exc}"
            atomic_write_json(
                directory / ERRORS / f"{_stamp()}.json",
                {
                    "error": error,
                    "traceback": traceback.format_exc(),
                    "host": outcome["host"],
                    "time": time.time(),
                },
            )
            _event(directory, "failed", error=error)
            return {**outcome, "status": "failed", "error": error, "seconds": time.perf_counter() - began}
        _event(directory, "done")
        return {**outcome, "status": "done", "seconds": time.perf_counter() - began}
    finally:
        (directory / CLAIM_INFO).unlink(missing_ok=True)
        claim.release()


def diverged_attempts(directory: Path) -> list[dict[str, Any]]:
    """The job's diverged attempts (each with `seed` and `reason`), oldest first."""
    path = Path(directory) / DIVERGENCE
    if not path.exists():
        return []
    check = FileCheck(path, "move it away to retrain the job from its first seed")
    attempts = check.listing(check.key(check.mapping(read_json(path), "(top level)"), "attempts"), "attempts")
    for i, attempt in enumerate(attempts):
        entry = check.mapping(attempt, f"attempts[{i}]")
        check.integer(check.key(entry, "seed", f"attempts[{i}]"), f"attempts[{i}].seed", 0)
        check.text(check.key(entry, "reason", f"attempts[{i}]"), f"attempts[{i}].reason")
    return attempts


def diverged_reason(directory: Path) -> str:
    """The last reason in `diverged.json` (checked: a file eo-naslib wrote)."""
    path = directory / DIVERGED
    check = FileCheck(path, "move it away to train the job again")
    reasons = check.listing(check.key(check.mapping(read_json(path), "(top level)"), "reasons"), "reasons")
    return check.text(reasons[-1], "reasons[-1]") if reasons else "diverged"


# ------------------------------------------------------------------------------------ stand-ins
STANDIN_FORMAT = "eo_naslib.creation.standin/1"


def _cell_part(cell: Cell) -> dict[str, Any]:
    return {"hash": cell.hash, "matrix": cell.matrix.tolist(), "ops": list(cell.ops)}


def noop_job(cell: Cell, settings: dict[str, Any], out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """Does nothing: the record names the cell only (measures the job layer's own overhead)."""
    return {
        "format": STANDIN_FORMAT,
        "cell": _cell_part(cell),
        "fingerprint": fingerprint(settings),
        "metrics": {},
        "job": "noop",
    }


#: classes of the stand-in's made-up per-class accuracies
SYNTHETIC_CLASSES = 3


def synthetic_metrics(
    cell: Cell, epochs: list[int], seed: int | None = None
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Deterministic made-up (final metrics, curves) of a cell from op counts, edges and its hash
    (and, with `seed`, a small run-to-run offset, so repeats of a cell differ as real runs do).

    SYNTHETIC: nothing here is measured; records carrying them say `"synthetic": true`.
    """
    conv3 = sum(op == "conv3x3-bn-relu" for op in cell.ops)
    noise = int(cell.hash[:8], 16) / 0xFFFFFFFF - 0.5
    run = 0.0 if seed is None else float(np.random.default_rng([int(cell.hash[:8], 16), seed]).normal(0, 0.01))
    final = float(np.clip(0.55 + 0.05 * conv3 + 0.01 * cell.n_edges + 0.04 * noise + run, 0.2, 0.95))
    curves = []
    for e in epochs:
        value = final * (1 - 0.5 ** (e / 4)) / (1 - 0.5 ** (epochs[-1] / 4))
        curves.append(
            {
                "epoch": e,
                "train_accuracy": min(1.0, value + 0.05),
                "val_accuracy": value,
                "val_accuracy_macro": value - 0.1,
                "test_accuracy": value - 0.01,
                "test_accuracy_macro": value - 0.11,
                "train_loss": -np.log(min(1.0, value + 0.05)),
                "val_loss": -np.log(value),
                "test_loss": -np.log(max(value - 0.01, 1e-3)),
                "train_kappa": (min(1.0, value + 0.05) - 0.1) / 0.9,
                "val_kappa": (value - 0.1) / 0.9,
                "test_kappa": (value - 0.11) / 0.9,
                "val_per_class_accuracy": [float(np.clip(value + 0.1 * (k - 1), 0, 1)) for k in range(SYNTHETIC_CLASSES)],
                "train_time_s": 10.0 * e * (1 + conv3),
            }
        )
    params = 100_000 * (1 + conv3) + 5_000 * cell.n_edges
    metrics = {k: v for k, v in curves[-1].items() if k != "epoch" and not isinstance(v, list)}
    metrics.update(
        latency_ms=1.0 + 0.3 * conv3 + 0.05 * cell.n_edges,
        latency_std_ms=0.01 * (1 + conv3),
        params=float(params),
        size_kb=params * 4 / 1024,
        macs=float(params * 64),
    )
    return metrics, curves


def sleep_job(cell: Cell, settings: dict[str, Any], out_dir: Path, resume: bool = True) -> dict[str, Any]:
    """Sleep `seconds` in `steps` resumable steps (checkpoint after each), then give synthetic metrics.

    Settings: `seconds` (0), `steps` (1), `epochs` (2; curves at 1..epochs), `seed` (none: the
    run-to-run offset of `synthetic_metrics`), `fail` (hashes that always raise), `flaky` (hashes
    that raise on their first attempt only). The record has the
    training record's layout (`cell`, `metrics`, `curves`, `settings`, `training`, `versions`).
    """
    if cell.hash in settings.get("fail", ()):
        raise RuntimeError(f"stand-in failure of cell {cell.hash} (listed in settings.fail)")
    if cell.hash in settings.get("flaky", ()) and not (out_dir / "flaky.json").exists():
        atomic_write_json(out_dir / "flaky.json", {"failed_once": True})
        raise RuntimeError(f"stand-in flaky failure of cell {cell.hash} (first attempt)")
    steps, seconds = int(settings.get("steps", 1)), float(settings.get("seconds", 0.0))
    checkpoint = out_dir / "checkpoint.json"
    start = 0
    if resume and checkpoint.exists():
        try:
            start = int(read_json(checkpoint)["step"])
        except (DataFileError, KeyError, TypeError, ValueError):
            start = 0
    for step in range(start, steps):
        time.sleep(seconds / max(steps, 1))
        atomic_write_json(checkpoint, {"step": step + 1})
    epochs = int(settings.get("epochs", 2))
    metrics, curves = synthetic_metrics(cell, list(range(1, epochs + 1)), settings.get("seed"))
    return {
        "format": STANDIN_FORMAT,
        "cell": _cell_part(cell),
        "metrics": metrics,
        "curves": curves,
        "epochs": [c["epoch"] for c in curves],
        "settings": {**settings, "epochs": epochs},
        "fingerprint": fingerprint(settings),
        "training": {"device": "none (stand-in job)", "resumed_from_step": start},
        "versions": {},
        "synthetic": True,
    }


register_job_kind(JobKind("noop", noop_job, fingerprint))
register_job_kind(JobKind("sleep", sleep_job, fingerprint))
