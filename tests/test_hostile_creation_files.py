"""Hostile (or unlucky) files of benchmark creation, grouped by the file they attack: plan.json,
a job's record.json, its errors/ and events/ files, the benchmark store's name and its manifest.

Every case ends in one line naming the file and the field (`DataFileError`/`ConfigError`, exit 2
from the CLI), never a traceback, a silent wrong answer or a lost store. Records are made by the
`sleep` stand-in (SYNTHETIC metrics); a tampered record is re-sealed where the case tests a check
behind the checksum (what a careful forger, or another eo-naslib version, would write).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from eo_naslib.benchmarks.store import BenchmarkStore, MetricRecord, store_path
from eo_naslib.cli import main as cli_main
from eo_naslib.creation import load_plan, make_plan, plan_status, read_records
from eo_naslib.creation.jobs import events, execute, job_dir
from eo_naslib.creation.store import build_store
from eo_naslib.errors import ConfigError, DataFileError
from eo_naslib.io import fingerprint

HASH_A = "0" * 32


def reseal(document: dict) -> dict:
    """`document` with a checksum of its edited content, as `eo_naslib.schema.seal` computes it."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    return {**body, "checksum": fingerprint(body)}


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A plan of 8 `sleep` jobs, each executed in this process."""
    root = tmp_path_factory.mktemp("hostile")
    plan = make_plan(
        {"name": "hostile", "sampler": {"kind": "lhs", "n": 8, "seed": 0}, "job": "sleep", "settings": {"epochs": 2}}
    )
    plan.save(root / "plan")
    plan = load_plan(root / "plan")
    for job in plan.jobs:
        assert execute(job, str(plan.results))["status"] == "done"
    return root / "plan"


@pytest.fixture
def plan_dir(finished, tmp_path):
    """A private copy of the finished plan (to tamper with)."""
    return Path(shutil.copytree(finished, tmp_path / "deep" / "plan"))


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


# ------------------------------------------------------------------------------------ plan.json
def test_plan_job_id_escaping_the_plan_dir_is_refused_and_nothing_written(plan_dir, tmp_path, capsys):
    def escape(plan):
        plan["jobs"][0]["id"] = "../../../escape_job"
        return plan

    edit_json(plan_dir / "plan.json", escape)
    shutil.rmtree(plan_dir / "results")
    assert cli_main(["build", "run", str(plan_dir), "--workers", "1", "--quiet"]) == 2
    assert "jobs[0].id" in one_line(capsys.readouterr().err)
    assert not list(tmp_path.rglob("escape_job*")) and not (plan_dir / "results").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: {k: v for k, v in p.items() if k != "job"}, "'job'"),
        (lambda p: {**p, "jobs": [{k: v for k, v in p["jobs"][0].items() if k != "matrix"}]}, "jobs[0].matrix"),
        (lambda p: {**p, "jobs": "not a list"}, "'jobs'"),
        (lambda p: {**p, "jobs": [p["jobs"][0], p["jobs"][0]]}, "jobs[1].id"),
        (lambda p: {**p, "jobs": [{**p["jobs"][0], "hash": p["jobs"][1]["hash"]}]}, "jobs[0].hash"),
        (lambda p: {**p, "jobs": [{**p["jobs"][0], "ops": ["input", "nope", "output"]}]}, "jobs[0]"),
        (lambda p: {**p, "jobs": [{**p["jobs"][0], "id": p["jobs"][1]["id"]}]}, "jobs[0].id"),
        (lambda p: {**p, "settings": ["epochs", 2]}, "'settings'"),
        (lambda p: {**p, "name": "../../evil"}, "'name'"),
        (lambda p: {**p, "walks": [["not-a-hash"]]}, "walks[0][0]"),
        (lambda p: {**p, "store": "metrics"}, "'store'"),
        (lambda p: {**p, "description": {"a": 1}}, "'description'"),
    ],
    ids=[
        "no-job", "job-without-matrix", "jobs-a-string", "duplicate-job", "hash-of-another-cell", "invalid-cell",
        "id-of-another-job", "settings-a-list", "name-a-path", "walk-not-a-hash", "store-a-string", "description-a-mapping",
    ],
)
def test_a_bad_plan_is_one_line_naming_the_field(plan_dir, change, field):
    edit_json(plan_dir / "plan.json", change)
    with pytest.raises(DataFileError, match=r"plan\.json: field .*" + field.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_plan(plan_dir)


def test_build_status_of_a_plan_without_job_is_one_line(plan_dir, capsys):
    edit_json(plan_dir / "plan.json", lambda p: {k: v for k, v in p.items() if k != "job"})
    assert cli_main(["build", "status", str(plan_dir)]) == 2
    assert "field 'job'" in one_line(capsys.readouterr().err)


def test_job_dir_refuses_an_id_that_is_a_path(tmp_path):
    for bad in ("../escape", "a/b", "..", ""):
        with pytest.raises(ConfigError, match="cannot be used as a file name"):
            job_dir(tmp_path, bad)


def test_saving_a_plan_over_one_on_other_data_is_refused(tmp_path):
    """`data_dir` is not in a train job's id (it does not change what is trained), so the jobs of a
    plan on other data are the same jobs: the plan still is another one (its records would be
    taken for the other data's)."""
    pytest.importorskip("torch", reason="train jobs need torch")

    def plan_on(data: str):
        config = {"name": "d", "sampler": {"kind": "lhs", "n": 2, "seed": 0}, "job": "train", "settings": {"data_dir": data}}
        return make_plan(config)

    plan_on("/data/a").save(tmp_path / "plan")
    other = plan_on("/data/b")
    assert [j.id for j in other.jobs] == [j.id for j in load_plan(tmp_path / "plan").jobs]
    with pytest.raises(ConfigError, match="holds another plan"):
        other.save(tmp_path / "plan")


# ------------------------------------------------------------------------------------ record.json
def first_record(plan_dir: Path) -> Path:
    return sorted((plan_dir / "results").glob("*/record.json"))[0]


def set_metric(value):
    def change(record):
        record["metrics"]["val_accuracy"] = value
        return reseal(record)

    return change


def set_curves(curves):
    def change(record):
        record["curves"] = curves
        return reseal(record)

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (set_metric(7.5), "metrics.val_accuracy"),
        (set_metric(-1e308), "metrics.val_accuracy"),
        (set_metric("0.9"), "metrics.val_accuracy"),
        (set_metric(None), "metrics.val_accuracy"),
        (set_metric(True), "metrics.val_accuracy"),
        (lambda r: {**r, "metrics": {**r["metrics"], "val_accuracy": 0.5}}, "checksum"),
        (lambda r: {k: v for k, v in r.items() if k != "checksum"}, "checksum"),
        (lambda r: reseal({**r, "cell": {k: v for k, v in r["cell"].items() if k != "matrix"}}), "cell.matrix"),
        (lambda r: reseal({k: v for k, v in r.items() if k != "cell"}), "'cell'"),
        (set_curves("not curves"), "'curves'"),
        (set_curves([{"epoch": "one", "val_accuracy": 0.5}]), r"curves\[0\].epoch"),
        (set_curves([{"epoch": 2}, {"epoch": 1}]), r"curves\[1\].epoch"),
        (set_curves([{"epoch": 1, "test_accuracy": 1e999}]), r"curves\[0\].test_accuracy"),
        (lambda r: reseal({**r, "fingerprint": fingerprint({"epochs": 108})}), "'fingerprint'"),
        (lambda r: reseal({**r, "metrics": [0.5]}), "'metrics'"),
    ],
    ids=[
        "accuracy-7.5", "accuracy--1e308", "accuracy-a-string", "accuracy-null", "accuracy-a-bool", "edited-unsealed",
        "no-checksum", "cell-without-matrix", "no-cell", "curves-a-string", "epoch-one", "epochs-backwards",
        "curve-infinite", "other-settings", "metrics-a-list",
    ],
)
def test_a_bad_record_is_refused_by_the_store_naming_file_and_field(plan_dir, tmp_path, change, field):
    path = first_record(plan_dir)
    edit_json(path, change)
    plan = load_plan(plan_dir)
    with pytest.raises(DataFileError, match=f"{path.parent.name}/record.json: field .*{field}"):
        build_store(plan.results, "hostile", tmp_path / "data", plan=plan, surrogate=False)
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").iterdir())


