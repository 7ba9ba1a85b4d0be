"""`eo-naslib reproduce`: end to end on SYNTHETIC stand-in benchmarks, resuming from sealed item
files, and the distribution-only import of seed 001's all_metrics.csv."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from eo_naslib.benchmarks.distribution_only import import_all_metrics
from eo_naslib.cli import main
from eo_naslib.errors import DataFileError
from eo_naslib.io import read_json

#: quick items of every kind: statistics, walks, an imported table, a search experiment (runs,
#: Mann-Whitney, A12, Holm, plots) and the report
ITEMS = ["s000_stats", "s000_ruggedness", "s001_table1", "s003_transfer"]

HEADER = (
    ",validation_loss,validation_accuracy,validation_avg_macro_accuracy,validation_avg_micro_accuracy,epoch,step,"
    "train_loss,train_accuracy,train_avg_macro_accuracy,train_avg_micro_accuracy,training_time,arch_num\n"
)


def _row(index: int, macro: float, micro: float, arch: int, epoch: int = 107) -> str:
    return f"{index},1.3,{macro},{macro},{micro},{epoch},100,0.5,0.6,0.6,0.8,117.5,{arch}\n"


@pytest.fixture
def eo_folder(tmp_path):
    """A small all_metrics.csv in the published layout (SYNTHETIC rows)."""
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "all_metrics.csv").write_text(HEADER + _row(0, 0.40, 0.58, 5) + _row(1, 0.42, 0.60, 9))
    return folder


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """One synthetic run of a few items; (out dir, its printed summary, eo folder)."""
    pytest.importorskip("sklearn")
    pytest.importorskip("xgboost")
    out = tmp_path_factory.mktemp("reproduce")
    eo = out / "eo"
    eo.mkdir()
    (eo / "all_metrics.csv").write_text(HEADER + _row(0, 0.40, 0.58, 5) + _row(1, 0.42, 0.60, 9))
    threadpoolctl = pytest.importorskip("threadpoolctl")
    argv = ["-q", "reproduce", "all", "--synthetic", "--out-dir", str(out / "run"), "--eo-folder", str(eo), "--workers", "1", "--items", *ITEMS]
    with threadpoolctl.threadpool_limits(1):  # BGM's tiny BLAS solves crawl with many threads on a busy machine
        yield out / "run", argv


def test_the_command_writes_the_report_end_to_end_on_synthetic_benchmarks(synthetic_run, capsys):
    out, argv = synthetic_run
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["items"] == len(ITEMS) and summary["failed"] == [] and summary["reused"] == 0
    report = (out / "report.md").read_text()
    assert "SYNTHETIC" in report
    for key in ITEMS:
        assert f'<a id="{key}"></a>' in report
    assert "| ea_clusters_cifar10 vs ea_random |" in report and "A12" in report  # the experiment's tests
    assert "Figures and tables the public data cannot reproduce" in report
    for line in report.splitlines():
        if line.startswith("!["):
            assert (out / line.split("(")[1].rstrip(")")).is_file()
    stats = read_json(out / "items" / "s000_stats.json")["values"]
    assert 0.5 < stats["val_accuracy"]["mean"] < 0.7 and stats["val_accuracy"]["cells"] >= 30
    table = read_json(out / "items" / "s001_table1.json")["values"]
    assert table["rows"] == 2 and table["macro"] == pytest.approx(0.41) and table["micro"] == pytest.approx(0.59)


def test_a_rerun_reuses_finished_items_and_recomputes_a_damaged_or_missing_one(synthetic_run, capsys):
    out, argv = synthetic_run
    if not (out / "report.md").exists():
        assert main(argv) == 0
    capsys.readouterr()
    stats_file, walks_file = out / "items" / "s000_stats.json", out / "items" / "s000_ruggedness.json"
    document = read_json(stats_file)
    document["values"]["val_accuracy"]["mean"] = 0.99  # an edit the checksum catches
    stats_file.write_text(json.dumps(document))
    walks_file.unlink()  # an item interrupted before it finished has no file
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["reused"] == len(ITEMS) - 2 and summary["failed"] == []
    assert read_json(stats_file)["values"]["val_accuracy"]["mean"] < 0.7
    assert walks_file.is_file()


def test_an_item_that_cannot_run_is_listed_as_failed_and_the_others_still_run(tmp_path, capsys):
    pytest.importorskip("sklearn")
    code = main(["-q", "reproduce", "seed001", "--synthetic", "--out-dir", str(tmp_path), "--items", "s001_table1"])
    assert code == 1
    assert json.loads(capsys.readouterr().out)["failed"] == ["s001_table1"]
    assert "not produced: Table 1 needs seed 001's all_metrics.csv" in (tmp_path / "report.md").read_text()


def test_an_unknown_item_is_a_one_line_error(tmp_path, capsys):
    assert main(["reproduce", "seed000", "--out-dir", str(tmp_path), "--items", "nope"]) != 0
    assert "--items 'nope' is not an item of this choice" in capsys.readouterr().err


def test_all_metrics_imports_as_a_distribution_only_source(eo_folder):
    source = import_all_metrics(eo_folder / "all_metrics.csv")
    assert not source.mapped_to_cells and len(source) == 2
    assert source.columns["val_accuracy"].tolist() == [0.58, 0.60]  # micro, not the macro `validation_accuracy`
    assert source.columns["val_accuracy_macro"].tolist() == [0.40, 0.42]
    assert "ONE epoch" in source.notes["epoch_time_s"]


def test_the_published_all_metrics_gives_seed_001s_table(shared_data):
    source = import_all_metrics(shared_data / "eo_hwnas_so2sat" / "all_metrics.csv")
    assert len(source) == 907
    assert round(100 * float(np.mean(source.columns["val_accuracy_macro"])), 2) == 41.34
    assert 58.77 <= 100 * float(np.mean(source.columns["val_accuracy"])) < 58.78  # 58.778: the seed truncates


@pytest.mark.parametrize(
    "text, match",
    [
        (HEADER.replace(",arch_num", ",arch") + _row(0, 0.4, 0.5, 1), "column 'arch_num' is missing"),
        (HEADER + _row(0, 0.4, 0.5, 1).replace("0.5,107", "nan,107"), "must be a finite number, got 'nan'"),
        (HEADER + _row(0, 0.4, 1.5, 1), r"must be in \[0.0, 1.0\], got 1.5"),
        (HEADER + _row(0, 0.4, 0.5, 1) + _row(1, 0.4, 0.5, 1), "an arch_num appears twice"),
        (HEADER + _row(0, 0.4, 0.5, 1) + _row(1, 0.4, 0.5, 2, epoch=50), "rows of several epochs"),
        (HEADER, "no rows"),
    ],
    ids=["missing-column", "nan", "out-of-range", "duplicate-arch", "two-epochs", "empty"],
)
def test_a_bad_all_metrics_file_is_refused_in_one_line(tmp_path, text, match):
    path = tmp_path / "all_metrics.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=match):
        import_all_metrics(path)


def test_report_only_shows_the_finished_items_and_runs_nothing(synthetic_run, capsys):
    out, argv = synthetic_run
    if not (out / "report.md").exists():
        assert main(argv) == 0
    capsys.readouterr()
    code = main([*argv[: argv.index("--items")], "--report-only"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["reused"] == len(ITEMS) and "s000_pls_cifar10" in summary["failed"]
    report = (out / "report.md").read_text()
    assert "| seed000 | Figs. 4-5 (CIFAR-10) | not run |" in report
    assert not (out / "experiments" / "cifar10_accuracy_vs_train_time").exists()


def test_other_seeds_recompute_the_items_not_reuse_them(synthetic_run, capsys):  # last: it changes s000_stats
    out, argv = synthetic_run
    if not (out / "report.md").exists():
        assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv[:-len(ITEMS)], "s000_stats", "--seeds", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["reused"] == 0


def test_the_vectorised_spearman_of_the_transfer_section_equals_scipys():
    transfer = pytest.importorskip("eo_naslib.reproduce.transfer")  # needs xgboost
    rng = np.random.default_rng(1)
    x, y = rng.random((2, 3, 450))
    x[:, :20] = 0.5  # ties
    expected = [stats.spearmanr(a, b)[0] for a, b in zip(x, y)]
    assert transfer._spearman(x, y) == pytest.approx(expected, abs=1e-12)
