"""Fault injection on the NASLib-style runner (`runner.py --config-file`): kill -9 at every write
step, a torn journal line, a full disk (RLIMIT_FSIZE), a read-only output dir, an old checkpoint.

After each fault, `--resume` must finish with the files of an uninterrupted run (errors.json but
its runtimes, trajectory.json, final_architecture.json, pareto_front.json, search_result.json,
the journal but its runtimes) and leave no temporary file behind.

The kill sweep runs one driver process that loads the benchmark once and runs each search in a
forked child: a reference run counts the write steps (atomic writes and journal appends); then,
for every step k, one child SIGKILLs itself in the middle of step k (after the temporary file is
written, before its rename; or after half of a journal line) and another right after step k, and
each killed run is resumed in a fresh child. The state "before step k" is the state "after step
k - 1" (and before step 1 only the run directory exists), so this covers every point. The driver
makes fsync a no-op (a killed process loses nothing the kernel holds; fsync guards against power
loss, which no test here simulates) and runs two kill/resume pairs at a time, for speed.
`python scripts/runner.py` itself is killed at a random moment in one test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from eo_naslib import DataFileError
from eo_naslib.io import TMP_PREFIX, append_bytes, atomic_write_json, fingerprint, lock
from eo_naslib.naslib_compat import (
    DiscreteOptimizer,
    NasBench101SearchSpace,
    Trainer,
    get_dataset_api,
    run,
    validate,
)
from eo_naslib.naslib_compat.config import save_dir
from eo_naslib.schema import is_sealed, seal
from eo_naslib.naslib_compat.runner import main as runner_main

REPO = Path(__file__).resolve().parents[1]
#: optimizer -> its search keys, small budgets: 12 epochs, a checkpoint every 3
OPTIMIZERS = {
    "rs": {},
    "re": {"population_size": 4, "sample_size": 2},
    "ls": {"num_init": 3},
    "pls": {"n_init": 3},
    "ae": {"pop_size": 4, "sample_size": 2},
    "nsga2": {"pop_size": 4},
}
EPOCHS, CHECKPOINT_FREQ = 12, 3

DRIVER = r'''
"""Runs searches in forked children of one process that loaded the benchmark once."""
import contextlib, io, json, os, resource, signal, sys, traceback
from pathlib import Path

import eo_naslib.io as io_module
from eo_naslib.naslib_compat import get_dataset_api, runner

REAL = {"atomic_write_bytes": io_module.atomic_write_bytes, "append_bytes": io_module.append_bytes}
ARMED = {"mode": "count", "k": 0, "when": "", "steps": []}
WORKERS = min(2, os.cpu_count() or 1)
os.fsync = lambda fd: None  # a killed process loses no page cache: fsync only guards against power loss


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def stepped(name):
    real = REAL[name]

    def step(path, data):
        ARMED["steps"].append(f"{name} {Path(path).name}")
        hit = ARMED["mode"] == "kill" and len(ARMED["steps"]) == ARMED["k"]
        if hit and ARMED["when"] == "mid":
            if name == "append_bytes":  # half a journal line reaches the disk
                with open(path, "ab") as handle:
                    handle.write(data[: len(data) // 2])
                die()
            os.replace = lambda *args, **kwargs: die()  # the temporary file is written, never renamed
        result = real(path, data)
        if hit and ARMED["when"] == "after":
            die()
        return result

    return step


for _name in REAL:  # every module that imported the writers by name
    for _module in list(sys.modules.values()):
        if getattr(_module, "__name__", "").startswith("eo_naslib") and getattr(_module, _name, None) is REAL[_name]:
            setattr(_module, _name, stepped(_name))


def in_child(argv, log, fsize=None, **armed):
    """Run the runner in a forked child (stdout dropped, stderr to `log`); its exit code or -signal."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with open(os.devnull, "w") as null, open(log, "w") as err:
                os.dup2(null.fileno(), 1)
                os.dup2(err.fileno(), 2)
            ARMED.update(steps=[], **armed)
            if fsize is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            code = runner.main(argv)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def job(argv, resume, out, k, when):
    """Kill a run at step k, resume it; the outcome goes to `{out}.json`."""
    killed = in_child(argv + ["out_dir", out], f"{out}.killed.log", mode="kill", k=k, when=when)
    resumed = in_child(resume + ["out_dir", out], f"{out}.resumed.log", mode="count")
    with open(f"{out}.json", "w") as handle:
        json.dump({"killed": killed, "resumed": resumed}, handle)


