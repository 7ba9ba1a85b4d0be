"""The footprint record, JSON, plots and CLI on the synthetic full-space benchmark."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eo_naslib.cli import main
from eo_naslib.landscape import cli as landscape_cli
from eo_naslib.errors import ConfigError, DataFileError, UnknownMetricError
from eo_naslib.landscape import FootprintSettings, footprint, from_benchmark, load, optima, save
from eo_naslib.testing import SyntheticBenchmark


@pytest.fixture(scope="module")
def synthetic(space):
    return SyntheticBenchmark(space, seed=0)


@pytest.fixture(scope="module")
def record(synthetic, space):
    settings = FootprintSettings(
        metric="val_accuracy", walks=10, steps=40, trials=3, runs=50, proxy_samples=60
    )
    return footprint(synthetic, settings, space=space, progress=False)


def test_exact_count_over_the_whole_space_matches_per_cell_check(synthetic, space):
    land = from_benchmark(synthetic, "val_accuracy", space=space)
    mask = optima.local_optima_mask(land)
    rows = np.random.default_rng(0).choice(len(space), 300, replace=False)
    rows = np.concatenate([rows, np.flatnonzero(mask)[:50]])
    graph = land.graph
    for r in rows:
        nbrs = graph.indices[graph.indptr[r] : graph.indptr[r + 1]]
        assert mask[r] == bool(np.all(land.fitness[nbrs] <= land.fitness[r]))


def test_symmetric_graph_contains_every_table_move(space):
    from eo_naslib.landscape import NeighbourGraph

    table = space.neighbour_table("hamming")
    graph = NeighbourGraph.from_table(table, symmetric=True)
    rows = np.random.default_rng(1).choice(len(space), 200, replace=False)
    for r in rows:
        mine = set(graph.indices[graph.indptr[r] : graph.indptr[r + 1]].tolist())
        assert set(table[r][table[r] >= 0].tolist()) <= mine
        assert all(r in graph.indices[graph.indptr[y] : graph.indptr[y + 1]] for y in mine)


def test_record_has_every_feature_and_settings(record):
    assert record["settings"]["metric"] == "val_accuracy" and record["settings"]["seed"] == 0
    assert record["settings"]["symmetric"] is True and record["settings"]["walks"] == 10
    assert set(record["distribution"]["fits"]) >= {"beta", "weibull", "lognormal", "best_by_aic"}
    for fit in ("beta", "weibull", "lognormal"):
        f = record["distribution"]["fits"][fit]
        assert f["aic"] == pytest.approx(4 - 2 * f["log_likelihood"])
    assert record["fdc"]["hamming"]["correlation"] < 0  # the synthetic landscape climbs towards its optimum
    assert record["ruggedness"]["walks"] == 10 and len(record["ruggedness"]["series"][0]) == 41
    lo = record["local_optima"]
    assert lo["exact"]["count"] > 0 and lo["birthday"]["trials"] == 3 and lo["nn_proxy"]["samples"] == 60
    plateaus = lo["exact"]["plateaus"]
    assert 0 < plateaus["count"] <= plateaus["cells"] <= lo["exact"]["count"]
    assert plateaus["cells"] + plateaus["optima_off_plateaus"] == lo["exact"]["count"]
    assert record["neutrality"]["cells"] == 423_624
    assert "persistence" not in record  # one fidelity only


def test_record_is_reproducible_strict_json(record, synthetic, space, tmp_path):
    path = tmp_path / "fp.json"
    save(record, path)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    again = footprint(
        synthetic,
        FootprintSettings(metric="val_accuracy", walks=10, steps=40, trials=3, runs=50, proxy_samples=60),
        space=space,
        progress=False,
    )
    save(again, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == text
    assert load(path)["local_optima"]["exact"]["count"] == record["local_optima"]["exact"]["count"]


def test_bad_inputs_raise_our_errors(synthetic, space, tmp_path):
    with pytest.raises(UnknownMetricError, match="latency"):
        from_benchmark(synthetic, "latency", space=space)
    with pytest.raises(ConfigError, match="neighbourhood"):
        from_benchmark(synthetic, "val_accuracy", neighbourhood="swap", space=space)
    with pytest.raises(ConfigError, match="recorded walks"):
        footprint(
            synthetic, FootprintSettings(metric="val_accuracy", walks="recorded"), space=space, progress=False
        )
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataFileError, match="not a footprint"):
        load(tmp_path / "bad.json")


def test_cli_footprint_and_compare(monkeypatch, synthetic, tmp_path, capsys):
    monkeypatch.setattr(landscape_cli, "load_benchmark", lambda name, data_dir=None, surrogate=True: synthetic)
    out = tmp_path / "fp"
    args = [
        "footprint",
        "--benchmark",
        "synthetic",
        "--walks",
        "5",
        "--steps",
        "20",
        "--trials",
        "2",
        "--runs",
        "30",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["summary"]["exact_optima"] >= printed["summary"]["optimal_plateaus"] > 0
    for name in ("footprint.json", "fdc.png", "walks.png", "densities.png", "radar.png"):
        assert (out / name).stat().st_size > 0
    radar = tmp_path / "radar.png"
    assert (
        main(
            [
                "footprint",
                "compare",
                str(out / "footprint.json"),
                str(out / "footprint.json"),
                "--out",
                str(radar),
            ]
        )
        == 0
    )
    assert radar.stat().st_size > 0
    assert main(["footprint", "--benchmark", "synthetic", "--walks", "many", "--out", str(out)]) == 2
    assert "--walks 'many'" in capsys.readouterr().err