def test_a_record_swapped_for_another_cells_is_refused(plan_dir, tmp_path):
    first, second = sorted((plan_dir / "results").glob("*/record.json"))[:2]
    shutil.copy(second, first)  # a valid, sealed record of another cell
    plan = load_plan(plan_dir)
    with pytest.raises(DataFileError, match=r"field 'cell.hash' must be \w+ \(the cell of the job that claims it\)"):
        build_store(plan.results, "hostile", tmp_path / "data", plan=plan, surrogate=False)


def test_a_record_no_job_claims_is_refused(plan_dir, tmp_path):
    stray = plan_dir / "results" / "0123456789abcdef"
    shutil.copytree(first_record(plan_dir).parent, stray)
    plan = load_plan(plan_dir)
    with pytest.raises(DataFileError, match="belongs to no job of plan"):
        build_store(plan.results, "hostile", tmp_path / "data", plan=plan, surrogate=False)


def test_a_record_that_is_a_list_is_one_line(plan_dir):
    first_record(plan_dir).write_text("[1, 2, 3]")
    with pytest.raises(DataFileError, match="record.json: field '\\(top level\\)' must be a mapping"):
        read_records(plan_dir / "results")


def test_build_store_cli_reports_a_string_value_in_one_line(plan_dir, tmp_path, capsys):
    edit_json(first_record(plan_dir), set_metric("0.9"))
    argv = ["build", "store", str(plan_dir / "results"), "--name", "hostile", "--data-dir", str(tmp_path / "d"), "--no-surrogate"]
    assert cli_main(argv) == 2
    assert "field 'metrics.val_accuracy' must be a finite number in [0, 1], got '0.9'" in one_line(capsys.readouterr().err)


