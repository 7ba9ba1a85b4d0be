"""`get_zc_benchmark_api`'s answer from a built store of zero-cost scores (NAS-Bench-Suite-Zero's layout).

NASLib's `get_zc_benchmark_api(search_space, dataset)` returns `zc_<space>.json[dataset]`: one
entry per architecture, keyed by `str()` of NASLib's NB101 56-tuple (its stock space's
`get_hash()`; NASLib's bbo runner `eval`s the keys), holding `{proxy: {"score": s}}` per proxy
and `"val_accuracy"` (percent, as NASLib's queries answer). Here the scores are the `zc_<proxy>`
metrics of a store built by `build plan --job zc` (`build store --no-surrogate`), measured cells
only, and the tuple is of NB101's labelling of each cell; `val_accuracy` is the dataset's
benchmark answer, with `val_accuracy_measured` saying whether it was measured or a surrogate
prediction (an extra key NASLib does not read). NAS-Bench-Suite-Zero's per-proxy `"time"` is not
kept in stores and is left out. Scores on synthetic data (the store's provenance says so) rank
nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from ..benchmarks import load_benchmark
from ..benchmarks.datasets import open_dataset
from ..benchmarks.metrics import ZERO_COST_PREFIX
from ..errors import DataFileError
from ..space import all_cells
from .dataset_api import DATASETS
from .search_space import NasBench101SearchSpace

log = logging.getLogger(__name__)


def naslib_tuple_key(cell_hash: str) -> str:
    """`str()` of NASLib's 56-tuple of NB101's labelling of the cell (padded as NASLib pads)."""
    table = all_cells()
    arch = NasBench101SearchSpace()
    arch.set_spec(table.cell(table.index(cell_hash)).nb101())
    return str(arch.get_tuple())


def zc_table(dataset: str, zc_store: str, data_dir: str | None = None) -> dict[str, Any]:
    """NAS-Bench-Suite-Zero's `data[dataset]` from store `zc_store` and the dataset's benchmark."""
    if dataset not in DATASETS:
        raise DataFileError(f"dataset {dataset!r} is unknown; allowed: {sorted(DATASETS)}")
    scores = load_benchmark(zc_store, data_dir, surrogate=False)
    proxies = sorted(m for m in scores.metrics if m.startswith(ZERO_COST_PREFIX))
    if not proxies:
        raise DataFileError(f"store {zc_store!r} holds no zero-cost scores (zc_* metrics); build one with `build plan --job zc`")
    if scores.store.provenance.get("synthetic"):
        log.warning("zero-cost store %s was computed on synthetic data: its correlations mean nothing", zc_store)
    accuracy, _ = open_dataset(dataset, data_dir)
    metric = DATASETS[dataset].accuracy
    table: dict[str, Any] = {}
    for cell_hash in scores.measured_hashes().tolist():
        entry: dict[str, Any] = {
            m[len(ZERO_COST_PREFIX):]: {"score": float(scores.query(cell_hash, m))}
            for m in proxies
            if scores.is_measured(cell_hash, m)
        }
        entry["val_accuracy"] = 100.0 * float(accuracy.query(cell_hash, metric))
        entry["val_accuracy_measured"] = bool(accuracy.is_measured(cell_hash, metric))
        table[naslib_tuple_key(cell_hash)] = entry
    return table
