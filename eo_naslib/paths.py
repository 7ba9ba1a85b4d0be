"""Where eo_naslib keeps its caches and benchmark data (user dirs, overridable)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from .errors import ConfigError

APP_NAME = "eo-naslib"


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """Cache directory: `override`, else $EO_NASLIB_CACHE, else the user cache dir."""
    chosen = _folder(override, "cache_dir") or os.environ.get("EO_NASLIB_CACHE") or platformdirs.user_cache_dir(APP_NAME)
    return Path(chosen).expanduser()


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Benchmark data directory: `override`, else $EO_NASLIB_DATA, else the user data dir."""
    chosen = _folder(override, "data_dir") or os.environ.get("EO_NASLIB_DATA") or platformdirs.user_data_dir(APP_NAME)
    return Path(chosen).expanduser()


def _folder(value: object, name: str) -> str | os.PathLike | None:
    """A user-given folder: None (the default) or a non-empty str/PathLike, else a `ConfigError`."""
    if value is None:
        return None
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"{name} must be a folder path (str or pathlib.Path), got {value!r}")
    if not os.fspath(value):
        raise ConfigError(f"{name} is empty; give a folder, or None for the default")
    return value
