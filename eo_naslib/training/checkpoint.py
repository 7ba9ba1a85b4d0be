"""Atomic latest-only training checkpoints; a corrupt one is set aside and reported plainly."""

from __future__ import annotations

import logging
import os
import pickle
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import torch

from ..io import atomic_write_bytes

log = logging.getLogger(__name__)

FORMAT = "eo_naslib.training.checkpoint/1"


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Serialise `state` in memory, then write it atomically over `path`."""
    buffer = BytesIO()
    torch.save({"format": FORMAT, **state}, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def set_aside(path: Path) -> Path:
    """Rename a bad checkpoint to `<name>.corrupt` (numbered if taken) and return the new path."""
    target = path.with_name(path.name + ".corrupt")
    number = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt{number}")
        number += 1
    os.replace(path, target)
    return target


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any] | None:
    """The saved state, or None when there is none; an unreadable file is set aside (-> None)."""
    source = Path(path)
    if not source.exists():
        return None
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} file")
    except (RuntimeError, ValueError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        moved = set_aside(source)
        log.warning(
            "checkpoint %s is corrupt (%s); moved it to %s and training restarts from scratch",
            source,
            exc,
            moved,
        )
        return None
    return state
