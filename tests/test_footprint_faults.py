"""Fault injection on `eo-naslib footprint` and `footprint compare`: kill -9 at every write step
and at another moment, a full disk (RLIMIT_FSIZE), a read-only file system or directory, and a
second footprint on the same out dir (refused in one line: the out dir is locked for the run).

The previous good result is a footprint of another metric in the same out dir. After each fault
every file must be the old one or the new one, complete (never 0-byte or truncated); the next
command removes the temporary files a killed one left; a rerun writes exactly the uninterrupted
result. Uses the driver of test_experiment_faults.py (forked steps of one prepared process, on the
synthetic benchmark, kills at successive write steps chained the same way); every file is
compared byte for byte (the empty `.lock` file aside).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eo_naslib.io import TMP_PREFIX

from .test_experiment_faults import (
    REPO,
    chain,
    contents,
    differences,
    env,
    leftovers,
    one_line,
    run_batch,
    write_driver,
)

SETTINGS = ["--walks", "3", "--steps", "10", "--trials", "2", "--runs", "10", "--proxy-samples", "20"]
#: what `footprint` writes, in order
WRITES = ["footprint.json", "fdc.png", "walks.png", "densities.png", "radar.png"]
#: kill -9 at every write step, each command started from what the one before left, then a kill
#: at a moment in the writes (RANDOM_DELAY seconds after the start) and a rerun
KILLS = [("temp_created", 1)] + [("before_rename", k) for k in range(1, len(WRITES) + 1)]
RANDOM_DELAY = 2.5
FULL_DISK = 100_000  # RLIMIT_FSIZE in bytes: footprint.json is ~150 kB, so nothing fits
READ_ONLY = {"read_only_dir": 0, "read_only_plots": 2}  # writes fail from this one on (0: the write probe too)


PICTURE = "pictures/radar.png"  # `footprint compare --out`, under the out dir of the steps


def footprint_argv(live: Path, metric: str, seed: int = 0) -> list[str]:
    return ["-q", "footprint", "--benchmark", "synthetic", "--metric", metric, "--seed", str(seed), *SETTINGS, "--out", str(live), "--quiet"]


def compare_argv(work: Path, live: Path, *records: str) -> list[str]:
    return ["-q", "footprint", "compare", *(str(work / r / "footprint.json") for r in records), "--out", str(live / PICTURE)]


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    return write_driver(tmp_path_factory.mktemp("driver"))


@pytest.fixture(scope="module")
def batch(driver, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """Every fault step of `footprint`, run once for the module: (work folder, outcomes)."""
    work = tmp_path_factory.mktemp("footprint_faults")
    live = work / "live"
    steps = chain(
        [f"{e}-{k}" for e, k in KILLS] + ["random"],
        [{"hook": {"event": e, "target": WRITES[k - 1]}} for e, k in KILLS] + [{"kill_after": RANDOM_DELAY}],
    )
    steps.append({"name": "full_disk", "fsize": FULL_DISK, "rerun": False})
    steps += [{"name": name, "hook": {"event": "read_only", "n": n}, "rerun": n > 0} for name, n in READ_ONLY.items()]
    steps.append({"name": "second_writer", "hook": {"event": "pause_after", "target": WRITES[0], "seconds": 1}, "second_after": WRITES[0], "rerun": False})
    old, new = compare_argv(work, live, "prev"), compare_argv(work, live, "prev", "ref")
    steps += [
        {"name": "compare_old", "argv": old, "rerun": False},  # a picture made before, then the new one:
        {"name": "compare_ref", "argv": new, "from": "compare_old.left", "rerun": False},  # uninterrupted
        {"name": "compare_kill", "argv": new, "from": "compare_old.left", "hook": {"event": "before_rename", "target": PICTURE}},
        {"name": "compare_full_disk", "argv": new, "from": "compare_old.left", "fsize": 20_000, "rerun": False},
    ]
    spec = {
        "work": str(work),
        "live": str(live),
        "warm": ["graph", "parser", "encoding"],
        "prev": footprint_argv(live, "train_time_s"),
        "new": footprint_argv(live, "val_accuracy"),
        "steps": steps,
    }
    return work, run_batch(driver, spec)


def state(batch: tuple[Path, dict[str, Any]], folder: str) -> dict[str, Any]:
    return contents(batch[0] / folder)


def err(batch: tuple[Path, dict[str, Any]], name: str) -> str:
    return (batch[0] / f"{name}.err").read_text()


def check_rerun(batch: tuple[Path, dict[str, Any]], name: str) -> None:
    """The rerun after a fault exits 0 and writes exactly the uninterrupted result, no leftovers."""
    assert batch[1][name]["rerun_rc"] == 0, err(batch, f"{name}.rerun")
    assert differences(state(batch, f"{name}.rerun"), state(batch, "ref")) == []
    assert leftovers(batch[0] / f"{name}.rerun") == []


def test_footprint_writes_the_expected_steps(batch):
    prev, ref = state(batch, "prev"), state(batch, "ref")
    assert (batch[0] / "ref.journal").read_text().splitlines() == [f"{kind} {w}" for w in WRITES for kind in ("start", "done")]
    assert sorted(ref) == sorted(prev) == sorted(WRITES)
    assert differences(ref, prev) == sorted(WRITES)  # every file changes: old and new tell apart
    assert json.loads(ref["footprint.json"])["settings"]["metric"] == "val_accuracy"


@pytest.mark.parametrize(("event", "k"), KILLS, ids=[f"{e}-{k}" for e, k in KILLS])
def test_kill_at_each_write_step_keeps_each_file_old_or_new(batch, event, k):
    name = f"{event}-{k}"
    assert batch[1][name]["rc"] == -signal.SIGKILL, err(batch, name)
    prev, ref = state(batch, "prev"), state(batch, "ref")
    assert differences(state(batch, f"{name}.left"), {**prev, **{w: ref[w] for w in WRITES[: k - 1]}}) == []
    left = leftovers(batch[0] / f"{name}.left")  # the one before's were removed
    assert len(left) == 1 and left[0].startswith(f"{TMP_PREFIX}{WRITES[k - 1]}."), left
    temp = (batch[0] / f"{name}.left" / left[0]).read_bytes()
    assert temp == (b"" if event == "temp_created" else ref[WRITES[k - 1]])  # complete before its rename
    journal = (batch[0] / f"{name}.journal").read_text().splitlines()
    assert journal[-1] == f"start {WRITES[k - 1]}"  # it died at the write it was meant to


def test_kill_at_another_moment_keeps_each_file_old_or_new_and_a_rerun_is_identical(batch):
    assert batch[1]["random"]["rc"] in (-signal.SIGKILL, 0), err(batch, "random")
    prev, ref, left = state(batch, "prev"), state(batch, "ref"), state(batch, "random.left")
    assert sorted(left) == sorted(WRITES)
    assert [k for k in left if left[k] not in (prev[k], ref[k])] == []
    check_rerun(batch, "random")


def test_full_disk_is_one_line_and_keeps_the_old_footprint(batch):
    assert batch[1]["full_disk"]["rc"] == 2
    assert "File too large" in one_line(err(batch, "full_disk"))
    assert differences(state(batch, "full_disk.left"), state(batch, "prev")) == []  # a rerun is ref's run
    assert leftovers(batch[0] / "full_disk.left") == []


@pytest.mark.parametrize("name", list(READ_ONLY))
def test_read_only_file_system_is_one_line_and_keeps_the_old_files(batch, name):
    assert batch[1][name]["rc"] == 2
    assert "Read-only file system" in one_line(err(batch, name))
    prev, ref = state(batch, "prev"), state(batch, "ref")
    n = READ_ONLY[name]
    assert differences(state(batch, f"{name}.left"), {**prev, **{w: ref[w] for w in WRITES[: max(n - 1, 0)]}}) == []
    assert leftovers(batch[0] / f"{name}.left") == []
    if n:  # n = 0 left prev as it was: a rerun is ref's run
        check_rerun(batch, name)


def test_second_footprint_on_the_same_out_dir_is_refused_in_one_line(batch):
    outcome = batch[1]["second_writer"]
    assert outcome["rc"] == 0, err(batch, "second_writer")
    assert outcome["second_rc"] == 2
    assert "is in use by another eo-naslib process" in one_line(err(batch, "second_writer.second"))
    assert (batch[0] / "second_writer.second.journal").read_text() == ""  # it wrote nothing
    assert differences(state(batch, "second_writer.left"), state(batch, "ref")) == []
    assert leftovers(batch[0] / "second_writer.left") == []


def test_compare_keeps_the_old_picture_on_a_kill_or_a_full_disk(batch):
    """`footprint compare --out`: one write; killed before its rename, or on a full disk, the old
    picture stays; a rerun writes the new one. (Its temporary file stays after a kill: compare
    takes no lock, so it cannot tell a killed writer's from a running one's.)"""
    assert [batch[1][n]["rc"] for n in ("compare_old", "compare_ref")] == [0, 0]
    old, new = state(batch, "compare_old.left"), state(batch, "compare_ref.left")
    assert differences(new, old) == [PICTURE] and new[PICTURE][:4] == b"\x89PNG"
    assert batch[1]["compare_kill"]["rc"] == -signal.SIGKILL, err(batch, "compare_kill")
    assert differences(state(batch, "compare_kill.left"), old) == []
    left = leftovers(batch[0] / "compare_kill.left")
    assert len(left) == 1 and (batch[0] / "compare_kill.left" / left[0]).read_bytes() == new[PICTURE]
    assert batch[1]["compare_kill"]["rerun_rc"] == 0
    assert differences(state(batch, "compare_kill.rerun"), new) == []
    assert batch[1]["compare_full_disk"]["rc"] == 2
    assert "File too large" in one_line(err(batch, "compare_full_disk"))
    assert differences(state(batch, "compare_full_disk.left"), old) == [] and leftovers(batch[0] / "compare_full_disk.left") == []


# ------------------------------------------------------------------------------ real processes
def run(driver: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """An ordinary `eo-naslib` process."""
    return subprocess.run(
        [sys.executable, str(driver), "run", *argv], cwd=REPO, env=env(),
        capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions; run the suite as a normal user")
def test_read_only_out_dir_is_one_line_and_keeps_the_old_footprint(driver, batch, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    (live / "footprint.json").write_bytes(state(batch, "prev")["footprint.json"])
    live.chmod(0o555)
    try:
        result = run(driver, footprint_argv(live, "val_accuracy"))
    finally:
        live.chmod(0o755)
    assert result.returncode == 2 and "cannot write" in one_line(result.stderr)
    assert (live / "footprint.json").read_bytes() == state(batch, "prev")["footprint.json"]
