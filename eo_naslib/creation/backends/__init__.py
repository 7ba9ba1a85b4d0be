"""Backends that run a plan's jobs: `local` (processes), `ray` (tasks), `slurm` (submitit arrays)."""

from __future__ import annotations

import importlib
from typing import Any

from ...errors import ConfigError
from .base import CONNECT_TIMEOUT_S, Backend, Completion

#: backend name -> (module, class); ray and slurm are imported when first used (optional deps)
BACKENDS = {
    "local": ("eo_naslib.creation.backends.local", "LocalBackend"),
    "ray": ("eo_naslib.creation.backends.ray", "RayBackend"),
    "slurm": ("eo_naslib.creation.backends.slurm", "SlurmBackend"),
}


def get_backend(name: str, **options: Any) -> Backend:
    """A backend by name with its options (see each class); a missing dependency says what to install."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; choose one of {list(BACKENDS)}")
    module, cls = BACKENDS[name]
    try:
        backend_class = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return backend_class(**options)
    except TypeError as exc:
        raise ConfigError(f"bad options for the {name} backend: {exc}") from None


__all__ = ["BACKENDS", "CONNECT_TIMEOUT_S", "Backend", "Completion", "get_backend"]
