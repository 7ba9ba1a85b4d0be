"""The schema of a measured record (one cell trained and measured), checked whenever one is read.

A record is trusted only when it proves it: its checksum matches (see `eo_naslib.schema.seal`),
its cell is a valid NB101 cell whose hash is the one it claims (and the one the caller expects),
its settings fingerprint is the expected one, and every benchmark metric it carries, final or
per epoch, is a finite number in the metric's range (`validation.bounds`). Curve epochs are
positive, increasing integers.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidCellError
from ..schema import HASH32, FileCheck
from ..space import Cell
from .metrics import METRICS
from .validation import bounds

#: what to do about a record that fails a check
FIX = "move its folder away and run the job again"


def _metric(check: FileCheck, value: Any, field: str, metric: str) -> float:
    low, high, inclusive = bounds(metric)
    number = check.number(value, field, low, high)
    if number == low and not inclusive:
        raise check.error(field, f"a number above {low:g} ({metric})", value)
    return number


def check_cell(check: FileCheck, value: Any, field: str = "cell") -> Cell:
    """The record's cell: matrix and ops of a valid NB101 cell whose hash is the stated one."""
    part = check.mapping(value, field)
    stated = check.text(check.key(part, "hash", field), f"{field}.hash", HASH32, "a 32-hex-digit NB101 hash")
    matrix = check.listing(check.key(part, "matrix", field), f"{field}.matrix")
    ops = check.listing(check.key(part, "ops", field), f"{field}.ops")
    try:
        cell = Cell(matrix, ops)
    except (InvalidCellError, TypeError, ValueError) as exc:
        raise check.error(field, "a valid NB101 cell", detail=f" ({exc})") from None
    if cell.hash != stated:
        raise check.error(f"{field}.hash", f"the hash of its matrix and ops ({cell.hash})", stated)
    return cell


def check_record(
    record: Any,
    source: str | os.PathLike,
    cell_hash: str | None = None,
    fingerprint: str | None = None,
    sealed: bool = True,
) -> dict[str, Any]:
    """`record` if it passes every check of the module docstring (against `cell_hash` and
    `fingerprint` when given; its checksum unless `sealed=False`, for records made in memory);
    else one `DataFileError` line naming `source` and the field."""
    check = FileCheck(source, FIX)
    record = check.sealed(record) if sealed else check.mapping(record, "(top level)")
    cell = check_cell(check, check.key(record, "cell"))
    if cell_hash is not None and cell.hash != cell_hash:
        raise check.error("cell.hash", f"{cell_hash} (the cell of the job that claims it)", cell.hash)
    stated = check.text(check.key(record, "fingerprint"), "fingerprint")
    if fingerprint is not None and stated != fingerprint:
        raise check.error("fingerprint", f"{fingerprint} (the settings of the job that claims it)", stated)
    for name, value in check.mapping(check.key(record, "metrics"), "metrics").items():
        if name in METRICS:
            _metric(check, value, f"metrics.{name}", name)
    previous = 0
    for i, point in enumerate(check.listing(record.get("curves", []), "curves")):
        point = check.mapping(point, f"curves[{i}]")
        epoch = check.integer(check.key(point, "epoch", f"curves[{i}]"), f"curves[{i}].epoch", previous + 1)
        previous = epoch
        for name, value in point.items():
            if name in METRICS:
                _metric(check, value, f"curves[{i}].{name}", name)
    if "settings" in record:
        check.mapping(record["settings"], "settings")
    return record