def sweep(config, root, name, overrides):
    """Reference run (counting the write steps), then kill at each step and resume, WORKERS jobs at once."""
    argv = ["--config-file", config, "--quiet", "optimizer", name, *overrides]
    resume = ["--config-file", config, "--quiet", "--resume", "optimizer", name, *overrides]
    reference = f"{root}/{name}/reference"
    ARMED.update(mode="count", steps=[])
    with contextlib.redirect_stdout(io.StringIO()):
        assert runner.main(argv + ["out_dir", reference]) == 0
    steps = list(ARMED["steps"])
    cases = [{"k": k, "when": when, "step": steps[k - 1], "out": f"{root}/{name}/{when}_{k}"}
             for k in range(1, len(steps) + 1) for when in ("mid", "after")]
    running = set()
    for case in cases:
        if len(running) >= WORKERS:
            running.discard(os.wait()[0])
        pid = os.fork()
        if pid == 0:
            try:
                job(argv, resume, case["out"], case["k"], case["when"])
            finally:
                os._exit(0)
        running.add(pid)
    while running:
        running.discard(os.wait()[0])
    for case in cases:
        with open(case["out"] + ".json") as handle:
            case.update(json.load(handle))
    return {"reference": reference, "steps": steps, "cases": cases}


plan = json.loads(sys.argv[1])
get_dataset_api("nasbench101", "cifar10", plan["data_dir"])  # loaded once, shared by the children
if plan["mode"] == "sweep":
    print(json.dumps({name: sweep(plan["config"], plan["root"], name, overrides) for name, overrides in plan["runs"].items()}))
else:
    print(json.dumps({"code": in_child(plan["argv"], plan["log"], fsize=plan.get("fsize"), mode="count")}))
