"""The CLI starts at once: `--help`, a query and `import eo_naslib` load no heavy stack.

Each case runs in a fresh interpreter and lists which of torch, xgboost, scikit-learn, matplotlib
and pandas got imported (timings are scripts/bench_cli.py's job, not a test's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eo_naslib import cli

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "xgboost", "sklearn", "matplotlib", "pandas", "scipy")


def heavy_imports(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The HEAVY packages that `code` (run in a fresh interpreter) imported."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cli(*argv: str) -> str:
    return f"""
import contextlib, io
from eo_naslib import cli
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.main({list(argv)!r})
    except SystemExit:
        pass
"""


def test_import_eo_naslib_is_light():
    assert heavy_imports("import eo_naslib") == []


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["measure", "--help"], ["build", "--help"], ["query", "--help"]])
def test_help_loads_no_stack(argv):
    assert heavy_imports(run_cli(*argv)) == []


def test_a_query_from_a_built_store_loads_no_training_or_fitting_stack(so2sat, data_dir):
    cell = str(so2sat.measured_hashes()[0])
    loaded = heavy_imports(run_cli("query", "so2sat", "--hash", cell), {"EO_NASLIB_DATA": str(data_dir)})
    assert loaded == []


def test_query_prints_the_stored_values(so2sat, data_dir, capsys):
    cell = str(so2sat.measured_hashes()[0])
    assert cli.main(["query", "so2sat", "--hash", cell, "--metric", "val_accuracy", "--data-dir", str(data_dir)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["metrics"] == {"val_accuracy": so2sat.query(cell, "val_accuracy")}
    assert answer["measured"] == {"val_accuracy": True}


def test_the_registry_help_is_each_modules_own():
    parser = cli.build_parser("all")
    commands = next(a for a in parser._actions if a.dest == "command")
    helps = {c.dest: c.help for c in commands._choices_actions}
    assert helps == {name: text for name, (_, text) in cli.COMMANDS.items()}


def test_each_command_loads_only_its_module():
    code = "from eo_naslib import cli; cli.build_parser('space')"
    assert "eo_naslib.training.cli" not in subprocess.run(
        [sys.executable, "-c", code + "; import sys; print(sorted(sys.modules))"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120,
    ).stdout  # fmt: skip
