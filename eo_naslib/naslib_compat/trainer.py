"""NASLib-style `Trainer` for discrete optimizers: search loop, errors.json, trajectory, checkpoints.

Files in the run's save directory:
- `errors.json`: NASLib's lightweight form `[config, {train_acc, valid_acc, test_acc, runtime,
  train_time, params, ...}]`: one list entry per epoch, accuracies in percent (null where the
  benchmark has no such metric), `params` one number as NASLib writes it (the optimizer's model
  size in MB, 0 for a tabular search), and per epoch `measured` (was the reported cell's first
  objective measured, not a surrogate prediction?), `arch_hash` and `arch_params` (its parameters);
- `log.log`: NASLib's log lines (beginning, one line per epoch, end), appended as NASLib does;
- `trajectory.json`: every distinct evaluated cell in order (index, hash, objective values, whether
  each value was measured or predicted);
- `search/checkpoint.json`: the optimizer's and evaluator's full state, so a resumed run continues
  exactly where the checkpoint was taken (NASLib's checkpoints cannot restore an optimizer);
- `pareto_front.json` for optimizers that keep a front (method `front()`).
All files are written atomically (temporary file + rename).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


from ..errors import ConfigError, DataFileError
from ..io import atomic_write_json, changed_keys, fingerprint, read_json
from .optimizer import DiscreteOptimizer

LIGHTWEIGHT_KEYS = ("train_acc", "valid_acc", "test_acc", "runtime", "train_time")
#: per-epoch keys NASLib does not write: the reported cell, whether it was measured, its parameters
EPOCH_KEYS = ("measured", "arch_hash", "arch_params")
CHECKPOINT = "search/checkpoint.json"
LOG_FORMAT = logging.Formatter("[%(asctime)s] %(name)s %(levelname)s: %(message)s", datefmt="%m/%d %H:%M:%S")
logger = logging.getLogger(__name__)


class Trainer:
    """Runs `optimizer` for `search.epochs` distinct evaluations and records everything."""

    def __init__(self, optimizer: DiscreteOptimizer, config: dict[str, Any], save_dir: Path) -> None:
        self.optimizer = optimizer
        self.config = config
        self.save_dir = Path(save_dir)
        self.search_trajectory: dict[str, Any] = {key: [] for key in LIGHTWEIGHT_KEYS + EPOCH_KEYS}
        self.search_trajectory["params"] = optimizer.get_model_size()

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
        handler = self._log_file()
        try:
            logger.info("Beginning search")
            self.optimizer.before_training()
            for epoch in range(start, self.epochs):
                began = time.perf_counter()
                self.optimizer.new_epoch(epoch)
                runtime = time.perf_counter() - began
                stats = self.optimizer.statistics(epoch, report_incumbent)
                for key in LIGHTWEIGHT_KEYS:
                    self.search_trajectory[key].append(runtime if key == "runtime" else stats[key])
                self._record_cell(epoch, report_incumbent, stats)
                logger.info("Epoch %d done. Train accuracy: %s, Validation accuracy: %s", epoch, stats["train_acc"], stats["valid_acc"])
                if (epoch + 1) % self.checkpoint_freq == 0 or epoch + 1 == self.epochs:
                    self._checkpoint(epoch)
                if after_epoch is not None:
                    after_epoch(epoch)
            self.optimizer.after_training()
            logger.info("Training finished")
        finally:
            logging.getLogger("eo_naslib").removeHandler(handler)
            handler.close()

    def _log_file(self) -> logging.Handler:
        """NASLib's `log.log` in the save directory (appended, its line format)."""
        self.save_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.save_dir / "log.log")
        handler.setLevel(logging.INFO)
        handler.setFormatter(LOG_FORMAT)
        root = logging.getLogger("eo_naslib")
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        return handler

    def _record_cell(self, epoch: int, report_incumbent: bool, stats: dict[str, Any]) -> None:
        """Per epoch: the reported cell, whether its first objective was measured, its parameters."""
        evaluator = self.optimizer.evaluator
        cell_hash = str(evaluator.space.hashes[self.optimizer.row_at(epoch, report_incumbent)])
        benchmark = self.optimizer.dataset_api["benchmark"]
        for key in EPOCH_KEYS:
            self.search_trajectory.setdefault(key, [])
        self.search_trajectory["measured"].append(bool(benchmark.is_measured(cell_hash, evaluator.objectives[0].metric)))
        self.search_trajectory["arch_hash"].append(cell_hash)
        self.search_trajectory["arch_params"].append(stats.get("params"))

    def _write_results(self) -> None:
        atomic_write_json(self.save_dir / "errors.json", [self.config, self.search_trajectory])
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
        atomic_write_json(self.save_dir / "trajectory.json", trajectory)
        front = getattr(self.optimizer.inner, "front", None)
        if callable(front):
            rows, values = front()
            atomic_write_json(
                self.save_dir / "pareto_front.json",
                [
                    {"hash": str(evaluator.space.hashes[r]), **{o.metric: float(v) for o, v in zip(evaluator.objectives, vals)}}
                    for r, vals in zip(rows, values)
                ],
            )

    def _checkpoint(self, epoch: int) -> None:
        self._write_results()
        atomic_write_json(
            self.save_dir / CHECKPOINT,
            {
                "epoch": epoch,
                "config": self._resumable_config(),
                "fingerprint": fingerprint(self._resumable_config()),
                "trajectory": self.search_trajectory,
                **self.optimizer.get_checkpointables(),
            },
        )

    def _resumable_config(self) -> dict[str, Any]:
        """The config a checkpoint must match to resume: all of it but where the run lives."""
        return {key: value for key, value in self.config.items() if key not in ("out_dir", "data_dir")}

    def _resume(self, path: Path) -> int:
        """Restore state from a checkpoint file (or a run directory); returns the next epoch."""
        if path.is_dir():
            path = path / CHECKPOINT
        try:
            state = read_json(path)
        except DataFileError as exc:
            raise DataFileError(f"cannot resume: {exc}; run again without --resume") from None
        if not isinstance(state, dict) or state.get("fingerprint") != fingerprint(self._resumable_config()):
            changed = changed_keys(state.get("config", {}) if isinstance(state, dict) else {}, self._resumable_config())
            raise ConfigError(
                f"cannot resume from {path}: the config changed since its checkpoint ({', '.join(changed) or 'unknown keys'}); "
                "run without --resume to start afresh, or restore the old config"
            )
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
        atomic_write_json(self.save_dir / "final_architecture.json", result)
        return result
