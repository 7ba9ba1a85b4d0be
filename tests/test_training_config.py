"""`TrainConfig`: the seeds' defaults, dict round trip, fingerprint and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eo_naslib.errors import ConfigError
from eo_naslib.io import load_yaml
from eo_naslib.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "eo_naslib" / "configs" / "training"


def test_defaults_are_the_seeds_settings_and_the_shipped_yaml():
    config = TrainConfig()
    assert (config.batch_size, config.momentum, config.weight_decay, config.epochs) == (256, 0.9, 5e-4, 108)
    assert (
        config.lr,
        config.schedule,
        config.stem_channels,
        config.subset_fraction,
        config.val_fraction,
        config.split_protocol,
    ) == (0.2, "cosine", 128, 0.35, 0.2, "seeds")
    assert TrainConfig.from_dict(load_yaml(CONFIGS / "so2sat_seed001.yaml")) == config
    TrainConfig.from_dict(load_yaml(CONFIGS / "synthetic_smoke.yaml"))


def test_round_trip_and_fingerprint():
    config = TrainConfig(sensor="fusion", epochs=4)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert config.fingerprint() == TrainConfig.from_dict(config.to_dict()).fingerprint()
    assert config.fingerprint() != config.replace(lr=0.1).fingerprint()
    # where and how a run executes does not change what it trains
    assert (
        config.fingerprint()
        == config.replace(device="cpu", data_dir="/elsewhere", checkpoint_every=5).fingerprint()
    )
    assert TrainConfig.from_dict({"weight_decay": "5e-4"}).weight_decay == 5e-4  # YAML 1.1 reads 5e-4 as text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sensr": "s2"}, "unknown training setting"),
        ({"sensor": "s3"}, "choose one of"),
        ({"epochs": 0}, "positive integer"),
        ({"epochs": 1.5}, "of type int"),
        ({"lr": "fast"}, "must be a number"),
        ({"subset_fraction": 0}, r"\(0, 1\]"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(settings)


def test_check_same_names_changed_keys():
    with pytest.raises(ConfigError, match=r"epochs: 4 -> 108.*lr: 0\.1 -> 0\.2"):
        TrainConfig().check_same(TrainConfig(epochs=4, lr=0.1).result_dict(), "checkpoint x")


_WITHOUT_TORCH = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchmetrics", "ptflops"):
            raise ImportError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
import argparse
from eo_naslib.cli import report_errors
from eo_naslib.training import cli
parser = argparse.ArgumentParser()
cli.add_parser(parser.add_subparsers(dest="command"))
args = parser.parse_args(["measure", "--matrix", "[[0,1],[0,0]]", "--ops", '["input","output"]'])
sys.exit(report_errors(lambda: args.func(args)))
"""


def test_commands_without_the_train_extra_say_what_to_install():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TORCH], check=False, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "eo-naslib: error: `eo-naslib measure` needs 'torch'; install the extra: pip install 'eo-naslib[train]'"
    )
