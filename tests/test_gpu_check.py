"""`scripts/gpu_check.sh` on a machine without CUDA: one line saying it needs CUDA, exit 3, nothing run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import torch
except ImportError:  # the Python 3.9 CI run has no torch: the script must say so in one line too
    torch = None

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"


@pytest.mark.skipif(shutil.which("bash") is None, reason="the script is a bash script")
def test_without_cuda_it_says_so_in_one_line_and_exits_non_zero(tmp_path):
    if torch is not None and torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the script would run its full check (minutes)")
    env = {**os.environ, "PYTHON": sys.executable, "TMPDIR": str(tmp_path)}
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 3
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu_check.sh needs CUDA: "), done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was started or written
