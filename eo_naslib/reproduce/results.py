"""One sealed result file per finished item: `<out_dir>/items/<key>.json`.

A file is written (atomically, sealed by `eo_naslib.schema.seal`) only when its item finished, so
an interrupted item has no file and reruns; a file of other settings (seeds, data) or one that was
edited or damaged is not trusted: the item is recomputed and the file replaced.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..errors import DataFileError
from ..io import atomic_write_json, fingerprint, read_json, safe_child
from ..schema import FileCheck, seal
from .items import Context, Outcome

log = logging.getLogger(__name__)
FORMAT = "eo_naslib.reproduce.item/1"


def result_path(out_dir: Path, key: str) -> Path:
    return safe_child(out_dir / "items", f"{key}.json")


def save_result(context: Context, key: str, outcome: Outcome, wall_s: float) -> Path:
    """Write the sealed result of a finished item."""
    document = {
        "format": FORMAT,
        "key": key,
        "settings": context.settings(),
        "fingerprint": fingerprint(context.settings()),
        "wall_s": round(wall_s, 2),
        "text": outcome.text,
        "figures": list(outcome.figures),
        "values": outcome.values,
    }
    return atomic_write_json(result_path(context.out_dir, key), seal(document))


def load_result(context: Context, key: str) -> tuple[Outcome, float] | None:
    """(outcome, wall seconds) of a finished item of these settings; None when it must be computed
    (no file, other settings, a changed or unreadable file, a figure gone missing)."""
    path = result_path(context.out_dir, key)
    if not path.exists():
        return None
    check = FileCheck(path, "it is recomputed")
    try:
        document: dict[str, Any] = check.sealed(read_json(path))
        check.text(check.key(document, "format"), "format", re.compile(f"^{re.escape(FORMAT)}$"), FORMAT)
        figures = [check.text(f, "figures[]") for f in check.listing(check.key(document, "figures"), "figures")]
        text = check.text(check.key(document, "text"), "text")
        wall_s = check.number(check.key(document, "wall_s"), "wall_s", 0.0)
        values = check.mapping(check.key(document, "values"), "values")
    except DataFileError as error:
        log.warning("%s", error)
        return None
    if document.get("fingerprint") != fingerprint(context.settings()) or document.get("key") != key:
        log.info("%s: other settings, recomputed", path)
        return None
    if any(not (context.out_dir / f).is_file() for f in figures):
        log.info("%s: a figure is missing, recomputed", path)
        return None
    return Outcome(text, tuple(figures), values), wall_s
