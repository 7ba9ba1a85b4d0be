"""The search journal `search/journal.jsonl`: append-only checkpoints that cost O(new evaluations).

Line 1, written atomically when a run starts: `{"journal": 2, "fingerprint": ..., "config": ...}`
(the resumable config and its fingerprint). Then one line per checkpoint, appended, flushed and
fsynced: `{"epochs": [first, last], "evaluations": n, "trajectory": {key: [one value per epoch]},
"hashes": [...], "values": [[...]]}`: the epochs since the last checkpoint and the distinct
evaluations since it (the first `n` are in earlier lines), values in objective order (a value
that is not finite is written null and replayed as NaN, as `to_jsonable` writes it everywhere).
Every line is sealed with its `checksum` (`eo_naslib.schema.seal`), so an edited value (or an
edit to null) is refused on resume rather than replayed; values that are not numbers or null are
refused even under a valid checksum.

A kill mid-append leaves a last line without its newline: `read_journal` ignores it (a resume
cuts it off before appending). A resume rebuilds the optimizer from the config's seed and
*replays* the journalled epochs (`replay`, on `Evaluator.replay`): the evaluator answers new cells
from the journal (no benchmark query, no training) and each must be the journal's next cell, so a
replay that diverges is an error naming the epoch, never a different run. `search/checkpoint.json` (the full-state
checkpoints eo-naslib wrote before the journal) is read by `legacy_journal` and turned into one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError, UnknownArchitectureError
from ..io import JSONRefused, decode_json, fingerprint, read_json, to_jsonable
from ..schema import is_sealed, seal
from ..search import Evaluator, ReplayMismatch
from .optimizer import DiscreteOptimizer

#: the folder of a run's checkpoints (and of its lock)
JOURNAL_DIR = "search"
JOURNAL = f"{JOURNAL_DIR}/journal.jsonl"
#: the full-state checkpoint of eo-naslib before the journal (read to migrate, never written)
LEGACY_CHECKPOINT = f"{JOURNAL_DIR}/checkpoint.json"
#: 2: every line sealed with its checksum
VERSION = 2


@dataclass
class Journal:
    """What a journal holds: the config it belongs to, every journalled epoch and evaluation."""

    path: Path
    fingerprint: str
    config: dict[str, Any]
    trajectory: dict[str, list[Any]]
    hashes: list[str] = field(default_factory=list)
    values: list[list[float | None]] = field(default_factory=list)
    epochs: int = 0
    #: the file's complete lines (a torn last line left out), as bytes
    complete: bytes = b""
    torn: bool = False

    def to_bytes(self) -> bytes:
        """The journal as one header line and (if it holds epochs) one entry with all of them."""
        data = header(self.config)
        if self.epochs:
            data += entry(0, self.epochs - 1, 0, self.trajectory, self.hashes, self.values)
        return data


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(to_jsonable(seal(obj)), separators=(",", ":")) + "\n").encode("utf-8")


def header(config: dict[str, Any]) -> bytes:
    """The first line of a run's journal: the resumable config and its fingerprint."""
    return _line({"journal": VERSION, "fingerprint": fingerprint(config), "config": config})


def entry(
    first: int, last: int, evaluations: int, trajectory: dict[str, list[Any]], hashes: Sequence[str], values: Sequence[Any]
) -> bytes:
    """One checkpoint line: epochs `first..last`, the evaluations after the first `evaluations`."""
    return _line(
        {"epochs": [first, last], "evaluations": evaluations, "trajectory": trajectory, "hashes": list(hashes), "values": values}
    )


def _damaged(path: Path, line: int, reason: str) -> DataFileError:
    return DataFileError(f"journal {path} is damaged at line {line} ({reason}); run without --resume to start afresh")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: trajectory keys holding text / flags; every other key holds numbers (or nulls)
_TEXT_KEYS, _FLAG_KEYS = ("arch_hash",), ("measured",)


def _trajectory_values(key: str, values: Any) -> bool:
    """The per-epoch values of trajectory `key` are of its type."""
    if key in _TEXT_KEYS:
        return isinstance(values, list) and all(isinstance(v, str) for v in values)
    if key in _FLAG_KEYS:
        return isinstance(values, list) and all(isinstance(v, bool) for v in values)
    return _numbers(values)


def _numbers(values: Any) -> bool:
    """A list of finite numbers or nulls (non-finite values as written), nothing else."""
    return isinstance(values, list) and all(
        v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)) for v in values
    )


