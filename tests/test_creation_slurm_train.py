"""Real training on the real single-node SLURM (the `slurm_cluster` fixture; skipped without
SLURM): a plan of 3 tiny cells trained on *synthetic* So2Sat-layout data through submitit, one job
requeued mid-training with `scontrol requeue`, which resumes from its checkpoint.

Its records equal the local backend's exactly in every accuracy, loss and kappa, final and per
epoch (only times and latencies differ): on a CPU a run is deterministic for a given thread count
(both backends run 1 thread per job here), the model is initialised from the seed, each epoch's
batches come from (seed, epoch), and a resume restores weights, batch-norm statistics and momentum,
so a resumed run replays the uninterrupted one bit for bit.
"""

from __future__ import annotations

import subprocess
import time

import pytest

pytest.importorskip("submitit", reason="submitit is not installed (pip install 'eo-naslib[cluster]')")
torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")
for _module in ("torchmetrics", "h5py"):  # the rest of the train extra
    pytest.importorskip(_module, reason="training needs the train extra (pip install 'eo-naslib[train]')")

from eo_naslib.creation import get_backend, load_plan, make_plan, read_records, run_plan  # noqa: E402
from eo_naslib.creation.jobs import CLAIM_INFO, RECORD, job_dir  # noqa: E402
from eo_naslib.io import read_json  # noqa: E402
from eo_naslib.testing import TINY_TRAINING  # noqa: E402
from eo_naslib.training.synthetic import write_synthetic_so2sat  # noqa: E402
from tests.slurm_runs import assert_ran_twice, run_interrupted, slurm_id, start_now  # noqa: E402

#: per-epoch checkpoints and enough epochs (a few seconds) to requeue a job mid-training
SETTINGS = {**TINY_TRAINING, "epochs": 24, "lr": 0.05, "bn_momentum": 0.1, "device": "cpu", "checkpoint_every": 1}
#: figures that are times (they differ between any two runs)
TIMES = {"train_time_s", "wall_time_s", "latency_ms", "latency_std_ms"}
ONE_THREAD = "export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"


def train_plan(root, data):
    plan = make_plan(
        {
            "name": "slurm_train",
            "sampler": {"kind": "lhs", "n": 3, "seed": 7},
            "job": "train",
            "settings": {**SETTINGS, "data_dir": str(data)},
        }
    )
    plan.save(root)
    return load_plan(root)


def trained(plan) -> dict:
    """cell hash -> (final metrics, curves) without times."""
    return {
        r["cell"]["hash"]: (
            {k: v for k, v in r["metrics"].items() if k not in TIMES},
            [{k: v for k, v in point.items() if k not in TIMES} for point in r["curves"]],
        )
        for r in read_records(plan.results, plan)
    }


def saved_epoch(directory) -> int:
    """The epoch of the job's checkpoint, 0 if none yet (read only: it is written atomically)."""
    try:
        return int(torch.load(directory / "checkpoint.pt", map_location="cpu", weights_only=True)["epoch"])
    except FileNotFoundError:
        return 0


def requeue_one_mid_training(plan, deadline_s: float = 180.0):
    """Requeue the first SLURM job seen with a checkpoint in the first half of its epochs (so the
    requeue lands before it finishes) and start it again; returns it."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for job in plan.jobs:
            directory = job_dir(plan.results, job.id)
            try:
                claim = read_json(directory / CLAIM_INFO)
            except Exception:  # noqa: BLE001 - not started yet, or between writes
                continue
            if "slurm_array_job_id" not in claim or (directory / RECORD).exists() or not 1 <= saved_epoch(directory) <= SETTINGS["epochs"] // 2:
                continue  # not a SLURM job with epochs still to train
            if subprocess.run(["scontrol", "requeue", slurm_id(claim)], capture_output=True).returncode == 0:
                start_now(slurm_id(claim), directory)
                return job
        time.sleep(0.1)
    raise AssertionError(f"no SLURM training job was seen mid-training within {deadline_s:g} s")


def test_a_plan_trains_on_real_slurm_with_a_requeued_job_like_the_local_backend(tmp_path, slurm_cluster):
    data = write_synthetic_so2sat(tmp_path / "data", 320, 64, 64, seed=0)
    plan, reference = train_plan(tmp_path / "slurm", data), train_plan(tmp_path / "local", data)
    backend = get_backend(
        "slurm", folder=tmp_path / "slurm" / "submitit", executor="slurm", poll_s=0.5, timeout_min=10,
        parameters={"slurm_setup": [ONE_THREAD]},
    )  # fmt: skip
    summary, victim = run_interrupted(plan, backend, lambda: requeue_one_mid_training(plan), timeout_s=600)
    directory = assert_ran_twice(plan, summary, victim)
    record = read_json(directory / RECORD)
    assert 1 <= record["training"]["resumed_from_epoch"] < SETTINGS["epochs"]  # resumed, not restarted
    with get_backend("local", workers=2, threads=1) as local:
        run_plan(reference, local, progress=False)
    assert trained(plan) == trained(reference)
    assert all(metrics["val_accuracy"] > 0.4 for metrics, _ in trained(plan).values())  # they learned