# ------------------------------------------------------------------------------------ errors/ and events/
def test_an_errors_file_holding_a_list_is_one_line_in_build_status(plan_dir, capsys):
    directory = first_record(plan_dir).parent
    (directory / "record.json").unlink()
    (directory / "errors").mkdir()
    (directory / "errors" / "1.json").write_text("[1, 2]")
    assert cli_main(["build", "status", str(plan_dir)]) == 2
    assert "errors/1.json: field '(top level)' must be a mapping" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("content", ['{"traceback": "x"}', '{"error": 5}', '{"error": "x", "time": "now"}'])
def test_an_errors_file_without_its_fields_is_one_line(plan_dir, content):
    directory = first_record(plan_dir).parent
    (directory / "record.json").unlink()
    (directory / "errors").mkdir()
    (directory / "errors" / "1.json").write_text(content)
    with pytest.raises(DataFileError, match="errors/1.json: field '(error|time)'"):
        plan_status(load_plan(plan_dir))


@pytest.mark.parametrize("content", ["[]", '{"time": 1}', '{"event": ["done"]}'])
def test_a_bad_events_file_is_one_line(plan_dir, content):
    directory = first_record(plan_dir).parent
    (directory / "events" / "0-hostile.json").write_text(content)
    with pytest.raises(DataFileError, match="0-hostile.json: field"):
        events(directory)


# ------------------------------------------------------------------------------------ the store's name
@pytest.fixture
def built(plan_dir, tmp_path):
    plan = load_plan(plan_dir)
    data = tmp_path / "data"
    build_store(plan.results, "mine", data, plan=plan, surrogate=False)
    return plan, data


@pytest.mark.parametrize("name", ["so2sat", "cifar10"])
def test_a_shipped_benchmark_name_is_reserved_without_replace(built, name, capsys):
    plan, data = built
    with pytest.raises(ConfigError, match=f"the shipped benchmark '{name}'.*--replace"):
        build_store(plan.results, name, data, plan=plan, surrogate=False)
    shutil.copy(store_path(data, "mine"), store_path(data, name))  # one installed there
    before = store_path(data, name).read_bytes()
    argv = ["build", "store", str(plan.results), "--name", name, "--data-dir", str(data), "--no-surrogate"]
    assert cli_main(argv) == 2
    assert "--replace" in one_line(capsys.readouterr().err)
    assert store_path(data, name).read_bytes() == before


