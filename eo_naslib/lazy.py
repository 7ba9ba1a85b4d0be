"""Deferred imports, declared at module level where the architecture test reads them.

Two open forms, both visible in the source (tests/test_architecture.py counts them as imports, so
the layer and cycle rules still hold):

- `lazy_module("eo_naslib.x.y")` at module level: a stand-in whose first attribute access imports
  the module (`importlib.import_module`) and forwards to it. For a heavy stack that one code path
  needs (surrogate fitting, pandas tables, torch). The stand-in is not put in `sys.modules` (tools
  such as `inspect` walk that and would trigger imports mid-way through another one).
- `lazy_attributes(__name__, {"Name": "eo_naslib.x.y"})` as a package's `__getattr__` (PEP 562):
  `from package import Name` imports `eo_naslib.x.y` only then. For packages that re-export.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


class LazyModule:
    """Module `name`, imported on the first attribute access."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name!r}>"


def lazy_module(name: str) -> LazyModule | ModuleType:
    """Module `name` if already imported, else a `LazyModule` importing it on first use."""
    return sys.modules.get(name) or LazyModule(name)


def lazy_attributes(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A PEP 562 `__getattr__` for `package`: attribute `n` is `names[n]`'s attribute `n`."""

    def __getattr__(attribute: str) -> Any:
        if attribute not in names:
            raise AttributeError(f"module {package!r} has no attribute {attribute!r}")
        value = getattr(importlib.import_module(names[attribute]), attribute)
        setattr(sys.modules[package], attribute, value)  # later look-ups skip this function
        return value

    return __getattr__