'''


# ------------------------------------------------------------------------------------------ helpers
def write_config(path: Path, data_dir: Path, out_dir: Path, optimizer: str = "re", epochs: int = EPOCHS) -> Path:
    """A runner config file for `optimizer` (with its OPTIMIZERS keys) on cifar10."""
    config = {
        "seed": 0, "search_space": "nasbench101", "dataset": "cifar10", "optimizer": optimizer,
        "out_dir": str(out_dir), "data_dir": str(data_dir),
        "search": {"epochs": epochs, "checkpoint_freq": CHECKPOINT_FREQ, **OPTIMIZERS[optimizer]},
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


def run_dir(out_dir: str | Path, optimizer: str) -> Path:
    return Path(out_dir) / "nasbench101" / "cifar10" / optimizer / "0"


def journal_lines(directory: Path) -> list[dict[str, Any]]:
    """The journal's lines, each complete (newline-terminated), sealed and parsed; runtimes and the
    checksums (which cover the runtimes) dropped."""
    data = (directory / "search" / "journal.jsonl").read_bytes()
    assert data.endswith(b"\n"), "the journal ends in a torn line"
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert all(is_sealed(line) for line in lines)
    for line in lines:
        line.pop("checksum")
    for line in lines[1:]:
        line["trajectory"].pop("runtime")
    return lines


def outcome(directory: Path, journal: bool = True) -> dict[str, Any]:
    """What must not depend on faults: the result files (runtimes and where the run lives dropped),
    and the journal's lines unless `journal` is False."""
    config, errors = json.loads((directory / "errors.json").read_text())
    config.pop("out_dir")
    errors.pop("runtime")
    result = json.loads((directory / "search_result.json").read_text())
    result.pop("runtime_s")
    files = {
        "errors": [config, errors],
        "trajectory": json.loads((directory / "trajectory.json").read_text()),
        "final": json.loads((directory / "final_architecture.json").read_text()),
        "result": result,
    }
    if journal:
        files["journal"] = journal_lines(directory)
    if (directory / "pareto_front.json").exists():
        files["front"] = json.loads((directory / "pareto_front.json").read_text())
    return files


def leftovers(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob(TMP_PREFIX + "*"))


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def drive(driver: Path, plan: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [*prefix, sys.executable, str(driver), json.dumps(plan)], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def once(driver: Path, data_dir: Path, tmp_path: Path, argv: list[str], fsize: int | None = None, prefix: tuple[str, ...] = ()) -> tuple[int, str]:
    """One runner invocation in a driver child: (exit code, stderr)."""
    log = tmp_path / f"once_{time.monotonic_ns()}.log"
    code = drive(driver, {"mode": "once", "data_dir": str(data_dir), "argv": argv, "log": str(log), "fsize": fsize}, prefix)["code"]
    return code, log.read_text()


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("runner_driver") / "driver.py"
    path.write_text(DRIVER)
    return path


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory, data_dir) -> dict[str, Path]:
    """An uninterrupted run of each optimizer, in-process: optimizer -> its run directory."""
    root = tmp_path_factory.mktemp("reference")
    runs = {}
    for name in OPTIMIZERS:
        config = yaml.safe_load(write_config(root / f"{name}.yaml", data_dir, root / "out", name).read_text())
        runs[name] = Path(run(config, progress=False)["save_dir"])
    return runs


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, driver, data_dir) -> dict[str, Any]:
    """The kill sweep of every optimizer (see the module docstring): optimizer -> its outcomes."""
    root = tmp_path_factory.mktemp("sweep")
    config = write_config(root / "config.yaml", data_dir, root, "rs")
    runs = {name: [a for key, value in keys.items() for a in (f"search.{key}", str(value))] for name, keys in OPTIMIZERS.items()}
    return drive(driver, {"mode": "sweep", "data_dir": str(data_dir), "config": str(config), "root": str(root), "runs": runs})


def config_for(tmp_path: Path, data_dir: Path, optimizer: str = "re", epochs: int = EPOCHS) -> tuple[dict[str, Any], Path, Path]:
    """(config, its file, the run directory) of a run under tmp_path/out."""
    path = write_config(tmp_path / f"{optimizer}_{epochs}.yaml", data_dir, tmp_path / "out", optimizer, epochs)
    config = yaml.safe_load(path.read_text())
    return config, path, run_dir(tmp_path / "out", optimizer)


# ------------------------------------------------------------------------------------------ kill -9
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_kill_at_every_write_step_then_resume_ends_with_the_same_files(sweep, name):
    plan = sweep[name]
    steps = plan["steps"]
    assert steps[0] == "atomic_write_bytes journal.jsonl"  # the header, before any epoch
    assert steps.count("append_bytes journal.jsonl") == EPOCHS // CHECKPOINT_FREQ
    summaries = ["trajectory.json"] + (["pareto_front.json"] if name in ("pls", "nsga2") else [])
    assert all(steps.count(f"atomic_write_bytes {f}") == 3 for f in summaries)  # after 3, 6, 12 epochs: doubling
    assert steps.count("atomic_write_bytes errors.json") == 4  # and once more with the search's uncertainty account
    assert {"atomic_write_bytes final_architecture.json", "atomic_write_bytes search_result.json", "atomic_write_bytes front.png"} <= set(steps)
    reference = outcome(run_dir(plan["reference"], name))
    assert len(plan["cases"]) == 2 * len(steps)
    for case in plan["cases"]:
        where = f"{name} killed {case['when']} step {case['k']} ({case['step']})"
        assert case["killed"] == -signal.SIGKILL, (where, Path(case["out"] + ".killed.log").read_text())
        assert case["resumed"] == 0, (where, Path(case["out"] + ".resumed.log").read_text())
        directory = run_dir(case["out"], name)
        assert outcome(directory) == reference, where
        assert leftovers(directory) == [], where


def test_sigkill_of_the_real_command_at_a_random_moment(tmp_path, data_dir):
    """`python scripts/runner.py` killed while it checkpoints, then resumed with `--resume`."""
    config, path, directory = config_for(tmp_path, data_dir, "re", epochs=900)
    reference = Path(run({**config, "out_dir": str(tmp_path / "reference")}, progress=False)["save_dir"])
    command = [sys.executable, str(REPO / "scripts" / "runner.py"), "--config-file", str(path), "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    journal = directory / "search" / "journal.jsonl"
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 40:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, process.stderr.read().decode()
    assert 40 <= journal.read_bytes().count(b"\n") < 1 + 900 // CHECKPOINT_FREQ  # killed mid-run
    resumed = subprocess.run([*command, "--resume"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.split("\n", 1)[1])["resumed"]  # after the headline line
    assert outcome(directory) == outcome(reference)
    assert leftovers(directory) == []


# ------------------------------------------------------------------------------------------ the journal
def test_a_torn_last_journal_line_is_ignored_and_cut_off(tmp_path, data_dir, reference_runs):
    config, _, directory = config_for(tmp_path, data_dir, "re")
    shutil.copytree(reference_runs["re"], directory)
    journal = directory / "search" / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # half the last line
    summary = run(config, resume=True, progress=False)
    assert summary["resumed"]
    assert outcome(directory) == outcome(reference_runs["re"])  # every journal line complete again
    assert "Resumed after epoch 8" in (directory / "log.log").read_text()  # the torn line (epochs 9-11) was ignored


def edit_line(number: int, change, sealed: bool = False):
    """Damage: journal line `number` (0-based) parsed, changed, written back (re-sealed if `sealed`)."""

    def damage(lines: list[bytes]) -> list[bytes]:
        line = change(json.loads(lines[number]))
        return lines[:number] + [json.dumps(seal(line) if sealed else line).encode() + b"\n"] + lines[number + 1 :]

    return damage


def set_value(value):
    def change(line):
        line["values"][0][0] = value
        return line

    return change


def set_trajectory(key, value):
    def change(line):
        line["trajectory"][key][0] = value
        return line

    return change


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (edit_line(2, set_value(0.999)), "damaged at line 3 (its checksum does not match its content: edited or corrupt)"),
        (edit_line(2, set_value(None)), "damaged at line 3 (its checksum does not match its content: edited or corrupt)"),
        (edit_line(2, set_value("x")), "damaged at line 3 (a hash is not text or values not a list of numbers)"),
        (edit_line(2, set_value("x"), sealed=True), "damaged at line 3 (a hash is not text or values not a list of numbers)"),
        (edit_line(2, set_value(True), sealed=True), "damaged at line 3 (a hash is not text or values not a list of numbers)"),
        (edit_line(2, set_value(1e999), sealed=True), "damaged at line 3 (a hash is not text or values not a list of numbers)"),
        (edit_line(2, set_trajectory("valid_acc", 0.999)), "damaged at line 3 (its checksum does not match"),
        (edit_line(2, set_trajectory("valid_acc", "x"), sealed=True), "damaged at line 3 (trajectory lacks 3 values of the right type"),
        (edit_line(2, set_trajectory("arch_hash", 5), sealed=True), "damaged at line 3 (trajectory lacks 3 values of the right type"),
        (edit_line(0, lambda head: {**head, "config": {**head["config"], "seed": 1}}), "damaged at line 1 (its checksum does not match"),
        (lambda lines: lines[:2] + [b'{"epochs": [3, "x"]}\n'] + lines[3:], "damaged at line 3 (no [first, last] epochs)"),
        (lambda lines: lines[:2] + lines[3:], "damaged at line 3 (epochs 6..8 do not follow epoch 2)"),
        (lambda lines: lines[:2] + [b"{not json\n"] + lines[3:], "damaged at line 3 (not JSON)"),
        (lambda lines: [b"[1, 2]\n"] + lines[1:], "damaged at line 1 (no journal header)"),
        (lambda lines: [lines[1].replace(b'"evaluations":0', b'"evaluations":1')] + lines[1:], "damaged at line 1"),
        (lambda lines: lines[:1] + [lines[1].replace(b'"evaluations":0', b'"evaluations":1')] + lines[2:], "it follows evaluation 1, not 0"),
    ],
)
def test_a_damaged_journal_is_one_line_naming_the_line(tmp_path, data_dir, reference_runs, capsys, damage, message):
    _, path, directory = config_for(tmp_path, data_dir, "re")
    shutil.copytree(reference_runs["re"], directory)
    journal = directory / "search" / "journal.jsonl"
    journal.write_bytes(b"".join(damage(journal.read_bytes().splitlines(keepends=True))))
    before = journal.read_bytes()
    assert runner_main(["--config-file", str(path), "--quiet", "--resume"]) == 2
    line = one_line(capsys.readouterr().err)
    assert message in line and "run without --resume" in line, line
    assert journal.read_bytes() == before


def test_a_replay_that_diverges_from_the_journal_names_the_epoch(tmp_path, data_dir, reference_runs, capsys):
    """A journal whose cells this code would not choose (another version, a hand edit) is refused."""
    _, path, directory = config_for(tmp_path, data_dir, "re")
    shutil.copytree(reference_runs["re"], directory)
    journal = directory / "search" / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[2])  # epochs 3..5: re evaluates one new cell per epoch
    entry["hashes"][1] = entry["hashes"][0]
    entry = seal(entry)  # as another eo-naslib version would have written it
    journal.write_bytes(b"".join(lines[:2] + [json.dumps(entry).encode() + b"\n"] + lines[3:]))
    assert runner_main(["--config-file", str(path), "--quiet", "--resume"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "replaying epoch 4, evaluation 4 is cell" in line and f"where the record has {entry['hashes'][0]}" in line, line


def test_a_changed_config_is_refused_naming_the_keys(tmp_path, data_dir, reference_runs, capsys):
    _, path, directory = config_for(tmp_path, data_dir, "re")
    shutil.copytree(reference_runs["re"], directory)
    argv = ["--config-file", str(path), "--quiet", "--resume", "search.sample_size", "3", "search.epochs", "12"]
    assert runner_main(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert "the config changed since its checkpoint (search.sample_size)" in line, line


def test_an_old_full_state_checkpoint_is_migrated_to_a_journal(tmp_path, data_dir, reference_runs):
    """search/checkpoint.json as eo-naslib wrote it before the journal: resumed, then a journal."""
    config, _, directory = config_for(tmp_path, data_dir, "re")
    config = validate(config)
    optimizer = DiscreteOptimizer(config["optimizer"], config["dataset"], config["search"], config["seed"])
    optimizer.adapt_search_space(NasBench101SearchSpace(), dataset_api=get_dataset_api("nasbench101", "cifar10", str(data_dir)))
    trainer = Trainer(optimizer, config, save_dir(config))

    def stop(epoch: int) -> None:
        if epoch == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer.search(after_epoch=stop)
    resumable = {k: v for k, v in config.items() if k not in ("out_dir", "data_dir")}
    old = {"epoch": 7, "config": resumable, "fingerprint": fingerprint(resumable), "trajectory": trainer.search_trajectory,
           **optimizer.get_checkpointables()}  # fmt: skip
    atomic_write_json(directory / "search" / "checkpoint.json", old)
    (directory / "search" / "journal.jsonl").unlink()
    assert run(config, resume=True, progress=False)["resumed"]
    assert outcome(directory, journal=False) == outcome(reference_runs["re"], journal=False)
    assert "Resumed after epoch 7" in (directory / "log.log").read_text()
    lines = journal_lines(directory)  # epochs 0-7 in the migrated line, then the journal's own lines
    assert [line["epochs"] for line in lines[1:]] == [[0, 7], [8, 8], [9, 11]]
    assert sum(len(line["hashes"]) for line in lines[1:]) == EPOCHS


def test_a_second_process_on_the_same_run_is_refused(tmp_path, data_dir, reference_runs, capsys):
    _, path, directory = config_for(tmp_path, data_dir, "re")
    shutil.copytree(reference_runs["re"], directory)
    with lock(directory / "search", timeout=0):  # another runner holds the run
        assert runner_main(["--config-file", str(path), "--quiet", "--resume"]) == 2
    assert "in use by another eo-naslib process" in one_line(capsys.readouterr().err)
    assert outcome(directory) == outcome(reference_runs["re"])


def test_append_bytes_refuses_a_directory_in_one_line(tmp_path):
    with pytest.raises(DataFileError, match="cannot append to .*; choose a writable location"):
        append_bytes(tmp_path, b"x\n")
    assert append_bytes(tmp_path / "j", b"a\n") == append_bytes(tmp_path / "j", b"b\n")
    assert (tmp_path / "j").read_bytes() == b"a\nb\n"


# ------------------------------------------------------------------------------------------ disk faults
def test_a_full_disk_is_one_line_and_the_run_resumes(tmp_path, data_dir, driver):
    """RLIMIT_FSIZE in the child: a write fails past 24 kB; the journal must stay whole."""
    config, path, directory = config_for(tmp_path, data_dir, "re", epochs=300)
    reference = Path(run({**config, "out_dir": str(tmp_path / "reference")}, progress=False)["save_dir"])
    code, stderr = once(driver, data_dir, tmp_path, ["--config-file", str(path), "--quiet"], fsize=24_000)
    assert code == 2
    line = one_line(stderr)
    assert "File too large" in line and "free space" in line, line
    lines = journal_lines(directory)  # every line complete: the failed append was cut back off
    assert 1 < len(lines) < 1 + 300 // CHECKPOINT_FREQ
    assert all(json.loads(p.read_text()) for p in directory.glob("*.json"))  # the summaries are whole
    assert leftovers(directory) == []
    assert run(config, resume=True, progress=False)["resumed"]
    assert outcome(directory) == outcome(reference)


def _setpriv() -> tuple[str, ...]:
    """A prefix that takes root's power to ignore permissions away (empty when not root)."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores directory permissions and setpriv (util-linux) is absent; run as a normal user")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all")


def test_a_read_only_output_dir_is_one_line(tmp_path, data_dir, driver):
    _, path, _ = config_for(tmp_path, data_dir, "re")
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        code, stderr = once(driver, data_dir, tmp_path, ["--config-file", str(path), "--quiet"], prefix=_setpriv())
    finally:
        out.chmod(0o755)
    assert code == 2
    line = one_line(stderr)
    assert str(out) in line and "Permission denied" in line and "choose a writable location" in line, line
    assert list(out.iterdir()) == []


def test_resuming_in_a_read_only_run_dir_is_one_line_and_changes_nothing(tmp_path, data_dir, driver, reference_runs):
    _, path, directory = config_for(tmp_path, data_dir, "re")
    shutil.copytree(reference_runs["re"], directory)
    before = {p: p.read_bytes() for p in directory.rglob("*") if p.is_file()}
    folders = [directory, directory / "search"]
    for folder in folders:
        folder.chmod(0o555)
    try:
        code, stderr = once(driver, data_dir, tmp_path, ["--config-file", str(path), "--quiet", "--resume"], prefix=_setpriv())
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert code == 2 and "choose a writable location" in one_line(stderr)
    assert {p: p.read_bytes() for p in directory.rglob("*") if p.is_file()} == before


# ------------------------------------------------------------------------------------------ the budget
MEASURED_CELLS = 450  # the So2Sat micro cells with a measured validation accuracy


def so2sat_config(tmp_path: Path, data_dir: Path, epochs: int, **search: Any) -> dict[str, Any]:
    """configs/so2sat_micro_rs.yaml (rs on So2Sat micro) with `epochs` and `search` keys, under tmp_path/out."""
    config = yaml.safe_load((REPO / "configs" / "so2sat_micro_rs.yaml").read_text())
    config["search"].update(epochs=epochs, **search)
    return {**config, "out_dir": str(tmp_path / "out"), "data_dir": str(data_dir)}


def trainer_for(config: dict[str, Any]) -> Trainer:
    config = validate(config)
    optimizer = DiscreteOptimizer(config["optimizer"], config["dataset"], config["search"], config["seed"])
    optimizer.adapt_search_space(NasBench101SearchSpace(), dataset_api=get_dataset_api(config["search_space"], config["dataset"], config["data_dir"]))
    return Trainer(optimizer, config, save_dir(config))


@pytest.mark.parametrize("epochs", [1_000_000, 10**9])
def test_the_runner_ends_when_the_budget_is_spent_whatever_its_epochs(tmp_path, data_dir, epochs):
    """measured_only answers 450 cells: the run ends after 450 epochs and says so in one line (it
    looped over every epoch before: 170 s and 475 MB for 1,000,000; about 29 days for 10^9)."""
    overrides = ["search.epochs", str(epochs), "search.measured_only", "true", "out_dir", str(tmp_path / "out"), "data_dir", str(data_dir)]
    command = [sys.executable, str(REPO / "scripts" / "runner.py"), "--config-file", str(REPO / "configs" / "so2sat_micro_rs.yaml"), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([*command, *overrides], cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    spent = [line for line in result.stderr.splitlines() if line.startswith("Budget spent")]
    assert spent == [
        f"Budget spent after {MEASURED_CELLS} epochs: the search domain of {MEASURED_CELLS} cells has no cell left "
        f"to evaluate, so the run ends here (search.epochs {epochs} asked for more)"
    ], result.stderr
    assert "Traceback" not in result.stderr
    directory = Path(json.loads(result.stdout.split("\n", 1)[1])["save_dir"])
    _, errors = json.loads((directory / "errors.json").read_text())
    trajectory = json.loads((directory / "trajectory.json").read_text())
    assert len(errors["valid_acc"]) == len({cell["hash"] for cell in trajectory}) == MEASURED_CELLS
    assert journal_lines(directory)[-1]["epochs"][1] == MEASURED_CELLS - 1
    assert sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) < 2_000_000
    again = subprocess.run([*command, "--resume", *overrides], cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert again.returncode == 0 and json.loads(again.stdout.split("\n", 1)[1])["evaluations"] == MEASURED_CELLS, again.stderr[-3000:]


def test_a_capped_run_interrupted_and_resumed_ends_like_an_uninterrupted_one(tmp_path, data_dir):
    """The journal of a run that search.epochs would have taken past its budget: the last
    checkpoint is the budget's last epoch (449, not a multiple of checkpoint_freq 7)."""
    config = so2sat_config(tmp_path, data_dir, 1_000_000, measured_only=True, checkpoint_freq=7)
    trainer = trainer_for(config)
    assert trainer.epochs == MEASURED_CELLS

    def stop(epoch: int) -> None:
        assert epoch < MEASURED_CELLS, "an epoch after the budget was spent"
        if epoch == 300:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer.search(after_epoch=stop)
    directory = trainer.save_dir
    assert journal_lines(directory)[-1]["epochs"] == [294, 300]
    assert run(config, resume=True, progress=False)["resumed"]
    reference = Path(run({**config, "out_dir": str(tmp_path / "reference")}, progress=False)["save_dir"])
    assert outcome(directory) == outcome(reference)  # the journals too
    assert journal_lines(directory)[-1]["epochs"] == [448, MEASURED_CELLS - 1]


def test_a_search_over_the_whole_space_has_as_many_epochs_as_cells(tmp_path, data_dir, space):
    """search.epochs 10^9 on so2sat_micro_rs.yaml: 423,624 epochs, one per cell (not 10^9)."""
    trainer = trainer_for(so2sat_config(tmp_path, data_dir, 10**9))
    assert trainer.epochs == len(space) == 423_624
    assert trainer.requested_epochs == 10**9


# ------------------------------------------------------------------------------------------ the log on a full disk
def test_a_log_that_cannot_grow_ends_the_run_in_one_line_and_it_resumes(tmp_path, data_dir, driver, reference_runs):
    """log.log at the file-size limit: Python's logging printed a 'Logging error' traceback for every
    line and the run went on; now the first failed line ends the run in the disk-full line."""
    config, path, directory = config_for(tmp_path, data_dir, "re")
    limit = 400_000  # far above every other file of this run
    directory.mkdir(parents=True)
    (directory / "log.log").write_bytes(b"x" * (limit - 10) + b"\n")  # an old run's lines fill it
    code, stderr = once(driver, data_dir, tmp_path, ["--config-file", str(path), "--quiet"], fsize=limit)
    assert code == 2
    line = one_line(stderr)
    assert f"cannot write {directory / 'log.log'}: File too large; free space or fix permissions" in line, line
    assert len(journal_lines(directory)) < 1 + EPOCHS // CHECKPOINT_FREQ  # ended early, every journal line whole
    assert leftovers(directory) == []
    (directory / "log.log").write_bytes(b"")  # space freed
    assert run(config, resume=True, progress=False)["resumed"]
    assert outcome(directory) == outcome(reference_runs["re"])


@pytest.fixture()
def small_filesystem(tmp_path):
    """A 150 KB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", str(mount)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {(mounted.stderr or mounted.stdout).strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the filesystem of `folder` with a file, then free `leave` bytes of it (whole pages)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # full
    os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    os.close(fd)


def test_a_run_on_a_full_150_kb_filesystem_ends_in_one_line(tmp_path, data_dir, driver, small_filesystem):
    """The out dir on a 150 KB filesystem with one page left (for the journal's header): the log's
    next line has no room. Python's logging printed a traceback for that line and each one after it,
    then `[Errno 28]` came from the next summary file."""
    _, path, _ = config_for(tmp_path, data_dir, "re", epochs=900)
    directory = run_dir(small_filesystem, "re")
    (directory / "search").mkdir(parents=True)
    (directory / "log.log").write_bytes(b"x" * 4095 + b"\n")  # an old run's lines: one whole page
    fill(small_filesystem, leave=4096)
    code, stderr = once(driver, data_dir, tmp_path, ["--config-file", str(path), "--quiet", "out_dir", str(small_filesystem)])
    assert code == 2
    line = one_line(stderr)
    assert f"cannot write {directory / 'log.log'}: No space left on device; free space or fix permissions" in line, line
    assert len(journal_lines(directory)) == 1  # the header, whole
    assert leftovers(directory) == []
