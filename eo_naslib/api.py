"""The front door: `load_benchmark` (table, surrogate or live) and `minimize`, as `eo_naslib` exports them."""

from __future__ import annotations

import importlib
import os
from typing import Any

from .benchmarks import load_benchmark as load_stored_benchmark
from .benchmarks.base import Benchmark
from .errors import ConfigError

KINDS = ("table", "surrogate", "live")


def load_benchmark(
    name: str,
    kind: str = "surrogate",
    data_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    **live_options: Any,
) -> Benchmark:
    """One benchmark object for a task, as JAHS-Bench-201's `Benchmark(task, kind=...)`.

    - ``table``: measured cells only (unknown cells raise `UnknownArchitectureError`);
    - ``surrogate`` (default): measured cells first, the fitted surrogate for every other cell;
    - ``live``: train the cell on So2Sat files in `data` (or read its cached record); needs the
      `train` extra (PyTorch). `live_options` go to `training.live.LiveBenchmark` (sensor, config,
      cache_dir).
    """
    if kind not in KINDS:
        raise ConfigError(f"kind {kind!r} is unknown; choose one of {list(KINDS)}")
    if kind == "live":
        if name != "so2sat":
            raise ConfigError(f"kind='live' trains So2Sat LCZ42 cells; got benchmark {name!r}")
        if data is None:
            raise ConfigError("kind='live' needs data=<folder with training.h5, validation.h5, testing.h5>")
        try:  # the optional `train` extra: imported only when asked for
            live = importlib.import_module("eo_naslib.training.live")
        except ImportError as exc:
            raise ConfigError(f"kind='live' needs PyTorch ({exc}); install it with: pip install 'eo-naslib[train]'") from None
        return live.LiveBenchmark(data, **live_options)
    if live_options or data is not None:
        raise ConfigError(f"data= and {sorted(live_options)} apply to kind='live' only")
    return load_stored_benchmark(name, data_dir, surrogate=kind == "surrogate")
