"""NASLib-style runs on the real So2Sat benchmark (surrogate-completed, answers flagged)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eo_naslib.naslib_compat import run
from eo_naslib.space import all_cells


@pytest.mark.parametrize("dataset", ["so2sat_lcz42_macro", "so2sat_lcz42_micro"])
def test_regularized_evolution_on_so2sat(tmp_path, data_dir, so2sat, dataset):
    config = {
        "seed": 0,
        "search_space": "nasbench101",
        "dataset": dataset,
        "optimizer": "re",
        "out_dir": str(tmp_path),
        "data_dir": str(data_dir),
        "search": {"epochs": 300, "checkpoint_freq": 50, "population_size": 50, "sample_size": 10},
    }
    summary = run(config, progress=False)
    save_dir = Path(summary["save_dir"])
    metric = "val_accuracy_macro" if dataset.endswith("macro") else "val_accuracy"
    trajectory = json.loads((save_dir / "trajectory.json").read_text())
    assert len({t["hash"] for t in trajectory}) == len(trajectory) == 300
    for step in trajectory[:20]:  # each answer is the benchmark's, flagged measured or predicted
        assert step[metric] == pytest.approx(so2sat.query(step["hash"], metric))
        assert step["measured"][metric] == so2sat.is_measured(step["hash"], metric)
    _, errors = json.loads((save_dir / "errors.json").read_text())
    best = max(t[metric] for t in trajectory)
    assert errors["valid_acc"][-1] == pytest.approx(100 * best)
    # evolution beats the median cell of the space on its own objective
    assert best > float(sorted(so2sat.values(metric))[len(all_cells()) // 2])
