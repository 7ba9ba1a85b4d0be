"""Data-parallel training under torchrun with gloo on CPU: 2 processes vs 1, same global batch.

Tolerance: batch norm normalises with per-process statistics (16 images per process here, 32 in
one process; SyncBatchNorm needs CUDA), so the runs differ slightly. Gradients are averaged over
the whole global batch in both, so after 4 epochs on synthetic So2Sat-layout data each epoch's
training loss agrees within 20% (relative) and final validation/test accuracy within 0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch_dist = pytest.importorskip("torch.distributed", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.testing import TWO_STACK_TRAINING  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SETTINGS = {**TWO_STACK_TRAINING, "eval_every": 1}
CELL = ["--matrix", "[[0,1,1],[0,0,1],[0,0,0]]", "--ops", '["input","conv3x3-bn-relu","output"]']


def _run(launcher, data, out):
    sets = [f"--set={k}={json.dumps(v)}" for k, v in SETTINGS.items()]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        *launcher,
        "-m",
        "eo_naslib.training.ddp",
        *CELL,
        "--data",
        str(data),
        "--out",
        str(out),
        *sets,
    ]
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(
    not torch_dist.is_available() or not torch_dist.is_gloo_available(), reason="torch without gloo"
)
def test_two_gloo_processes_match_one_process(tmp_path):
    data = write_synthetic_so2sat(tmp_path / "data", 600, 100, 100, seed=0)
    two = _run(
        ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"], data, tmp_path / "two"
    )
    cannot_start = "Address already in use" in two.stderr or "rendezvous" in two.stderr.lower()
    if two.returncode != 0 and cannot_start:
        pytest.skip(f"torchrun could not start 2 gloo processes here: {two.stderr.strip().splitlines()[-1]}")
    assert two.returncode == 0, two.stderr[-2000:]
    one = _run([], data, tmp_path / "one")
    assert one.returncode == 0, one.stderr[-2000:]
    parallel = json.loads((tmp_path / "two" / "record.json").read_text())
    single = json.loads((tmp_path / "one" / "record.json").read_text())
    assert parallel["training"]["world_size"] == 2 and single["training"]["world_size"] == 1
    assert parallel["fingerprint"] == single["fingerprint"]
    assert len(parallel["curves"]) == len(single["curves"])
    for p, s in zip(parallel["curves"], single["curves"]):
        assert p["train_loss"] == pytest.approx(s["train_loss"], rel=0.2)
    for metric in ("val_accuracy", "test_accuracy"):
        assert abs(parallel["metrics"][metric] - single["metrics"][metric]) < 0.1
    assert single["metrics"]["val_accuracy"] > 0.5


def _children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running (not ended, not a zombie nobody reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
@pytest.mark.skipif(
    not torch_dist.is_available() or not torch_dist.is_gloo_available(), reason="torch without gloo"
)
def test_killing_the_torchrun_launcher_ends_its_ranks(tmp_path):
    """kill -9 of torchrun mid-training: no rank is left running (they went on to the end before)."""
    data = write_synthetic_so2sat(tmp_path / "data", 600, 100, 100, seed=0)
    sets = [f"--set={k}={json.dumps(v)}" for k, v in {**SETTINGS, "epochs": 10_000}.items()]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "eo_naslib.training.ddp", *CELL, "--data", str(data), "--out", str(tmp_path / "out"), *sets]  # fmt: skip
    log = tmp_path / "torchrun.log"
    with log.open("w") as stderr:
        launcher = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    ranks: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while "epoch 2/10000" not in log.read_text() and launcher.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # training has begun (the ranks log their epochs)
        assert "epoch 2/10000" in log.read_text(), log.read_text()[-2000:]
        ranks = _children(launcher.pid)
        assert len(ranks) == 2, ranks
        launcher.kill()
        launcher.wait()
        deadline = time.monotonic() + 10
        while any(_alive(rank) for rank in ranks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [rank for rank in ranks if _alive(rank)] == [], "ranks outlived their launcher"
    finally:  # leave nothing training after the test
        launcher.kill()
        for rank in ranks:
            if _alive(rank):
                os.kill(rank, signal.SIGKILL)
