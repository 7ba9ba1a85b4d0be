"""Fault injection on `eo-naslib experiment`: kill -9 of the coordinator at every write step and
at random moments, a second experiment on the same out dir, a full disk (RLIMIT_FSIZE), a
read-only file system or directory, and kill -9 while worker processes run (no orphan may
survive or keep writing).

A driver (`DRIVER`, also used by test_footprint_faults.py) runs the real CLI `main` on a synthetic
benchmark. In `run` mode it is an ordinary `eo-naslib` process. In `batch` mode it prepares one
process (imports, benchmark, neighbour graph) and runs each step in a forked child, so that a step
costs only the command's own work: the child journals every atomic write under the out dir and
SIGKILLs itself at the write a hook names (once its temporary file exists, just before or just
after its rename), or the parent SIGKILLs it after a delay; the parent then copies what the child
left aside and, where a step asks, reruns the command and copies the result. The previous good
result is an experiment with fewer seeds; the new command adds a seed to each configuration.
Kills at successive write steps form a chain: each command starts from what the one before left
(so each is also the rerun after the one before), and a rerun after the last must finish.

Compared: every file of the out dir, byte for byte, except the run files' `runtime_s` (the wall
time of the search; run files are compared as JSON without it) and the empty `.lock` file.
`report.json` names the out dir, which is the same path in every step.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from eo_naslib.io import TMP_PREFIX

REPO = Path(__file__).resolve().parents[1]

DRIVER = r'''
import contextlib, errno, json, os, resource, shutil, signal, sys, tempfile, time, traceback

from eo_naslib.benchmarks import datasets
from eo_naslib.cli import build_parser, main
from eo_naslib.experiments import runner
from eo_naslib.landscape import cli as landscape_cli
from eo_naslib.space import all_cells
from eo_naslib.testing import SyntheticBenchmark

SPACE = all_cells()
BENCHMARK = SyntheticBenchmark(SPACE, seed=0, measured_share=0.5)
datasets._open = lambda name, data_dir, surrogate=True: BENCHMARK
landscape_cli.load_benchmark = lambda name, data_dir=None, surrogate=True: BENCHMARK
if os.environ.get("NO_PDEATHSIG"):  # only to show that the orphan test can fail
    from eo_naslib import processes
    processes.PR_SET_PDEATHSIG = 0  # prctl refuses option 0: no death signal
if os.environ.get("RUNS_STARTED"):  # each run leaves a file in this folder as it starts (spawned workers too)
    from eo_naslib.experiments import runs
    real_run_once = runs.run_once

    def run_once(experiment, configuration, seed):
        open(os.path.join(os.environ["RUNS_STARTED"], f"{os.getpid()}-{seed}"), "w").close()
        return real_run_once(experiment, configuration, seed)

    runs.run_once = run_once


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def install_hook(hook, root, journal_path):
    # Journal the atomic writes under `root` (relative paths); fault where `hook` says: `event` at
    # the write of `target` (or from write `n` on, for read_only; n=0 includes the write probe).
    event, target, n = hook.get("event"), hook.get("target"), hook.get("n", 0)
    journal = open(journal_path, "a", buffering=1)
    count = [0]
    real_mkstemp, real_replace = tempfile.mkstemp, os.replace

    def relative(path):
        path = os.path.abspath(str(path))
        return os.path.relpath(path, root) if path.startswith(root + os.sep) else None

    def mkstemp(*args, **kwargs):
        prefix, directory = str(kwargs.get("prefix", "")), kwargs.get("dir") or ""
        if not prefix.startswith(".tmp-") or relative(os.path.join(str(directory), "x")) is None:
            return real_mkstemp(*args, **kwargs)
        probe = prefix.startswith(".tmp-probe.")
        if event == "read_only" and (n == 0 or (not probe and count[0] + 1 >= n)):
            raise OSError(errno.EROFS, "Read-only file system")
        if probe:
            return real_mkstemp(*args, **kwargs)
        count[0] += 1
        fd, path = real_mkstemp(*args, **kwargs)
        name = relative(os.path.join(str(directory), prefix[len(".tmp-"):-1]))
        journal.write("start " + name + "\n")
        if event == "temp_created" and name == target:
            die()
        return fd, path

    def replace(src, dst, *args, **kwargs):
        name = relative(dst) if os.path.basename(str(src)).startswith(".tmp-") else None
        if name is not None and event == "before_rename" and name == target:
            die()
        real_replace(src, dst, *args, **kwargs)
        if name is not None:
            journal.write("done " + name + "\n")
            if event == "after_rename" and name == target:
                die()
            if event == "pause_after" and name == target:  # hold the lock a while (second writer)
                time.sleep(hook["seconds"])

    tempfile.mkstemp, os.replace = mkstemp, replace
    if event == "lock_held":  # die holding the out dir's lock, before anything is written
        real_lock = runner.lock

        @contextlib.contextmanager
        def lock(*args, **kwargs):
            with real_lock(*args, **kwargs):
                die()
                yield

        runner.lock = lock


def child(argv, hook, root, base, fsize):
    # Run `main(argv)` in this (forked) process, output to base.out/.err; exit with its status.
    rc = 99
    try:
        for fd, path in ((1, base + ".out"), (2, base + ".err")):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        install_hook(hook or {}, root, base + ".journal")
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 2
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)


def fork(argv, hook, root, base, fsize=None):
    pid = os.fork()
    if pid == 0:
        child(argv, hook, root, base, fsize)
    return pid


def status(pid):
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def journal_has(path, line):
    try:
        with open(path) as handle:
            return line in handle.read().splitlines()
    except FileNotFoundError:
        return False


def restore(source, live):
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(source, live)


def cache_encoding():
    # the whole space's long encoding (the same array each time): footprints encode it once each
    real_encode, whole = SPACE.encode, SPACE.encode("long")

    def encode(kind="long", rows=None):
        return whole.copy() if kind == "long" and rows is None else real_encode(kind, rows)

    SPACE.encode = encode


def batch(spec):
    # prev (the previous good result) and ref (the new command, uninterrupted); then each step:
    # from a copy of `from` (default prev) the faulted command (`argv`, default the new one), a
    # copy of what it left (NAME.left), and unless rerun is false a rerun (NAME.rerun).
    work, live = spec["work"], spec["live"]
    root = os.path.abspath(live)
    for warm in spec.get("warm", []):  # what every child would otherwise compute again
        {"graph": lambda: SPACE.neighbour_graph("edit", True), "parser": lambda: build_parser("all"), "encoding": cache_encoding}[warm]()
    results = {}
    shutil.rmtree(live, ignore_errors=True)
    os.makedirs(live)
    for name, argv in (("prev", spec["prev"]), ("ref", spec["new"])):
        if name == "ref":
            restore(os.path.join(work, "prev"), live)
        if argv is not None:
            rc = status(fork(argv, {}, root, os.path.join(work, name)))
            assert rc == 0, open(os.path.join(work, name + ".err")).read()
        shutil.copytree(live, os.path.join(work, name))
    for step in spec["steps"]:
        base = os.path.join(work, step["name"])
        restore(os.path.join(work, step.get("from", "prev")), live)
        began = time.monotonic()
        argv = step.get("argv", spec["new"])
        pid = fork(argv, step.get("hook"), root, base, step.get("fsize"))
        outcome = {}
        if "second_after" in step:  # a second command once the first has written this file
            while not journal_has(base + ".journal", "done " + step["second_after"]):
                time.sleep(0.005)
            outcome["second_rc"] = status(fork(argv, {}, root, base + ".second"))
        if "kill_after" in step:
            time.sleep(step["kill_after"])
            os.kill(pid, signal.SIGKILL)
        outcome["rc"] = status(pid)
        outcome["seconds"] = time.monotonic() - began
        shutil.copytree(live, base + ".left")
        if step.get("rerun", True):
            outcome["rerun_rc"] = status(fork(argv, {}, root, base + ".rerun"))
            shutil.copytree(live, base + ".rerun")
        results[step["name"]] = outcome
    return results


if __name__ == "__main__":
    if sys.argv[1] == "batch":
        with open(sys.argv[2]) as handle:
            spec = json.load(handle)
        results = batch(spec)
        with open(os.path.join(spec["work"], "results.json"), "w") as handle:
            json.dump(results, handle)
    else:  # run: an ordinary eo-naslib process
        sys.exit(main(sys.argv[2:]))
'''

NAME = "small"
CONFIG = {
    "name": NAME,
    "dataset": "cifar10",
    "curve_step": 20,
    "workers": 1,  # the coordinator writes every file itself
    "configurations": {"pls_40": {"epochs": 40, "search": {"n_init": 5}}, "rs_40": {"optimizer": "rs", "epochs": 40}},
    "comparisons": [["pls_40", "rs_40"]],
}
PREV_SEEDS, NEW_SEEDS = 2, 3
#: what the new command writes over the previous result of PREV_SEEDS seeds, in order
WRITES = [
    "runs/pls_40/2.json", "runs/rs_40/2.json", "summary.csv", "final.csv", "mann_whitney.csv",
    "plots/distributions.png", "plots/curves.png", "plots/fronts.png", "report.json",
]
#: kill -9 at every write step, each command started from what the one before left
KILLS = [("lock_held", 0), ("temp_created", 1)] + [("before_rename", k) for k in range(1, len(WRITES) + 1)] + [
    ("after_rename", len(WRITES))
]
RANDOM_DELAYS = [0.4, 1.0, 1.6]  # seconds after the command starts, each from what the one before left
FULL_DISK = {"full_disk_runs": 2000, "full_disk_plots": 20000}  # RLIMIT_FSIZE in bytes (run files ~7 kB, plots ~50 kB)
READ_ONLY = {"read_only_dir": 0, "read_only_plots": 6}  # writes fail from this one on (0: the write probe too)


def kill_name(event: str, k: int) -> str:
    return f"{event}-{k}"


def target(k: int) -> str | None:
    """The out-dir path of write `k` (1-based; 0: none)."""
    return f"{NAME}/{WRITES[k - 1]}" if k else None


def write_driver(directory: Path) -> Path:
    path = directory / "driver.py"
    path.write_text(DRIVER)
    return path


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}


def run_batch(driver: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run a batch spec (see the driver); returns {step name: {rc, rerun_rc, second_rc, seconds}}."""
    spec_path = Path(spec["work"]) / "spec.json"
    spec_path.write_text(json.dumps(spec))
    result = subprocess.run(
        [sys.executable, str(driver), "batch", str(spec_path)], cwd=REPO, env=env(),
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((Path(spec["work"]) / "results.json").read_text())


def parsed(path: Path, name: str | None = None) -> Any:
    """The content of `path` (a file written as `name`, default its own name) for comparisons:
    run files as JSON without `runtime_s`, others as bytes."""
    if path.parent.parent.name == "runs" and (name or path.name).endswith(".json"):
        record = json.loads(path.read_text())
        record.pop("runtime_s")
        return record
    return path.read_bytes()


def contents(directory: Path) -> dict[str, Any]:
    """Every file under `directory` (relative path -> content, see `parsed`), leftovers and the
    empty `.lock` aside."""
    return {
        p.relative_to(directory).as_posix(): parsed(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != ".lock" and not p.name.startswith(TMP_PREFIX)
    }


def leftovers(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob(TMP_PREFIX + "*"))


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def differences(found: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))


def experiment_argv(config: Path, live: Path, seeds: int, *extra: str) -> list[str]:
    return ["-q", "experiment", "--config", str(config), "--out-dir", str(live), "--seeds", str(seeds), "--quiet", *extra]


def chain(names: list[str], steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps that each start from what the one before left; only the last is followed by a rerun."""
    for i, step in enumerate(steps):
        step.update(name=names[i], rerun=i == len(steps) - 1, **({"from": f"{names[i - 1]}.left"} if i else {}))
    return steps


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    return write_driver(tmp_path_factory.mktemp("driver"))


@pytest.fixture(scope="module")
def batch(driver, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """Every fault step of the experiment, run once for the module: (work folder, outcomes)."""
    work = tmp_path_factory.mktemp("experiment_faults")
    config = work / "small.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    steps = chain([kill_name(e, k) for e, k in KILLS], [{"hook": {"event": e, "target": target(k)}} for e, k in KILLS])
    steps += chain([f"random-{d}" for d in RANDOM_DELAYS], [{"kill_after": d} for d in RANDOM_DELAYS])
    steps += [{"name": name, "fsize": limit, "rerun": name != "full_disk_runs"} for name, limit in FULL_DISK.items()]
    steps += [{"name": name, "hook": {"event": "read_only", "n": n}, "rerun": n > 0} for name, n in READ_ONLY.items()]
    steps.append({"name": "second_writer", "hook": {"event": "pause_after", "target": target(1), "seconds": 1}, "second_after": target(1), "rerun": False})
    live = work / "live"
    spec = {
        "work": str(work),
        "live": str(live),
        "warm": ["graph", "parser"],
        "prev": experiment_argv(config, live, PREV_SEEDS),
        "new": experiment_argv(config, live, NEW_SEEDS),
        "steps": steps,
    }
    return work, run_batch(driver, spec)


def state(batch: tuple[Path, dict[str, Any]], folder: str) -> dict[str, Any]:
    return contents(batch[0] / folder / NAME)


def err(batch: tuple[Path, dict[str, Any]], name: str) -> str:
    return (batch[0] / f"{name}.err").read_text()


def journal(batch: tuple[Path, dict[str, Any]], name: str) -> list[str]:
    return (batch[0] / f"{name}.journal").read_text().splitlines()


def check_rerun(batch: tuple[Path, dict[str, Any]], name: str) -> None:
    """The rerun after a fault exits 0 and leaves exactly the uninterrupted result, no leftovers."""
    assert batch[1][name]["rerun_rc"] == 0, err(batch, f"{name}.rerun")
    assert differences(state(batch, f"{name}.rerun"), state(batch, "ref")) == []
    assert leftovers(batch[0] / f"{name}.rerun") == []


def test_the_new_command_writes_the_expected_steps(batch):
    prev, ref = state(batch, "prev"), state(batch, "ref")
    assert journal(batch, "ref") == [f"{kind} {NAME}/{w}" for w in WRITES for kind in ("start", "done")]
    assert differences(ref, prev) == sorted(WRITES)  # every write changes its file: old and new tell apart
    assert set(prev) <= set(ref) and leftovers(batch[0] / "ref") == []


@pytest.mark.parametrize(("event", "k"), KILLS, ids=[kill_name(e, k) for e, k in KILLS])
def test_kill_at_each_write_step_keeps_each_file_old_or_new(batch, event, k):
    name = kill_name(event, k)
    assert batch[1][name]["rc"] == -signal.SIGKILL, err(batch, name)
    prev, ref = state(batch, "prev"), state(batch, "ref")
    written = WRITES[: k if event == "after_rename" else max(k - 1, 0)]
    assert differences(state(batch, f"{name}.left"), {**prev, **{w: ref[w] for w in written}}) == []
    left = leftovers(batch[0] / f"{name}.left" / NAME)  # the one before's were removed under the lock
    if event in ("before_rename", "temp_created"):
        write = Path(WRITES[k - 1])
        assert len(left) == 1 and Path(left[0]).parent == write.parent, left
        assert Path(left[0]).name.startswith(f"{TMP_PREFIX}{write.name}.")
        temp = batch[0] / f"{name}.left" / NAME / left[0]
        if event == "temp_created":
            assert temp.stat().st_size == 0
        else:  # complete before its rename
            assert parsed(temp, write.name) == ref[WRITES[k - 1]]
    else:
        assert left == []
    if k:  # it died at the write it was meant to
        assert journal(batch, name)[-1] == ("done " if event == "after_rename" else "start ") + f"{NAME}/{WRITES[k - 1]}"
    else:
        assert journal(batch, name) == []


def test_rerun_after_the_last_kill_is_identical(batch):
    check_rerun(batch, kill_name(*KILLS[-1]))


@pytest.mark.parametrize("delay", RANDOM_DELAYS)
def test_kill_at_a_random_moment_keeps_each_file_old_or_new(batch, delay):
    name = f"random-{delay}"
    assert batch[1][name]["rc"] in (-signal.SIGKILL, 0), err(batch, name)
    prev, ref, left = state(batch, "prev"), state(batch, "ref"), state(batch, f"{name}.left")
    assert set(left) >= set(prev)
    assert [k for k in left if left[k] not in (prev.get(k), ref.get(k))] == []


def test_random_kills_hit_the_command_at_work_and_a_rerun_finishes(batch):
    killed = [d for d in RANDOM_DELAYS if batch[1][f"random-{d}"]["rc"] == -signal.SIGKILL]
    assert killed, batch[1]
    check_rerun(batch, f"random-{RANDOM_DELAYS[-1]}")


@pytest.mark.parametrize("name", list(FULL_DISK))
def test_full_disk_is_one_line_and_keeps_the_previous_result(batch, name):
    assert batch[1][name]["rc"] == 2
    assert "File too large" in one_line(err(batch, name))
    prev, ref, left = state(batch, "prev"), state(batch, "ref"), state(batch, f"{name}.left")
    assert leftovers(batch[0] / f"{name}.left") == []
    if name == "full_disk_runs":  # the first new run file does not fit: nothing changed (a rerun is ref's run)
        assert differences(left, prev) == []
    else:  # run files and tables fit, the plots do not
        assert differences(left, {**prev, **{w: ref[w] for w in WRITES[:5]}}) == []
        check_rerun(batch, name)


@pytest.mark.parametrize("name", list(READ_ONLY))
def test_read_only_file_system_is_one_line_and_keeps_the_previous_result(batch, name):
    assert batch[1][name]["rc"] == 2
    assert "Read-only file system" in one_line(err(batch, name))
    prev, ref, left = state(batch, "prev"), state(batch, "ref"), state(batch, f"{name}.left")
    n = READ_ONLY[name]
    assert differences(left, {**prev, **{w: ref[w] for w in WRITES[: max(n - 1, 0)]}}) == []
    if n:  # n = 0 left prev as it was: a rerun is ref's run
        check_rerun(batch, name)


def test_second_experiment_on_the_same_out_dir_is_refused_in_one_line(batch):
    outcome = batch[1]["second_writer"]
    assert outcome["rc"] == 0, err(batch, "second_writer")
    assert outcome["second_rc"] == 2
    assert "is in use by another eo-naslib process" in one_line(err(batch, "second_writer.second"))
    assert journal(batch, "second_writer.second") == []  # it wrote nothing
    assert differences(state(batch, "second_writer.left"), state(batch, "ref")) == []
    assert leftovers(batch[0] / "second_writer.left") == []


# ------------------------------------------------------------------------------ real processes
def start(driver: Path, argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(driver), "run", *argv], cwd=REPO, env=env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_concurrent_experiments_one_runs_the_other_says_locked(driver, batch, tmp_path):
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    live = tmp_path / "live"
    processes = [start(driver, experiment_argv(config, live, NEW_SEEDS)) for _ in range(2)]
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in processes]
    codes = sorted(rc for _, _, rc in outcomes)
    assert codes in ([0, 0], [0, 2]), outcomes  # [0, 0]: the second started after the first ended
    for _, stderr, rc in outcomes:
        if rc == 2:
            assert "is in use by another eo-naslib process" in one_line(stderr)
    found, expected = contents(live / NAME), state(batch, "ref")
    expected["report.json"] = expected["report.json"].replace(str(batch[0] / "live").encode(), str(live).encode())
    assert differences(found, expected) == [] and leftovers(live) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions; run the suite as a normal user")
@pytest.mark.parametrize("what", ["out_dir", "experiment_dir"])
def test_read_only_directory_is_one_line(driver, tmp_path, what):
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    live = tmp_path / "live"
    (live / NAME).mkdir(parents=True)
    (live / NAME / "keep.txt").write_text("x")
    folder = live if what == "out_dir" else live / NAME
    folder.chmod(0o555)
    try:
        process = start(driver, experiment_argv(config, live, 1))
        _, stderr = process.communicate(timeout=300)
    finally:
        folder.chmod(0o755)
    assert process.returncode == 2 and one_line(stderr)
    assert sorted(p.name for p in (live / NAME).iterdir()) == ["keep.txt"]


# ------------------------------------------------------------------------------ orphans
def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state first), or None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> dict[int, str]:
    """Every live descendant of `pid`: pid -> start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
                starts[int(entry.name)] = fields[19]
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = starts[child]
            todo.append(child)
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those of `processes` still running (zombies cannot write: they count as gone)."""
    out = []
    for pid, started in processes.items():
        fields = _stat(pid)
        if fields and fields[0] != "Z" and fields[19] == started:
            out.append(pid)
    return out


def mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (the coordinator's names its out dir)."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                fields = _stat(int(entry.name))
                if fields and fields[0] != "Z":
                    out.append(int(entry.name))
        except OSError:
            continue
    return out


def listing(directory: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(directory.rglob("*")) if p.is_file()}


ORPHAN_CONFIG = {
    "name": "orphans",
    "dataset": "cifar10",
    "curve_step": 5,
    "workers": 2,
    "configurations": {"rs_1000": {"optimizer": "rs", "epochs": 1000}},  # a second or more per run
    "comparisons": [],
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and relies on PR_SET_PDEATHSIG (Linux)")
def test_kill_9_of_the_coordinator_leaves_no_worker_alive_or_writing(driver, tmp_path):
    """Workers of a killed `eo-naslib experiment` die within seconds and write nothing more
    (`NO_PDEATHSIG=1` in the environment disables the workers' death signal: then this fails)."""
    config = tmp_path / "orphans.yaml"
    config.write_text(yaml.safe_dump(ORPHAN_CONFIG))
    live, started = tmp_path / "live", tmp_path / "started"
    started.mkdir()
    argv = experiment_argv(config, live, 2, "--workers", "2")
    with open(tmp_path / "coordinator.err", "w") as stderr:  # a file: surviving workers would hold a pipe open
        coordinator = subprocess.Popen([sys.executable, str(driver), "run", *argv], cwd=REPO, env={**env(), "RUNS_STARTED": str(started)},
                                       stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while len(list(started.iterdir())) < 2:  # both workers are inside a run
            assert coordinator.poll() is None and time.monotonic() < deadline, (tmp_path / "coordinator.err").read_text()
            time.sleep(0.02)
        workers = descendants(coordinator.pid)
        assert {int(p.name.split("-")[0]) for p in started.iterdir()} <= set(workers) and mentioning(str(live))
        coordinator.kill()
        coordinator.wait()
        deadline = time.monotonic() + 5
        while (alive(workers) or mentioning(str(live))) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive(workers) == [] and mentioning(str(live)) == [], "workers outlived the coordinator"
    finally:  # never leave an orphan behind, even when the test fails
        for pid in alive(workers):
            os.kill(pid, signal.SIGKILL)
    before = listing(live)
    time.sleep(2)  # nothing may appear or change once they are gone
    assert listing(live) == before
    for path in live.rglob("runs/*/*.json"):  # what was written is complete
        assert json.loads(path.read_text())["seed"] in (0, 1)
    rerun = start(driver, experiment_argv(config, live, 2, "--workers", "1"))  # in its own process: no workers to spawn again
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert sorted(p.name for p in (live / "orphans" / "runs" / "rs_1000").iterdir()) == ["0.json", "1.json"]
    assert mentioning(str(live)) == [] and leftovers(live) == []
