"""Divergence retries of a train job: a run that diverges (NaN/inf loss, or accuracy at chance
after `chance_after_epochs`; see `training.loop`) is retried with a fresh seed (seed + 100 k for
retry k: `plan.MAX_REPEATS`, so it never meets another repeat's seed), up to `divergence_retries` times; then the cell is given up as diverged (seed 002 drops such runs).

Nothing is silent. Every diverged attempt is appended to the job's `divergence.json` (seed, reason,
time), so a rerun of the job goes on from the next retry's seed instead of repeating a deterministic
divergence; a record trained after retries carries them in its `divergence` section (with the
seed the plan asked for: the record's `settings.seed` is the seed that trained it, its
`fingerprint` the job's); a cell whose every seed diverged gets `diverged.json` with the reasons,
which `build run` and `build status` report as "diverged" and `build store` leaves out.
Attempt k > 0 trains in `<job dir>/seed-<seed>/` (its own checkpoint).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import TrainingDivergedError
from ..io import atomic_write_json
from ..schema import seal
from ..space import Cell
from ..training.config import TrainConfig
from .jobs import DIVERGED, DIVERGENCE, diverged_attempts
from .plan import MAX_REPEATS

log = logging.getLogger(__name__)

#: (cell, config, out_dir, resume) -> record
TrainOnce = Callable[[Cell, TrainConfig, Path, bool], dict[str, Any]]


def train_with_retries(cell: Cell, config: TrainConfig, out_dir: Path, resume: bool, train_once: TrainOnce) -> dict[str, Any]:
    """Train with `config.seed`, then retry seeds (steps of `MAX_REPEATS`) while runs diverge; the record, or
    `TrainingDivergedError` once `1 + config.divergence_retries` seeds have diverged."""
    out = Path(out_dir)
    attempts = diverged_attempts(out)
    for attempt in range(len(attempts), config.divergence_retries + 1):
        seed = config.seed + attempt * MAX_REPEATS
        where = out if attempt == 0 else out / f"seed-{seed}"
        try:
            record = train_once(cell, config.replace(seed=seed), where, resume)
        except TrainingDivergedError as exc:
            attempts.append({"attempt": attempt, "seed": seed, "reason": str(exc), "time": time.time()})
            atomic_write_json(out / DIVERGENCE, {"cell": cell.hash, "attempts": attempts})
            log.warning("cell %s diverged with seed %d (%s)", cell.hash, seed, exc)
            continue
        if not attempts:
            return record
        retried = {**record, "fingerprint": config.fingerprint()}
        retried["divergence"] = {"plan_seed": config.seed, "seed": seed, "diverged": attempts}
        return seal(retried)
    seeds = [a["seed"] for a in attempts]
    atomic_write_json(
        out / DIVERGED, {"cell": cell.hash, "seeds": seeds, "reasons": [a["reason"] for a in attempts], "time": time.time()}
    )
    raise TrainingDivergedError(
        f"cell {cell.hash} diverged with every seed tried ({seeds}; last: {attempts[-1]['reason']}); "
        f"recorded as diverged in {out / DIVERGED}; raise divergence_retries to try more seeds"
    )
