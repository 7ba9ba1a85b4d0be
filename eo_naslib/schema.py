"""The one rule for files eo_naslib reads back: a schema check at read time and a checksum where
eo_naslib wrote the file itself.

`FileCheck(source, fix)` checks the fields of one parsed document (types, ranges, finite numbers,
required keys, patterns); every failure is one `DataFileError` line naming the file, the field,
what was expected and the fix. `seal(doc)` adds a `checksum` (sha256 of the document's canonical
JSON without it) to a mapping before it is written; `FileCheck.sealed(doc)` refuses a document
whose checksum is missing or does not match, so a hand edit or a disk error is detected rather
than trusted. The checks never recurse into values they do not name, so a deeply nested value
they are not asked about costs nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError, DataFileError
from .io import fingerprint, safe_child

#: the key `seal` adds to a document
CHECKSUM = "checksum"
HASH32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
_SHOWN = 60


def seal(document: Mapping[str, Any]) -> dict[str, Any]:
    """`document` with its `checksum` (sha256 of its canonical JSON without the checksum)."""
    body = {k: v for k, v in document.items() if k != CHECKSUM}
    return {**body, CHECKSUM: fingerprint(body)}


def is_sealed(document: Any) -> bool:
    """True if `document` is a mapping whose `checksum` matches its content (see `seal`)."""
    if not isinstance(document, dict) or not isinstance(document.get(CHECKSUM), str):
        return False
    try:
        return seal(document)[CHECKSUM] == document[CHECKSUM]
    except (RecursionError, ValueError, TypeError):
        return False


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else f"a {type(value).__name__} of {len(value)}"
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


class FileCheck:
    """Field checks of one document read from `source`; `fix` is what the user should do about a bad one."""

    def __init__(self, source: object, fix: str) -> None:
        self.source = str(source)
        self.fix = fix

    def error(self, field: str, expected: str, value: Any = ..., detail: str = "") -> DataFileError:
        """The one-line error for `field` (its value shown unless left out)."""
        got = "" if value is ... else f", got {_show(value)}"
        return DataFileError(f"{self.source}: field {field!r} must be {expected}{got}{detail}; {self.fix}")

    # ------------------------------------------------------------------ containers
    def mapping(self, value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(field, "a mapping", value)
        return value

    def listing(self, value: Any, field: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(field, "a list", value)
        return value

    def key(self, document: Mapping[str, Any], key: str, prefix: str = "") -> Any:
        """`document[key]`, which must be present."""
        field = f"{prefix}.{key}" if prefix else key
        if key not in document:
            raise self.error(field, "present", detail=" (it is missing)")
        return document[key]

    # ------------------------------------------------------------------ scalars
    def text(self, value: Any, field: str, pattern: re.Pattern[str] | None = None, what: str = "text") -> str:
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            raise self.error(field, what, value)
        return value

    def slug(self, value: Any, field: str) -> str:
        """A name that is safe as one file name (see `io.safe_child`)."""
        try:
            safe_child(".", value)
        except ConfigError:
            raise self.error(field, "a plain name (letters, digits, '_', '-', '.')", value) from None
        return value

    def integer(self, value: Any, field: str, low: int | None = None, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low) or (
            high is not None and value > high
        ):
            span = f" in [{'-inf' if low is None else low}, {'inf' if high is None else high}]"
            raise self.error(field, "an integer" + span, value)
        return value

    def number(self, value: Any, field: str, low: float = -math.inf, high: float = math.inf) -> float:
        """A finite number in [low, high] (bools and text refused)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(field, f"a finite number in [{low:g}, {high:g}]", value)
        number = float(value)
        if not (math.isfinite(number) and low <= number <= high):
            raise self.error(field, f"a finite number in [{low:g}, {high:g}]", value)
        return number

    def boolean(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(field, "true or false", value)
        return value

    # ------------------------------------------------------------------ checksum
    def sealed(self, document: Any) -> dict[str, Any]:
        """`document` (a mapping), if its checksum is present and matches its content."""
        document = self.mapping(document, "(top level)")
        stored = document.get(CHECKSUM)
        if not isinstance(stored, str):
            raise self.error(CHECKSUM, "the sha256 eo-naslib wrote", stored, " (a file eo-naslib did not write or an older one)")
        if not is_sealed(document):
            raise self.error(CHECKSUM, "the sha256 of the content", detail=" (the content was changed after it was written)")
        return document
