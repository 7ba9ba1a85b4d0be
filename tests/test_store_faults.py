"""Fault injection on the benchmark store: kill -9 at every write step of an import, concurrent
importers and first-use builders, a full disk (RLIMIT_FSIZE), read-only and wrong data dirs.

Each fault runs `eo-naslib data import` (or `load_benchmark`) in a subprocess with a small driver
that patches the step to fault; afterwards the previous good store must be intact or the new one
complete, readers must ignore leftovers, and a rerun must finish with the same data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from eo_naslib.benchmarks.store import BenchmarkStore, installed, store_path
from eo_naslib.io import TMP_PREFIX

REPO = Path(__file__).resolve().parents[1]

DRIVER = r'''
import errno, os, resource, signal, sys, tempfile
step, data_dir, source = sys.argv[1:4]
STORE = "so2sat.store.npz"


def die():
    os.kill(os.getpid(), signal.SIGKILL)


real_mkstemp, real_fsync, real_replace = tempfile.mkstemp, os.fsync, os.replace


def mkstemp(*args, **kwargs):
    if STORE in str(kwargs.get("prefix", "")):  # scipy < 1.14 passes a bytes prefix
        if step == "read_only":
            raise OSError(errno.EROFS, "Read-only file system")
        fd, path = real_mkstemp(*args, **kwargs)
        if step == "temp_created":
            die()
        return fd, path
    return real_mkstemp(*args, **kwargs)


def fsync(fd):
    if step == "before_fsync" and STORE in os.readlink(f"/proc/self/fd/{fd}"):
        die()
    return real_fsync(fd)


def replace(src, dst, *args, **kwargs):
    ours = STORE in os.fspath(dst)
    if ours and step == "before_rename":
        die()
    real_replace(src, dst, *args, **kwargs)
    if ours and step == "after_rename":
        die()


tempfile.mkstemp, os.fsync, os.replace = mkstemp, fsync, replace

import eo_naslib.benchmarks.store as store_module
from eo_naslib.cli import main

if step == "lock_held":
    store_module.remove_leftovers = lambda *args: die()
if step.startswith("fsize="):
    limit = int(step.split("=")[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
if step == "first_use":
    import eo_naslib.benchmarks.install as install_module
    from eo_naslib.benchmarks import load_benchmark

    real_import = install_module.import_path

    def counted_import(path, *args):
        print("BUILT", flush=True)
        return real_import(path, *args)

    install_module.import_path = counted_import
    install_module.complete_with_surrogates = lambda store, **kwargs: store  # tabular only: a quick build
    bench = load_benchmark("so2sat", data_dir)
    print("ANSWER", bench.query(bench.measured_hashes()[0], "val_accuracy"), flush=True)
    sys.exit(0)
sys.exit(main(["data", "import", source, "--data-dir", data_dir, "--no-surrogate"]))
'''

KILL_STEPS = {  # step -> whether the new store is in place when the process dies
    "lock_held": False,
    "temp_created": False,
    "before_fsync": False,
    "before_rename": False,
    "after_rename": True,
}


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("driver") / "driver.py"
    path.write_text(DRIVER)
    return path


@pytest.fixture(scope="module")
def good_store(tmp_path_factory, driver, eo_data) -> Path:
    """A data dir holding a valid tabular so2sat store (the 'previous good store')."""
    directory = tmp_path_factory.mktemp("good")
    result = run(driver, "none", directory, eo_data)
    assert result.returncode == 0, result.stderr
    return directory


def run(driver: Path, step: str, directory: Path, source: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(driver), step, str(directory), str(source)], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )


def start(driver: Path, step: str, directory: Path, source: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(driver), step, str(directory), str(source)], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def copy_of(good_store: Path, tmp_path: Path) -> tuple[Path, str]:
    directory = tmp_path / "data"
    directory.mkdir()
    shutil.copy(store_path(good_store, "so2sat"), store_path(directory, "so2sat"))
    return directory, BenchmarkStore.load(directory, "so2sat").build_id


def assert_valid(directory: Path, reference: Path) -> BenchmarkStore:
    """The store loads (checksums verified) and holds the same data as the reference store."""
    store, expected = BenchmarkStore.load(directory, "so2sat"), BenchmarkStore.load(reference, "so2sat")
    assert installed(directory) == ["so2sat"]
    np.testing.assert_array_equal(store.hashes, expected.hashes)
    for key, column in expected.columns.items():
        np.testing.assert_array_equal(store.columns[key], column)
    return store


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(TMP_PREFIX))


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("step", list(KILL_STEPS))
def test_kill_at_each_write_step_keeps_old_or_new_store(driver, good_store, eo_data, tmp_path, step):
    directory, old_id = copy_of(good_store, tmp_path)
    result = run(driver, step, directory, eo_data)
    assert result.returncode == -9, (result.returncode, result.stderr)
    store = assert_valid(directory, good_store)
    assert (store.build_id != old_id) is KILL_STEPS[step]
    rerun = run(driver, "none", directory, eo_data)
    assert rerun.returncode == 0, rerun.stderr
    assert assert_valid(directory, good_store).build_id not in (old_id, store.build_id)
    assert leftovers(directory) == []


@pytest.mark.parametrize("delay", [0.7, 2.0])
def test_kill_at_a_random_moment_keeps_old_or_new_store(driver, good_store, eo_data, tmp_path, delay):
    directory, _ = copy_of(good_store, tmp_path)
    process = start(driver, "none", directory, eo_data)
    time.sleep(delay)
    process.kill()
    process.communicate()
    assert_valid(directory, good_store)
    assert run(driver, "none", directory, eo_data).returncode == 0
    assert_valid(directory, good_store)
    assert leftovers(directory) == []


@pytest.mark.parametrize("trial", range(2))
def test_two_concurrent_importers_both_end_with_a_valid_store(driver, good_store, eo_data, tmp_path, trial):
    directory = tmp_path / "data"
    processes = [start(driver, "none", directory, eo_data) for _ in range(2)]
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in processes]
    assert [rc for _, _, rc in outcomes] == [0, 0], outcomes
    assert all("installed so2sat" in out for out, _, _ in outcomes)
    assert_valid(directory, good_store)
    assert leftovers(directory) == []


def test_two_processes_on_first_use_build_once_and_both_answer(driver, eo_data, tmp_path):
    directory = tmp_path / "empty"
    processes = [start(driver, "first_use", directory, eo_data) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    stdout = "".join(out for out, _ in outputs)
    assert stdout.count("BUILT") == 1, stdout
    answers = {line for line in stdout.splitlines() if line.startswith("ANSWER")}
    assert len(answers) == 1 and 0 < float(answers.pop().split()[1]) < 1
    assert installed(directory) == ["so2sat"] and leftovers(directory) == []


def test_full_disk_keeps_the_old_store(driver, good_store, eo_data, tmp_path):
    directory, old_id = copy_of(good_store, tmp_path)
    result = run(driver, "fsize=20000", directory, eo_data)
    assert result.returncode == 2
    assert "File too large" in one_line(result.stderr)
    assert assert_valid(directory, good_store).build_id == old_id
    assert leftovers(directory) == []


def test_read_only_file_system_keeps_the_old_store(driver, good_store, eo_data, tmp_path):
    directory, old_id = copy_of(good_store, tmp_path)
    result = run(driver, "read_only", directory, eo_data)
    assert result.returncode == 2 and "Read-only file system" in one_line(result.stderr)
    assert assert_valid(directory, good_store).build_id == old_id


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions; run the suite as a normal user")
def test_read_only_directory_keeps_the_old_store(driver, good_store, eo_data, tmp_path):
    directory, old_id = copy_of(good_store, tmp_path)
    directory.chmod(0o555)
    try:
        result = run(driver, "none", directory, eo_data)
    finally:
        directory.chmod(0o755)
    assert result.returncode == 2 and one_line(result.stderr)
    assert assert_valid(directory, good_store).build_id == old_id


def test_data_dir_that_is_a_file_is_one_line(driver, eo_data, tmp_path):
    path = tmp_path / "a_file"
    path.write_text("x")
    result = run(driver, "none", path, eo_data)
    assert result.returncode == 2 and "is a file" in one_line(result.stderr)
    assert path.read_text() == "x"
