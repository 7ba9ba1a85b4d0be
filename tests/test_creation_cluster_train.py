"""Train jobs as the seeds ran them, on *synthetic* So2Sat-layout data: data-parallel training
inside a job (torchrun, 2 gloo processes) against one process, and divergence checks that retry
with the next seed and report every retry.

DDP tolerance: `lr_scaling: linear` with batch 16 per process over 2 processes is seed 001's
"batch_size=1024, gpus=1 equals batch_size=256, gpus=4": the same global batch (32) and learning
rate (0.05 x 2 = 0.1) as one process with batch 32 and lr 0.1, and the same batches in the same
order. Gradients are averaged over the same 32 images, so the runs differ only through batch norm,
which normalises each process's 16 images with their own statistics (SyncBatchNorm needs CUDA).
Measured here: the epoch training losses differ by 0.5%, 1.2%, 1.2% (relative) and the final
validation / test accuracy by 0.031 / 0.016 (4 / 2 of 128 images); the test allows 5% and 0.1
(BN noise on a 128-image split moves a few images either way).
"""

from __future__ import annotations

import re

import pytest

torch_dist = pytest.importorskip("torch.distributed", reason="training needs torch (pip install 'eo-naslib[train]')")
for _module in ("torchmetrics", "h5py"):  # the rest of the train extra
    pytest.importorskip(_module, reason="training needs the train extra (pip install 'eo-naslib[train]')")

from eo_naslib.creation import Backend, load_plan, make_plan, read_records, run_plan  # noqa: E402
from eo_naslib.creation.jobs import DIVERGED, DIVERGENCE, events, job_dir  # noqa: E402
from eo_naslib.creation.results import plan_status  # noqa: E402
from eo_naslib.creation.retries import train_with_retries  # noqa: E402
from eo_naslib.errors import ConfigError, TrainingDivergedError  # noqa: E402
from eo_naslib.io import read_json  # noqa: E402
from eo_naslib.schema import is_sealed  # noqa: E402
from eo_naslib.space import Cell  # noqa: E402
from eo_naslib.testing import TINY_TRAINING  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.launch import resolve_processes  # noqa: E402
from eo_naslib.training.parallel import global_batch, peak_lr  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402

