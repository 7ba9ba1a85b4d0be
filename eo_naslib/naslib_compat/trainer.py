"""NASLib-style `Trainer` for discrete optimizers: search loop, errors.json, trajectory, checkpoints.

Files in the run's save directory:
- `errors.json`: NASLib's lightweight form `[config, {train_acc, valid_acc, test_acc, runtime,
  train_time, params, ...}]`: one list entry per epoch, accuracies in percent (null where the
  benchmark has no such metric), `params` one number as NASLib writes it (the optimizer's model
  size in MB, 0 for a tabular search), and per epoch `measured` (was the reported cell's first
  objective measured, not a surrogate prediction?), `arch_hash` and `arch_params` (its parameters);
  after the search also `uncertainty`: the measured share, and for the best cell and the front how
  many are measured and the predicted values' standard deviations and 80% / 95% intervals;
- `log.log`: NASLib's log lines (beginning, one line per epoch, end), appended as NASLib does;
- `trajectory.json`: every distinct evaluated cell in order (index, hash, objective values, whether
  each value was measured or predicted);
- `pareto_front.json` for optimizers that keep a front (method `front()`);
- `search/journal.jsonl`: the checkpoints (see `journal`). Every `search.checkpoint_freq` epochs
  one line with the new epochs and the new evaluations is appended and fsynced, so a checkpoint
  costs O(new evaluations), not O(run length). `--resume` replays the journalled epochs with the
  same seed, answering from the journal, and continues exactly (NASLib's checkpoints cannot
  restore an optimizer); per-epoch runtimes come from the journal. `search/.lock` is held while a
  search runs (a second process on the same run is refused), and temporary files that killed
  writers left are removed when a search starts.

`errors.json`, `trajectory.json` and `pareto_front.json` are summaries derived from the journal:
they are written at the end of the search and at checkpoints where the number of epochs has
doubled since they were last written (so their total cost is O(run length) too); in between they
lag behind the journal. Whole files are written atomically (temporary file + rename).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataFileError
from ..io import (
    append_bytes,
    atomic_write_bytes,
    atomic_write_json,
    changed_keys,
    check_writable,
    fingerprint,
    lock,
    remove_temp_files,
)
from .journal import (
    JOURNAL,
    JOURNAL_DIR,
    LEGACY_CHECKPOINT,
    Journal,
    entry,
    header,
    legacy_journal,
    read_journal,
    replay,
)
from .optimizer import DiscreteOptimizer
from .run_log import RunLog

LIGHTWEIGHT_KEYS = ("train_acc", "valid_acc", "test_acc", "runtime", "train_time")
#: per-epoch keys NASLib does not write: the reported cell, whether it was measured, its parameters
EPOCH_KEYS = ("measured", "arch_hash", "arch_params")
#: the per-epoch lists of `errors.json`, as the journal records them
TRAJECTORY_KEYS = LIGHTWEIGHT_KEYS + EPOCH_KEYS
logger = logging.getLogger(__name__)


class Trainer:
    """Runs `optimizer` for `search.epochs` units of budget (distinct cells, or evaluations with
    `search.budget_counts: evaluations`) and records everything; a run whose evaluator can answer
    fewer cells ends when they are spent, and says so."""

    def __init__(self, optimizer: DiscreteOptimizer, config: dict[str, Any], save_dir: Path) -> None:
        self.optimizer = optimizer
        self.config = config
        self.save_dir = Path(save_dir)
        self.search_trajectory: dict[str, Any] = {key: [] for key in TRAJECTORY_KEYS}
        self.search_trajectory["params"] = optimizer.get_model_size()
        #: epochs and evaluations the journal holds, and epochs the summary files hold
        self._journalled = (0, 0)
        self._summarised = 0
        #: what the finished search adds to errors.json (`record_uncertainty`)
        self._uncertainty: dict[str, Any] | None = None

    @property
    def requested_epochs(self) -> int:
        return int(self.config["search"]["epochs"])

    @property
    def epochs(self) -> int:
        """The run's epochs: `search.epochs`, or fewer when the evaluator can answer fewer distinct
        cells (its budget is capped at the space or the search domain): one epoch, one new cell."""
        budget = self.optimizer.evaluator.budget
        return self.requested_epochs if budget is None else min(self.requested_epochs, budget)

    @property
    def checkpoint_freq(self) -> int:
        return int(self.config["search"].get("checkpoint_freq", 10))

    def search(
        self,
        resume_from: str | Path = "",
        after_epoch: Callable[[int], None] | None = None,
        report_incumbent: bool = True,
    ) -> None:
        """Run the epochs (continuing a journal or an old checkpoint `resume_from`: a file or a run
        directory), holding the run's lock: a second process on the same run is refused."""
        check_writable(self.save_dir)
        with lock(self.save_dir / JOURNAL_DIR, timeout=0):
            remove_temp_files(self.save_dir)  # what writers killed before their rename left
            remove_temp_files(self.save_dir / JOURNAL_DIR)
            journal = self._open(Path(resume_from)) if resume_from else None
            if journal is None:
                atomic_write_bytes(self.save_dir / JOURNAL, header(self._resumable_config()))
            self._search(journal, after_epoch, report_incumbent)

    def _search(self, journal: Journal | None, after_epoch: Callable[[int], None] | None, report_incumbent: bool) -> None:
        handler = self._log_file()
        try:
            self._epochs(journal, after_epoch, report_incumbent, handler)
        finally:
            logging.getLogger("eo_naslib").removeHandler(handler)
            handler.close()
        handler.check()  # the last lines (and the closing flush) reached the log

    def _epochs(self, journal: Journal | None, after_epoch: Callable[[int], None] | None, report_incumbent: bool, log: RunLog) -> None:
        """The search loop; a failed write to `log` (a full disk) ends it after the epoch."""
        logger.info("Beginning search")
        self.optimizer.before_training()
        start = self._replay(journal) if journal is not None else 0
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
            log.check()
            if after_epoch is not None:
                after_epoch(epoch)
        if self.epochs < self.requested_epochs:
            logger.warning(
                "Budget spent after %d epochs: the %s has no cell left to evaluate, so the run ends here "
                "(search.epochs %d asked for more)", self.epochs, self._domain(), self.requested_epochs,
            )  # fmt: skip
        if self._summarised != len(self.search_trajectory["valid_acc"]):
            self._write_results()
        self.optimizer.after_training()
        logger.info("Training finished")

    def _domain(self) -> str:
        """What the evaluator's cells are: the whole space, or the search domain (`measured_only`)."""
        evaluator = self.optimizer.evaluator
        return f"space of {evaluator.size} cells" if evaluator.domain is None else f"search domain of {evaluator.size} cells"

    def _log_file(self) -> RunLog:
        """NASLib's `log.log` in the save directory (appended, its line format)."""
        path = self.save_dir / "log.log"
        try:
            handler = RunLog(path)
        except OSError as exc:
            raise DataFileError(f"cannot write {path}: {exc.strerror or exc}; choose a writable location") from None
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
        self.search_trajectory["measured"].append(bool(benchmark.is_measured(cell_hash, evaluator.objectives[0].metric)))
        self.search_trajectory["arch_hash"].append(cell_hash)
        self.search_trajectory["arch_params"].append(stats.get("params"))

    def _write_results(self) -> None:
        """The summary files (errors.json, trajectory.json, pareto_front.json): O(run length) each time."""
        self._write_errors()
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
        self._summarised = len(self.search_trajectory["valid_acc"])

    def _write_errors(self) -> None:
        """NASLib's errors.json (with the finished search's `uncertainty` account once recorded)."""
        extra = {} if self._uncertainty is None else {"uncertainty": self._uncertainty}
        atomic_write_json(self.save_dir / "errors.json", [self.config, {**self.search_trajectory, **extra}])

    def _checkpoint(self, epoch: int) -> None:
        """Append the epochs and evaluations since the last checkpoint to the journal (O(new ones));
        rewrite the summary files when the epochs have doubled since they were last written."""
        evaluator = self.optimizer.evaluator
        first, before = self._journalled
        rows = evaluator.history_rows[before:]
        append_bytes(
            self.save_dir / JOURNAL,
            entry(
                first,
                epoch,
                before,
                {key: self.search_trajectory[key][first:] for key in TRAJECTORY_KEYS},
                [str(evaluator.space.hashes[row]) for row in rows],
                [evaluator.evaluate(row) for row in rows],  # evaluated cells: answered from the cache
            ),
        )
        self._journalled = (epoch + 1, before + len(rows))
        if epoch + 1 >= 2 * self._summarised:
            self._write_results()

    def _resumable_config(self) -> dict[str, Any]:
        """The config a checkpoint must match to resume: all of it but where the run lives."""
        return {key: value for key, value in self.config.items() if key not in ("out_dir", "data_dir")}

    def _open(self, path: Path) -> Journal:
        """Read the journal (or old checkpoint) at `path` or in the run directory `path`, check it
        belongs to this config, and leave a journal on disk that can be appended to."""
        if path.is_dir():
            path = path / JOURNAL if (path / JOURNAL).exists() else path / LEGACY_CHECKPOINT
        legacy = path.name == Path(LEGACY_CHECKPOINT).name
        journal = legacy_journal(path, self.optimizer.evaluator, TRAJECTORY_KEYS) if legacy else read_journal(path, TRAJECTORY_KEYS)
        if journal.fingerprint != fingerprint(self._resumable_config()):
            changed = changed_keys(journal.config, self._resumable_config())
            raise ConfigError(
                f"cannot resume from {path}: the config changed since its checkpoint ({', '.join(changed) or 'unknown keys'}); "
                "run without --resume to start afresh, or restore the old config"
            )
        if legacy or journal.torn:  # migrate to a journal / cut off the line a kill tore
            atomic_write_bytes(self.save_dir / JOURNAL, journal.complete)
        return journal

    def _replay(self, journal: Journal) -> int:
        """Bring the optimizer and the trajectory to the journal's last epoch; the next epoch."""
        replay(self.optimizer, journal)
        for key in TRAJECTORY_KEYS:
            self.search_trajectory[key] = list(journal.trajectory[key])
        self._journalled = (journal.epochs, len(journal.hashes))
        logger.info("Resumed after epoch %d (replayed from %s)", journal.epochs - 1, journal.path)
        return journal.epochs

    def record_uncertainty(self, honesty: dict[str, Any]) -> None:
        """Add the finished search's measured/predicted account (`SearchResult.honesty`) to errors.json."""
        self._uncertainty = honesty
        self._write_errors()

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
