"""The surrogate leaderboard on a tiny budget: features checked by hand, scores, nested CV rows, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from eo_naslib.benchmarks.completion import feature_set, shipped_tuning
from eo_naslib.benchmarks.features import FEATURE_SETS, GRAPH_STATISTICS, graph_statistics
from eo_naslib.benchmarks.leaderboard import Entrant, run_column, top_precision, winners
from eo_naslib.cli import main as cli_main
from eo_naslib.errors import DataFileError
from eo_naslib.space import Cell


def test_graph_statistics_of_a_cell_counted_by_hand(space):
    matrix = np.array(
        [
            [0, 1, 0, 1, 0, 0, 0],
            [0, 0, 1, 0, 1, 0, 0],
            [0, 0, 0, 1, 0, 1, 0],
            [0, 0, 0, 0, 0, 1, 0],
            [0, 0, 0, 0, 0, 1, 0],
            [0, 0, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 0, 0],
        ]
    )
    ops = ["input", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "output"]
    row = space.row_of(Cell(matrix, ops))
    # paths: 0-1-2-3-5-6, 0-1-2-5-6, 0-1-4-5-6, 0-3-5-6; depths of 1..5: 1, 2, 3, 2, 4 (width 2)
    expected = {"conv3x3": 2, "conv1x1": 1, "maxpool3x3": 2, "vertices": 7, "edges": 9, "depth": 5, "width": 2,
                "paths": 4, "input_out_degree": 2, "output_in_degree": 1}  # fmt: skip
    assert dict(zip(GRAPH_STATISTICS, graph_statistics(space, np.array([row]))[0].tolist())) == expected
    shapes = {name: make(space, np.array([row, 0])).shape for name, make in FEATURE_SETS.items()}
    assert shapes == {"one-hot": (2, 40), "path": (2, 364), "graph-stats": (2, 10), "one-hot+graph-stats": (2, 50), "costs": (2, 10), "one-hot+costs": (2, 50)}


def test_top_precision():
    truth = np.arange(20.0)
    assert top_precision(truth, truth, maximise=True) == 1.0
    assert top_precision(-truth, truth, maximise=True) == 0.0
    assert top_precision(-truth, truth, maximise=False) == 0.0
    assert top_precision(truth, truth, maximise=False) == 1.0


def test_tiny_leaderboard_rows_are_nested_cv_scores(so2sat):
    entrants = [Entrant("xgboost", "one-hot"), Entrant("random-forest", "graph-stats"), Entrant("gaussian-process", "graph-stats", 50)]
    rows = run_column(so2sat.store, so2sat.space, "val_accuracy@108", [60, 120], entrants, n_folds=3, n_boot=20)
    assert [(r["n_train"], r["model"]) for r in rows] == [
        (60, "xgboost"), (60, "random-forest"), (120, "xgboost"), (120, "random-forest")
    ]  # the GP skips sizes above its cap
    for r in rows:
        assert r["n_test"] == 450
        for key in ("spearman", "kendall", "rmse", "top10_precision"):
            low, high = r[key]["ci95"]
            assert low <= high and np.isfinite(r[key]["value"])
    baseline = [r for r in rows if r["model"] == "xgboost"]
    assert all(r["spearman_minus_baseline"] == {"value": 0.0, "ci95": [0.0, 0.0], "win": False} for r in baseline)
    assert baseline[1]["spearman"]["value"] > 0.2  # 120 cells already rank validation accuracy
    assert winners(rows)["val_accuracy@108"]["n_train"] == 120


def test_cli_quick_leaderboard_and_its_errors(data_dir, so2sat, tmp_path, capsys):
    out = tmp_path / "board.json"
    argv = ["data", "surrogates", "--benchmark", "so2sat", "--columns", "params", "--sizes", "100", "--quick",
            "--bootstrap", "20", "--data-dir", str(data_dir), "--json", str(out)]  # fmt: skip
    assert cli_main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| column |") and "hist-gradient-boosting" in printed
    report = json.loads(out.read_text())
    assert {r["model"] for r in report["rows"]} == {"xgboost", "hist-gradient-boosting"}
    ceiling = report["noise_ceiling"]
    val, test = (np.nanmean(so2sat.store.columns[c], axis=1) for c in ceiling["columns"])
    assert ceiling["spearman"] == pytest.approx(stats.spearmanr(val, test).statistic)
    assert cli_main(["data", "surrogates", "--benchmark", "so2sat", "--sizes", "ten", "--data-dir", str(data_dir)]) == 2
    assert "'ten'" in capsys.readouterr().err
    assert cli_main(["data", "surrogates", "--benchmark", "so2sat", "--columns", "nope", "--data-dir", str(data_dir)]) == 2
    assert "'nope'" in capsys.readouterr().err



def test_store_uses_the_leaderboards_feature_choice(so2sat, cifar10):
    assert shipped_tuning("so2sat")["val_accuracy@108"]["features"] == "path"  # the one win beyond the CV noise
    for bench in (so2sat, cifar10):
        shipped = shipped_tuning(bench.name)
        for key, entry in bench.store.surrogate.items():
            assert entry["features"] == shipped[key].get("features", "one-hot"), key


def test_an_unknown_feature_set_is_a_one_line_error(space):
    with pytest.raises(DataFileError, match="'graph'.*restore"):
        feature_set(space, "graph", {})