SMALL = {**TINY_TRAINING, "epochs": 3, "device": "cpu", "bn_momentum": 0.1}
CELL = Cell([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
#: the synthetic data's most frequent class holds 3/34 of the images
CHANCE = 3 / 34


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory):
    return write_synthetic_so2sat(tmp_path_factory.mktemp("so2sat_synthetic"), 320, 128, 128, seed=0)


def one_cell_plan(root, data, **settings):
    plan = make_plan(
        {
            "name": "cluster",
            "sampler": {"kind": "lhs", "n": 1, "seed": 3},
            "job": "train",
            "settings": {**SMALL, "data_dir": str(data), **settings},
        }
    )
    plan.save(root)
    return load_plan(root)


class InProcess(Backend):
    """Runs each call in this process (the coordinator and job layer as they are, minus a worker
    start: importing the training stack in a fresh process takes seconds)."""

    name = "in-process"

    def imap(self, fn, items):
        for index, args in enumerate(items):
            try:
                yield index, fn(*args), None
            except Exception as error:  # noqa: BLE001 - reported like a backend's
                yield index, None, error


def run_one(plan, **options):
    return run_plan(plan, InProcess(), progress=False, **options)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.skipif(not torch_dist.is_available() or not torch_dist.is_gloo_available(), reason="torch without gloo")
def test_a_job_trains_over_two_gloo_processes_like_one_process(tmp_path, synthetic_data):
    checked = {"chance_after_epochs": 3}  # learning runs pass the chance check (on every rank)
    parallel = one_cell_plan(tmp_path / "ddp", synthetic_data, processes=2, lr_scaling="linear", batch_size=16, lr=0.05, **checked)
    single = one_cell_plan(tmp_path / "one", synthetic_data, batch_size=32, lr=0.1, **checked)
    assert parallel.jobs[0].hash == single.jobs[0].hash
    for plan in (parallel, single):
        summary = run_one(plan)
        assert len(summary.done) == 1 and not summary.failed, summary.failed
    (two,), (one,) = read_records(parallel.results), read_records(single.results)
    assert two["training"]["world_size"] == 2 and one["training"]["world_size"] == 1
    assert two["training"]["global_batch"] == one["training"]["global_batch"] == 32
    assert two["training"]["peak_lr"] == pytest.approx(one["training"]["peak_lr"]) == pytest.approx(0.1)
    assert two["training"]["steps_per_epoch"] == one["training"]["steps_per_epoch"] == 8
    assert one["metrics"]["val_accuracy"] > 3 * CHANCE  # learning, so the comparison says something
    for p, s in zip(two["curves"], one["curves"], strict=True):
        assert p["train_loss"] == pytest.approx(s["train_loss"], rel=0.05)
    for metric in ("val_accuracy", "test_accuracy"):
        assert abs(two["metrics"][metric] - one["metrics"][metric]) < 0.1


def test_a_diverging_cell_is_retried_with_the_next_seed_then_recorded_as_diverged(tmp_path, synthetic_data):
    plan = one_cell_plan(tmp_path / "plan", synthetic_data, lr=1e6, schedule="constant", divergence_retries=1)
    summary = run_one(plan, max_attempts=3)
    job = plan.jobs[0]
    directory = job_dir(plan.results, job.id)
    assert not summary.done and not summary.failed and summary.failed_attempts == 0
    assert list(summary.diverged) == [job.id] and "diverged with every seed tried ([0, 100]" in summary.diverged[job.id]
    assert [a["seed"] for a in read_json(directory / DIVERGENCE)["attempts"]] == [0, 100]
    assert all("training loss became" in reason for reason in read_json(directory / DIVERGED)["reasons"])
    assert len(events(directory, "start")) == 1 and len(events(directory, "diverged")) == 1
    status = plan_status(plan)
    assert status["diverged"] == 1 and status["done"] == status["failed"] == 0
    assert status["unfinished"][0]["state"] == "diverged" and "lr 1000000.0" in status["unfinished"][0]["reason"]
    assert status["retried"] == [
        {"id": job.id, "hash": job.hash, "state": "diverged", "diverged_seeds": [0, 100], "reasons": read_json(directory / DIVERGED)["reasons"]}
    ]
    again = run_one(plan)  # final: reported again, not retrained
    assert list(again.diverged) == [job.id] and len(events(directory, "start")) == 1
    assert read_records(plan.results) == []


def test_accuracy_at_chance_after_n_epochs_is_a_divergence(tmp_path, synthetic_data):
    """With a margin of 0.9 every run is "at chance" after epoch 1; the reason names the figures."""
    plan = one_cell_plan(tmp_path / "plan", synthetic_data, chance_after_epochs=1, chance_margin=0.9)
    summary = run_one(plan)
    reason = summary.diverged[plan.jobs[0].id]
    found = re.search(r"training accuracy ([0-9.]+) after 1 epochs is at chance \(the majority class's share ([0-9.]+) \+ margin 0.9\)", reason)
    assert found, reason
    accuracy, majority = map(float, found.groups())
    assert 0.05 < majority < 0.15 and accuracy <= majority + 0.9


def test_a_retry_that_trains_is_the_record_and_names_the_diverged_seeds(tmp_path):
    config = TrainConfig.from_dict({**SMALL, "seed": 5, "divergence_retries": 2})
    tried = []

    def train_once(cell, run_config, out_dir, resume):
        tried.append((run_config.seed, out_dir.relative_to(tmp_path).as_posix()))
        if run_config.seed < 205:
            raise TrainingDivergedError(f"loss nan with seed {run_config.seed}")
        return {"cell": {"hash": cell.hash}, "settings": run_config.to_dict(), "fingerprint": run_config.fingerprint()}

    record = train_with_retries(CELL, config, tmp_path, True, train_once)
    assert tried == [(5, "."), (105, "seed-105"), (205, "seed-205")]  # never another repeat's seed
    assert record["settings"]["seed"] == 205 and record["fingerprint"] == config.fingerprint() and is_sealed(record)
    assert record["divergence"]["plan_seed"] == 5 and record["divergence"]["seed"] == 205
    assert [(a["seed"], a["reason"]) for a in record["divergence"]["diverged"]] == [(5, "loss nan with seed 5"), (105, "loss nan with seed 105")]
    tried.clear()  # a rerun goes on from the first seed that has not diverged
    train_with_retries(CELL, config, tmp_path, True, train_once)
    assert tried == [(205, "seed-205")]


#: TrainConfig().fingerprint() before these settings existed (commit 188d2a8): plans and records keep their ids
SEED_SETTINGS_FINGERPRINT = "4f206f36cf42993283a6b12d3cbc5d4084267de829dea7910cb298e492c88bab"
#: what runs before split protocols had names did: the held-out 20% as validation
BEFORE = {"split_protocol": "holdout"}


def test_the_cluster_settings_are_checked_and_keep_existing_fingerprints():
    assert TrainConfig(**BEFORE).fingerprint() == SEED_SETTINGS_FINGERPRINT
    assert TrainConfig().fingerprint() != SEED_SETTINGS_FINGERPRINT  # the seeds' protocol trains on other rows
    assert TrainConfig(**BEFORE, dataset="so2sat", bands="", layout="auto").fingerprint() == SEED_SETTINGS_FINGERPRINT
    runtime = TrainConfig(**BEFORE, processes=4, divergence_retries=2, chance_after_epochs=5, chance_margin=0.1)
    assert runtime.fingerprint() == SEED_SETTINGS_FINGERPRINT and "lr_scaling" not in runtime.result_dict()
    assert TrainConfig(**BEFORE, lr_scaling="linear").fingerprint() != SEED_SETTINGS_FINGERPRINT
    for bad, message in (
        ({"lr_scaling": "sqrt"}, "lr_scaling 'sqrt' is unknown; choose one of ['none', 'linear']"),
        ({"processes": -1}, "processes must be an integer, 0 or more, got -1"),
        ({"divergence_retries": -2}, "divergence_retries must be an integer, 0 or more, got -2"),
        ({"chance_margin": 1.0}, "chance_margin must be in [0, 1), got 1.0"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            TrainConfig.from_dict(bad)


def test_linear_scaling_is_seed_001s_per_process_batch_and_scaled_rate():
    linear, plain = TrainConfig(batch_size=256, lr=0.1, lr_scaling="linear"), TrainConfig(batch_size=256, lr=0.1)
    assert (global_batch(linear, 4), peak_lr(linear, 4)) == (1024, pytest.approx(0.4))
    assert (global_batch(plain, 4), peak_lr(plain, 4)) == (256, 0.1)
    assert (global_batch(linear, 1), peak_lr(linear, 1)) == (256, 0.1)


def test_processes_follow_the_gpus_a_job_sees(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert resolve_processes(TrainConfig(processes=3)) == 3  # gloo: any number of CPU ranks
    with pytest.raises(ConfigError, match="processes 0 means one process per GPU, but no CUDA device is visible"):
        resolve_processes(TrainConfig(processes=0))
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.device_count", lambda: 2)
    assert resolve_processes(TrainConfig(processes=0)) == 2
    with pytest.raises(ConfigError, match="processes 4 is more than the 2 GPU"):
        resolve_processes(TrainConfig(processes=4))


def test_repeats_are_capped_so_a_retry_never_takes_another_repeats_seed():
    config = {"name": "r", "sampler": {"kind": "lhs", "n": 1, "seed": 3}, "job": "train", "settings": dict(SMALL), "repeats": 101}
    with pytest.raises(ConfigError, match=re.escape("repeats = 101 is more than 100")):
        make_plan(config)
