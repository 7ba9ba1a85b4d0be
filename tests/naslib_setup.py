"""The NASLib test set's common ground: the bridge plugin (plugins/naslib_bridge.py) importable,
why real NASLib is not (`NASLIB_MISSING`, None where it imports) and the mark that skips a module
or test then (`needs_naslib`, e.g. in CI: NASLib is not on the package index). The `naslib`
fixture (tests/conftest.py) registers the bridge in real NASLib for a module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

import naslib_bridge  # noqa: E402

NASLIB_MISSING = naslib_bridge.unavailable_reason()
needs_naslib = pytest.mark.skipif(NASLIB_MISSING is not None, reason=f"NASLib not importable: {NASLIB_MISSING}")
