"""NASLib-style `Trainer` for discrete optimizers: search loop, errors.json, trajectory, checkpoints.

Files in the run's save directory:
- `errors.json`: NASLib's lightweight form `[config, {train_acc, valid_acc, test_acc, runtime,
  train_time, params}]`, one list entry per epoch, accuracies in percent (null where the benchmark
  has no such metric);
- `trajectory.json`: every distinct evaluated cell in order (index, hash, objective values, whether
  each value was measured or predicted);
- `search/checkpoint.json`: the optimizer's and evaluator's full state, so a resumed run continues
  exactly where the checkpoint was taken (NASLib's checkpoints cannot restore an optimizer);
- `pareto_front.json` for optimizers that keep a front (method `front()`).
All files are written atomically (temporary file + rename).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError
from .optimizer import DiscreteOptimizer

LIGHTWEIGHT_KEYS = ("train_acc", "valid_acc", "test_acc", "runtime", "train_time", "params")
CHECKPOINT = "search/checkpoint.json"


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (numpy scalars and arrays converted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=_to_builtin))
    os.replace(tmp, path)


def _to_builtin(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Trainer:
    """Runs `optimizer` for `search.epochs` distinct evaluations and records everything."""

    def __init__(self, optimizer: DiscreteOptimizer, config: dict[str, Any], save_dir: Path) -> None:
        self.optimizer = optimizer
        self.config = config
        self.save_dir = Path(save_dir)
        self.search_trajectory: dict[str, list] = {key: [] for key in LIGHTWEIGHT_KEYS}

    @property
    def epochs(self) -> int:
        return int(self.config["search"]["epochs"])

    @property
    def checkpoint_freq(self) -> int:
        return int(self.config["search"].get("checkpoint_freq", 10))

    def search(
        self,
        resume_from: str | Path = "",
        after_epoch: Callable[[int], None] | None = None,
        report_incumbent: bool = True,
    ) -> None:
        start = self._resume(Path(resume_from)) if resume_from else 0
        self.optimizer.before_training()
        for epoch in range(start, self.epochs):
            began = time.perf_counter()
            self.optimizer.new_epoch(epoch)
            runtime = time.perf_counter() - began
            stats = self.optimizer.statistics(epoch, report_incumbent)
            for key in LIGHTWEIGHT_KEYS:
                self.search_trajectory[key].append(runtime if key == "runtime" else stats[key])
            if (epoch + 1) % self.checkpoint_freq == 0 or epoch + 1 == self.epochs:
                self._checkpoint(epoch)
            if after_epoch is not None:
                after_epoch(epoch)
        self.optimizer.after_training()

    def _write_results(self) -> None:
        write_json(self.save_dir / "errors.json", [self.config, self.search_trajectory])
        evaluator = self.optimizer.evaluator
        benchmark = self.optimizer.dataset_api["benchmark"]
        trajectory = []
        for index, (row, values) in enumerate(zip(evaluator.history_rows, evaluator.history_values)):
            cell_hash = str(evaluator.space.hashes[row])
            trajectory.append(
                {
                    "index": index,
                    "hash": cell_hash,
                    **{o.metric: float(v) for o, v in zip(evaluator.objectives, values)},
                    "measured": {o.metric: bool(benchmark.is_measured(cell_hash, o.metric)) for o in evaluator.objectives},
                }
            )
        write_json(self.save_dir / "trajectory.json", trajectory)
        front = getattr(self.optimizer.inner, "front", None)
        if callable(front):
            rows, values = front()
            write_json(
                self.save_dir / "pareto_front.json",
                [
                    {"hash": str(evaluator.space.hashes[r]), **{o.metric: float(v) for o, v in zip(evaluator.objectives, vals)}}
                    for r, vals in zip(rows, values)
                ],
            )

    def _checkpoint(self, epoch: int) -> None:
        self._write_results()
        write_json(
            self.save_dir / CHECKPOINT,
            {"epoch": epoch, "trajectory": self.search_trajectory, **self.optimizer.get_checkpointables()},
        )

    def _resume(self, path: Path) -> int:
        """Restore state from a checkpoint file (or a run directory); returns the next epoch."""
        if path.is_dir():
            path = path / CHECKPOINT
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DataFileError(f"cannot resume from {path}: {exc}; run again without --resume") from exc
        self.optimizer.load_checkpointables(state)
        self.search_trajectory = state["trajectory"]
        return int(state["epoch"]) + 1

    def evaluate(self) -> dict[str, Any]:
        """Final architecture and all its benchmark values; written to final_architecture.json."""
        arch = self.optimizer.get_final_architecture()
        cell = arch.spec
        result = {
            "hash": cell.hash,
            "spec": cell.to_spec(),
            "metrics": self.optimizer.test_statistics(),
        }
        write_json(self.save_dir / "final_architecture.json", result)
        return result
