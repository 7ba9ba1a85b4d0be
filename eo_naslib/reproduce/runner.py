"""Run the chosen items (finished ones are read back, not redone) and write the report.

Items run quickest first, so an interrupted run has the most items finished. An item that fails
is logged in one line and listed in the report as failed; the others still run, and a rerun
retries it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, EONASLibError
from ..io import check_writable, lock, remove_temp_files
from . import seed000, seed001, seed002, seed003, transfer
from .items import SEEDS, Context, Item, NeedsData, Outcome
from .report import write_report
from .results import load_result, save_result

log = logging.getLogger(__name__)
MODULES = {"seed000": seed000, "seed001": seed001, "seed002": seed002, "seed003": seed003}


@dataclass(frozen=True)
class Finished:
    item: Item
    outcome: Outcome | None  # None: failed
    wall_s: float
    reused: bool
    error: str = ""


def items_of(which: str) -> tuple[list[Item], list[NeedsData]]:
    """The items and data-limited figures of one seed (`seed000` ...), or of all with the transfer section."""
    if which != "all" and which not in SEEDS:
        raise ConfigError(f"reproduce {which!r}: choose one of {[*SEEDS, 'all']}")
    modules = [MODULES[s] for s in SEEDS] + [transfer] if which == "all" else [MODULES[which]]
    items = [item for module in modules for item in module.ITEMS]
    needs = [entry for module in modules for entry in getattr(module, "NEEDS_DATA", ())]
    return items, needs


def select(items: list[Item], keys: Sequence[str] | None) -> list[Item]:
    """`items` restricted to `keys` (all when None); an unknown key is a `ConfigError` listing them."""
    if not keys:
        return items
    known = {item.key for item in items}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ConfigError(f"--items {unknown[0]!r} is not an item of this choice; known: {sorted(known)}")
    return [item for item in items if item.key in keys]


def run_items(context: Context, which: str, keys: Sequence[str] | None = None, report_only: bool = False) -> dict:
    """Run or reuse the items of `which`, write report.md; returns a summary (items done, failed).
    `report_only` runs nothing: the report shows the items finished so far (safe beside a
    running pass: it reads only sealed files and replaces report.md atomically)."""
    items, needs = items_of(which)
    chosen = select(items, keys)
    directory = check_writable(context.out_dir)
    if report_only:
        finished = [reuse_only(context, item) for item in chosen]
        report = write_report(context, which, finished, needs)
        return summary_of(report, finished)
    with lock(directory, timeout=0):
        for folder in (directory, directory / "items", directory / "figures"):
            remove_temp_files(folder)
        finished = [run_one(context, item) for item in sorted(chosen, key=lambda i: i.minutes)]
        by_key = {f.item.key: f for f in finished}
        ordered = [by_key[i.key] for i in items if i.key in by_key]
        report = write_report(context, which, ordered, needs)
    return summary_of(report, ordered)


def summary_of(report: Path, ordered: list[Finished]) -> dict:
    """What a pass printed: the report, items, reused, failed (or not run) and the wall time spent."""
    failed = [f.item.key for f in ordered if f.outcome is None]
    return {
        "report": str(report),
        "items": len(ordered),
        "reused": sum(f.reused for f in ordered),
        "failed": failed,
        "wall_s": round(sum(f.wall_s for f in ordered if not f.reused), 1),
    }


def reuse_only(context: Context, item: Item) -> Finished:
    """An item's finished outcome, or a not-run entry (for `report_only`)."""
    found = load_result(context, item.key)
    if found is None:
        return Finished(item, None, 0.0, False, "not finished yet (the run is still going or was stopped)")
    return Finished(item, found[0], found[1], True)


def run_one(context: Context, item: Item) -> Finished:
    """An item's outcome: its sealed result if finished before, else computed now and sealed."""
    found = load_result(context, item.key)
    if found is not None:
        log.info("%s: finished before (%.0f s), reused", item.key, found[1])
        return Finished(item, found[0], found[1], True)
    log.info("%s: %s %s ...", item.key, item.seed, item.ref)
    start = time.perf_counter()
    try:
        outcome = item.run(context)
    except EONASLibError as error:
        log.error("%s failed: %s", item.key, error)
        return Finished(item, None, time.perf_counter() - start, False, str(error))
    wall_s = time.perf_counter() - start
    save_result(context, item.key, outcome, wall_s)
    log.info("%s: done in %.0f s", item.key, wall_s)
    return Finished(item, outcome, wall_s, False)
