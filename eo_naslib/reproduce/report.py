"""`report.md`: for every item the paper's figure, ours, the command and why they differ; then the
numbered figures and tables that need data the public sources lack."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..io import atomic_write_text
from .items import SEEDS, Context, NeedsData

TITLES = {
    "seed000": "Seed 000: ESANN 2024, performance metadata for multi-objective NAS in EO",
    "seed001": "Seed 001: TUM Data Innovation Lab report, towards a NAS benchmark for EO",
    "seed002": "Seed 002: ISPRS 2022, landscape of NAS across sensors",
    "seed003": "Seed 003: dissertation (Traore), P1 landscape footprint and P2 clustering initialisation",
    "transfer": "Transfer: does CIFAR-10 rank So2Sat cells? (bears on seed 000's data-centric start)",
}


def write_report(context: Context, which: str, finished: Sequence[Any], needs: Sequence[NeedsData]) -> Path:
    """Write `<out_dir>/report.md` from the finished items (see `runner.Finished`)."""
    lines = [
        f"# Seeds reproduced: `eo-naslib reproduce {which}`",
        "",
        f"Data: {context.data_label}. Seeds per experiment: {context.seeds}"
        + (" (quick profile: budgets scaled down, for tests)" if context.quick else "")
        + f". Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node() or 'this machine'}"
        + f" ({platform.machine()}, Python {sys.version.split()[0]}).",
        "",
        "| item | seed | figure / table | status | wall s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in finished:
        status = ("not run" if f.error.startswith("not finished") else "failed") if f.outcome is None else "reused" if f.reused else "computed"
        lines.append(f"| [{f.item.key}](#{f.item.key}) | {f.item.seed} | {f.item.ref} | {status} | {f.wall_s:.0f} |")
    for group in [*SEEDS, "transfer"]:
        mine = [f for f in finished if f.item.seed == group]
        if not mine:
            continue
        lines += ["", f"## {TITLES[group]}"]
        for f in mine:
            lines += _item_section(f)
    if needs:
        lines += [
            "",
            "## Figures and tables the public data cannot reproduce",
            "",
            "| seed | figure / table | what it shows | what it needs |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| {n.seed} | {n.ref} | {n.title} | {n.needs} |" for n in needs]
    path = context.out_dir / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def _item_section(f: Any) -> list[str]:
    item = f.item
    out = [
        "",
        f'### <a id="{item.key}"></a>{item.ref}: {item.title}',
        "",
        f"**Paper:** {item.paper}",
        "",
        f"**Command:** `{item.command}`",
        "",
    ]
    if f.outcome is None:
        out += [f"**Ours:** not produced: {f.error} (rerun the command to compute this item).", ""]
    else:
        out += ["**Ours:**", "", f.outcome.text.strip(), ""]
        out += [f"![{item.key}]({figure})" for figure in f.outcome.figures]
        out += [""]
    out += [f"**Why they differ:** {item.differs}"]
    return out
