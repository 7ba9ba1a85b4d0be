"""NASLib-style entry point: python scripts/runner.py --config-file FILE.yaml [key value ...]

Our optimizers (rs, re, ls, pls, ga, ea, ae, nsga2) run on eo-naslib's core; NASLib's other
discrete optimizers (bananas, npenas, ...) run through NASLib's own Trainer via
plugins/naslib_bridge.py when NASLib is importable, and otherwise say what to install; any other
name is refused with the list of names.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from eo_naslib.errors import EONASLibError
from eo_naslib.io import load_config
from eo_naslib.naslib_compat.config import NASLIB_ONLY_OPTIMIZERS, apply_overrides
from eo_naslib.naslib_compat.runner import main as run_ours
from eo_naslib.search import OPTIMIZERS


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import naslib_bridge  # noqa: E402 - the plugin lives beside the package, not inside it


def requested_optimizer(argv: Sequence[str]) -> str | None:
    """The optimizer a command line's config (with overrides) names, None if it cannot be read."""
    if "--config-file" not in argv or argv.index("--config-file") + 1 >= len(argv):
        return None
    position = argv.index("--config-file")
    overrides = [a for a in argv[position + 2 :] if a not in ("--resume", "--quiet", "--no-progress")]
    config = apply_overrides(load_config(argv[position + 1]), overrides)
    return config.get("optimizer")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        optimizer = requested_optimizer(argv)
    except EONASLibError:
        optimizer = None  # our runner reports the bad config in one line
    if optimizer in NASLIB_ONLY_OPTIMIZERS:
        return naslib_bridge.main(argv)
    return run_ours(argv)


if __name__ == "__main__":
    raise SystemExit(main())