def read_journal(path: str | Path, keys: Sequence[str]) -> Journal:
    """Parse and check a journal (each entry carries per-epoch lists for `keys`); `DataFileError`
    if it is unreadable or damaged anywhere but in a torn last line (a kill mid-append)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"journal {path} does not exist; run without --resume to start afresh") from None
    except OSError as exc:
        raise DataFileError(f"cannot read journal {path}: {exc.strerror or exc}; run without --resume to start afresh") from None
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1]
    try:
        head = decode_json(lines[0]) if lines else None
    except ValueError:
        head = None
    if not isinstance(head, dict) or head.get("journal") != VERSION or not isinstance(head.get("config"), dict):
        raise _damaged(path, 1, "no journal header")
    if not is_sealed(head):
        raise _damaged(path, 1, "its checksum does not match its content")
    journal = Journal(
        path, str(head.get("fingerprint")), head["config"], {key: [] for key in keys}, complete=data[:end], torn=end < len(data)
    )
    for number, raw in enumerate(lines[1:], start=2):
        try:
            line = decode_json(raw)
        except JSONRefused as exc:
            raise _damaged(path, number, str(exc)) from None
        except ValueError:
            raise _damaged(path, number, "not JSON") from None
        _extend(journal, line, number, keys)
    return journal


def _extend(journal: Journal, line: Any, number: int, keys: Sequence[str]) -> None:
    """Check one entry against what came before it and add it to `journal`."""
    if not isinstance(line, dict):
        raise _damaged(journal.path, number, "not an entry")
    epochs, hashes, values = line.get("epochs"), line.get("hashes"), line.get("values")
    if not (isinstance(epochs, list) and len(epochs) == 2 and all(_whole(e) for e in epochs)):
        raise _damaged(journal.path, number, "no [first, last] epochs")
    first, last = epochs
    if first != journal.epochs or last < first:
        raise _damaged(journal.path, number, f"epochs {first}..{last} do not follow epoch {journal.epochs - 1}")
    if line.get("evaluations") != len(journal.hashes):
        raise _damaged(journal.path, number, f"it follows evaluation {line.get('evaluations')!r}, not {len(journal.hashes)}")
    if not (isinstance(hashes, list) and isinstance(values, list) and len(hashes) == len(values)):
        raise _damaged(journal.path, number, "hashes and values differ in length")
    if not all(isinstance(h, str) for h in hashes) or not all(_numbers(v) for v in values):
        raise _damaged(journal.path, number, "a hash is not text or values not a list of numbers")
    trajectory = line.get("trajectory")
    n_epochs = last - first + 1
    if not isinstance(trajectory, dict) or any(
        not _trajectory_values(key, trajectory.get(key)) or len(trajectory[key]) != n_epochs for key in keys
    ):
        raise _damaged(journal.path, number, f"trajectory lacks {n_epochs} values of the right type for each of {list(keys)}")
    if not is_sealed(line):
        raise _damaged(journal.path, number, "its checksum does not match its content: edited or corrupt")
    for key in keys:
        journal.trajectory[key].extend(trajectory[key])
    journal.hashes.extend(hashes)
    journal.values.extend(values)
    journal.epochs = last + 1


def legacy_journal(path: str | Path, evaluator: Evaluator, keys: Sequence[str]) -> Journal:
    """A journal holding what an old full-state `search/checkpoint.json` holds (to migrate it)."""
    path = Path(path)
    state = read_json(path)
    try:
        epochs = int(state["epoch"]) + 1
        rows = state["model"]["evaluator"]["rows"]
        values = [list(v) for v in state["model"]["evaluator"]["values"]]
        trajectory = {key: list(state["trajectory"][key]) for key in keys}
        hashes = [str(evaluator.space.hashes[int(r)]) for r in rows]
        config = dict(state["config"])
    except (KeyError, TypeError, ValueError, IndexError):
        raise DataFileError(f"checkpoint {path} is damaged; run without --resume to start afresh") from None
    if len(values) != len(hashes) or any(len(trajectory[key]) != epochs for key in keys):
        raise DataFileError(f"checkpoint {path} is damaged (its lists differ in length); run without --resume to start afresh")
    if not all(_numbers(v) for v in values) or not all(_trajectory_values(key, trajectory[key]) for key in keys):
        raise DataFileError(f"checkpoint {path} is damaged (a value is not a number); run without --resume to start afresh")
    journal = Journal(path, str(state.get("fingerprint")), config, trajectory, hashes, list(values), epochs)
    journal.complete = journal.to_bytes()
    return journal


def resume_point(directory: str | Path) -> Path | None:
    """The file a run in `directory` resumes from: its journal, else an old checkpoint, else None."""
    for name in (JOURNAL, LEGACY_CHECKPOINT):
        if (Path(directory) / name).exists():
            return Path(directory) / name
    return None


# ------------------------------------------------------------------------------------------ replay
def replay(optimizer: DiscreteOptimizer, journal: Journal) -> None:
    """Step a freshly built `optimizer` through the journalled epochs, its evaluator answering new
    cells from the journal (no benchmark query, no training); a diverging replay is an error."""
    evaluator = optimizer.evaluator
    try:
        rows = evaluator.space.indices(np.asarray(journal.hashes, dtype=str))
    except UnknownArchitectureError as exc:
        raise DataFileError(f"journal {journal.path} is damaged ({exc}); run without --resume to start afresh") from None
    evaluator.replay(rows, journal.values)
    epoch = 0
    try:
        for epoch in range(journal.epochs):
            optimizer.new_epoch(epoch)
    except ReplayMismatch as exc:
        raise DataFileError(
            f"cannot resume from {journal.path}: replaying epoch {epoch}, {exc} (eo-naslib changed since the run "
            "began?); run without --resume"
        ) from None
    finally:
        left = evaluator.stop_replay()
    if left:
        raise DataFileError(
            f"cannot resume from {journal.path}: replaying epochs 0..{journal.epochs - 1} evaluated {evaluator.n_evaluations} "
            f"cells where the journal has {len(journal.hashes)} (eo-naslib changed since the run began?); run without --resume"
        )
