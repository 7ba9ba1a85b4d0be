"""Engines that do not answer: `build run --backend ray --address` with nothing (or no Ray head)
at the address, and `--backend slurm` with a controller that does not answer, give up after
`--connect-timeout` seconds in one line naming the address and what to check (both waited
forever before: `ray.init` still waiting at 570 s; sbatch retries a controller it cannot reach).
Only loopback addresses; every wait is bounded by the subprocess timeout."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from eo_naslib.creation import make_plan

REPO = Path(__file__).resolve().parents[1]


def _plan(root: Path) -> Path:
    plan = make_plan({"name": "deadline", "sampler": {"kind": "lhs", "n": 2, "seed": 1}, "job": "sleep",
                      "settings": {"seconds": 0.1, "steps": 1, "epochs": 1}})  # fmt: skip
    return plan.save(root)


def _build_run(plan: Path, *options: str, path: str | None = None) -> subprocess.CompletedProcess:
    """`python -m eo_naslib build run PLAN OPTIONS`, killed after 120 s (a failure)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if path is not None:
        env["PATH"] = path
    command = [sys.executable, "-m", "eo_naslib", "build", "run", str(plan), "--no-progress", *options]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


def _error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("eo-naslib: error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


# ------------------------------------------------------------------------------------------ ray
@pytest.fixture()
def silent_port():
    """A loopback port that accepts TCP connections and never says a word (no Ray head)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


def test_ray_with_nothing_listening_gives_up_in_one_line(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'eo-naslib[cluster]')")
    result = _build_run(_plan(tmp_path), "--backend", "ray", "--address", "127.0.0.1:1", "--connect-timeout", "3")
    assert result.returncode == 2
    line = _error_line(result.stderr)
    assert "nothing answered at the Ray address 127.0.0.1:1 within 3 s (Connection refused)" in line, line
    assert "ray start --head" in line and "--connect-timeout" in line, line


def test_ray_with_no_head_behind_the_port_gives_up_in_one_line(tmp_path, silent_port):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'eo-naslib[cluster]')")
    address = f"127.0.0.1:{silent_port}"
    result = _build_run(_plan(tmp_path), "--backend", "ray", "--address", address, "--connect-timeout", "5")
    assert result.returncode == 2, result.stderr[-2000:]
    line = _error_line(result.stderr)
    assert f"the Ray cluster at {address} did not accept a driver within 5 s" in line, line
    assert f"ray status --address {address}" in line, line


def test_the_connect_timeout_must_be_positive(tmp_path):
    result = _build_run(_plan(tmp_path), "--backend", "ray", "--address", "127.0.0.1:1", "--connect-timeout", "0")
    assert result.returncode == 2 and "--connect-timeout" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------ slurm
def _fake_slurm(folder: Path, scontrol: str) -> str:
    """A PATH whose `sbatch` hangs (as it does retrying a controller it cannot reach) and whose
    `scontrol` runs `scontrol` (a shell body)."""
    folder.mkdir()
    for name, body in (("sbatch", "exec sleep 600"), ("scontrol", scontrol), ("squeue", "exit 1"), ("srun", "exit 1")):
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts stand in for SLURM's commands")
def test_slurm_with_a_controller_that_does_not_answer_gives_up_in_one_line(tmp_path):
    pytest.importorskip("submitit", reason="submitit is not installed (pip install 'eo-naslib[cluster]')")
    path = _fake_slurm(tmp_path / "bin", "exec sleep 600")
    result = _build_run(_plan(tmp_path / "plan"), "--backend", "slurm", "--connect-timeout", "2", path=path)
    assert result.returncode == 2, result.stderr[-2000:]
    line = _error_line(result.stderr)
    assert "did not answer `scontrol ping` within 2 s" in line and "slurmctld" in line and "--connect-timeout" in line, line
    assert not list((tmp_path / "plan").rglob("*.sh")), "nothing may be submitted"


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts stand in for SLURM's commands")
def test_slurm_with_its_controller_down_says_which_in_one_line(tmp_path):
    pytest.importorskip("submitit", reason="submitit is not installed (pip install 'eo-naslib[cluster]')")
    path = _fake_slurm(tmp_path / "bin", 'echo "Slurmctld(primary) at 127.0.0.1 is DOWN"; exit 1')
    result = _build_run(_plan(tmp_path / "plan"), "--backend", "slurm", "--connect-timeout", "2", path=path)
    assert result.returncode == 2, result.stderr[-2000:]
    line = _error_line(result.stderr)
    assert "is not reachable (Slurmctld(primary) at 127.0.0.1 is DOWN)" in line and "SLURM_CONF" in line, line