def test_an_existing_store_is_replaced_only_with_replace_and_kept_as_a_named_backup(built, capsys):
    plan, data = built
    before = store_path(data, "mine").read_bytes()
    with pytest.raises(ConfigError, match="would replace the benchmark 'mine'"):
        build_store(plan.results, "mine", data, plan=plan, surrogate=False)
    argv = ["build", "store", str(plan.results), "--name", "mine", "--data-dir", str(data), "--no-surrogate", "--replace"]
    assert cli_main(argv) == 0
    replaced = json.loads(capsys.readouterr().out)["replaced"]
    backup = Path(replaced["backup"])
    assert replaced["store"] == str(store_path(data, "mine")) and backup.parent == data
    assert backup.read_bytes() == before
    assert BenchmarkStore.load(data, "mine").provenance["replaced"] == replaced


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ""])
def test_a_store_name_that_is_a_path_is_refused(plan_dir, tmp_path, name):
    plan = load_plan(plan_dir)
    with pytest.raises(ConfigError, match="cannot be used as a file name"):
        build_store(plan.results, name, tmp_path / "data", plan=plan, surrogate=False)
    assert not (tmp_path / "evil.store.npz").exists()


# ------------------------------------------------------------------------------------ store manifest
def rewrite_manifest(path: Path, change) -> None:
    with np.load(path, allow_pickle=False) as contents:
        arrays = {k: contents[k] for k in contents.files}
    manifest = change(json.loads(arrays.pop("manifest").tobytes().decode()))
    encoded = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays, manifest=encoded)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda m: {**m, "walks": [["not-a-hash"], []]}, "checksum"),
        (lambda m: {**m, "fidelities": [1, 2, 3]}, "checksum"),
        (lambda m: {k: v for k, v in m.items() if k != "checksum"}, "checksum"),
        (lambda m: reseal({**m, "walks": [["not-a-hash"]]}), r"walks\[0\]\[0\]"),
        (lambda m: reseal({**m, "metrics": {**m["metrics"], "val_accuracy": {**m["metrics"]["val_accuracy"], "epochs": [1, 2, 3]}}}), "metrics.val_accuracy.epochs"),
        (lambda m: reseal({**m, "fidelities": [1, 2, 3], "metrics": {**m["metrics"], "val_accuracy": {**m["metrics"]["val_accuracy"], "epochs": [1, 2, 3]}}}), "fidelities its arrays hold"),
        (lambda m: reseal({**m, "default_epoch": 7}), "'default_epoch'"),
        (lambda m: reseal({**m, "metrics": "val_accuracy"}), "'metrics'"),
        (lambda m: reseal({**m, "name": "other"}), "'name'"),
    ],
    ids=["walks", "fidelities", "no-checksum", "walk-not-a-hash", "epoch-not-a-fidelity", "fidelity-arrays-lack",
         "default-epoch", "metrics-a-string", "renamed"],
)
def test_a_tampered_manifest_is_refused_in_one_line(built, change, match):
    _, data = built
    rewrite_manifest(store_path(data, "mine"), change)
    with pytest.raises(DataFileError, match=f"mine.store.npz \\(manifest\\): field .*{match}"):
        BenchmarkStore.load(data, "mine")


def test_a_store_claiming_a_fidelity_its_arrays_lack_is_a_clean_error(tmp_path):
    store = BenchmarkStore(
        name="lacking",
        description="",
        hashes=np.array([HASH_A], dtype="U32"),
        fidelities=[1, 2],
        default_epoch=2,
        metrics={"val_accuracy": MetricRecord([1, 2], 1)},
        columns={"val_accuracy@2": np.array([[0.5]])},
    )
    store.save(tmp_path)
    with pytest.raises(DataFileError, match="'metrics.val_accuracy.epochs' must be fidelities its arrays hold, got 1"):
        BenchmarkStore.load(tmp_path, "lacking")


@pytest.mark.parametrize("name", ["../evil", "a/b", ".."])
def test_saving_or_loading_a_store_under_a_path_name_is_refused(tmp_path, name):
    store = BenchmarkStore(
        name=name, description="", hashes=np.array([HASH_A], dtype="U32"), fidelities=[1], default_epoch=1,
        metrics={"params": MetricRecord(None, 1)}, columns={"params": np.array([[1.0]])},
    )
    with pytest.raises(ConfigError, match="cannot be used as a file name"):
        store.save(tmp_path / "data")
    with pytest.raises(ConfigError, match="cannot be used as a file name"):
        BenchmarkStore.load(tmp_path / "data", name)
    assert not list(tmp_path.rglob("*.store.npz"))
