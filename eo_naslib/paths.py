"""Where eo_naslib keeps its caches and benchmark data (user dirs, overridable)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "eo-naslib"


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """Cache directory: `override`, else $EO_NASLIB_CACHE, else the user cache dir."""
    chosen = override or os.environ.get("EO_NASLIB_CACHE") or platformdirs.user_cache_dir(APP_NAME)
    return Path(chosen).expanduser()


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Benchmark data directory: `override`, else $EO_NASLIB_DATA, else the user data dir."""
    chosen = override or os.environ.get("EO_NASLIB_DATA") or platformdirs.user_data_dir(APP_NAME)
    return Path(chosen).expanduser()
