"""`LiveBenchmark` on *synthetic* So2Sat-layout files: trains on the first query, reads the cache after."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.benchmarks.base import Benchmark  # noqa: E402
from eo_naslib.errors import UnknownMetricError  # noqa: E402
from eo_naslib.space import all_cells, random_cell  # noqa: E402
from eo_naslib.training.live import LiveBenchmark  # noqa: E402
from eo_naslib.testing import TWO_STACK_TRAINING  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

TINY = {**TWO_STACK_TRAINING, "epochs": 2, "eval_every": 1, "latency_batch_size": 4, "latency_repeats": 2}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_live_benchmark_trains_once_then_answers_from_cache(tmp_path, monkeypatch):
    data = write_synthetic_so2sat(tmp_path / "data", 300, 60, 60, seed=0)
    bench = LiveBenchmark(data, sensor="fusion", config=TINY, cache_dir=tmp_path / "cache")
    assert isinstance(bench, Benchmark)
    assert bench.fidelities == (1, 2) and bench.default_epoch == 2
    cell = random_cell(np.random.default_rng(4))
    assert not bench.is_measured(cell, "val_accuracy")
    accuracy = bench.query(cell, "val_accuracy")
    assert 0.0 <= accuracy <= 1.0 and bench.is_measured(cell.hash, "val_accuracy")
    assert bench.query(cell.hash, "val_accuracy", epoch=1) != pytest.approx(-1)
    assert bench.query(cell, "params") > 0 and bench.query(cell, "macs") > 0

    def no_training(*args, **kwargs):
        raise AssertionError("a cached cell was trained again")

    monkeypatch.setattr("eo_naslib.training.live.train_and_measure", no_training)
    again = LiveBenchmark(data, sensor="fusion", config=TINY, cache_dir=tmp_path / "cache")
    assert again.query(cell.hash, "val_accuracy") == accuracy
    assert list(again.measured_hashes()) == [cell.hash]
    row = all_cells().index(cell.hash)
    assert again.query_rows(np.array([row]), "test_accuracy")[0] == again.query(cell, "test_accuracy")
    values = again.values("val_accuracy")
    assert values[row] == accuracy and np.isnan(values).sum() == len(values) - 1
    assert again.query_all(cell).values["val_accuracy"] == accuracy
    assert len(again.to_dataframe()) == 1
    with pytest.raises(UnknownMetricError, match="evaluated epochs"):
        again.query(cell, "val_accuracy", epoch=3)
    with pytest.raises(UnknownMetricError, match="unknown metric"):
        again.query(cell, "accuracy")
