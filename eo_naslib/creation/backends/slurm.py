"""`slurm`: SLURM job arrays through submitit, requeued on timeout or preemption.

Every call becomes one array task. submitit's checkpoint hook resubmits a task that times out or
is preempted; the job then resumes from its own checkpoint (jobs are resumable by design), and
a task requeued by SLURM itself (`scontrol requeue`, node failure) does the same. With
`executor="local"` the same code runs on submitit's local executor (no SLURM needed).

Completion is read from submitit's result files; a task that left the queue without one (killed
hard) is reported as lost after `lost_after_s`, so the coordinator can retry it.

Before anything is submitted the controller must answer `scontrol ping` within `connect_timeout_s`
(sbatch itself retries an unreachable controller for as long as it likes, and a submission cut
off mid-way could still queue jobs): otherwise one `EngineError` line names the controller and
what to check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ...errors import ConfigError, EngineError, non_negative_float
from .base import CONNECT_TIMEOUT_S, Backend, Completion

try:
    import submitit
    from submitit.helpers import Checkpointable, DelayedSubmission
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"the slurm backend needs submitit: pip install 'eo-naslib[cluster]' ({exc})") from None

EXECUTORS = ("slurm", "local")


class LostJobError(RuntimeError):
    """A SLURM task left the queue without a result (killed, node lost)."""


class Requeueable(Checkpointable):
    """Calls `fn(*args)`; on timeout or preemption submitit resubmits the same call."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def checkpoint(self, *args: Any) -> DelayedSubmission:
        return DelayedSubmission(Requeueable(self.fn), *args)


class SlurmBackend(Backend):
    """Array tasks with `cpus_per_task`, `gpus_per_node`, `timeout_min`, in `partition`.

    `folder` holds submitit's scripts, logs and results; `parameters` are passed on to
    `executor.update_parameters` (e.g. `{"slurm_account": "..."}`).
    """

    name = "slurm"

    def __init__(
        self,
        folder: str | Path,
        executor: str = "slurm",
        partition: str | None = None,
        cpus_per_task: int = 1,
        gpus_per_node: int = 0,
        timeout_min: int = 24 * 60,
        array_parallelism: int = 256,
        poll_s: float = 1.0,
        lost_after_s: float = 60.0,
        parameters: dict[str, Any] | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        if non_negative_float(connect_timeout_s, "connect_timeout_s") == 0:
            raise ConfigError(f"connect_timeout_s must be more than 0 seconds, got {connect_timeout_s!r}")
        if executor not in EXECUTORS:
            raise ConfigError(f"unknown submitit executor {executor!r}; choose one of {list(EXECUTORS)}")
        if executor == "slurm" and shutil.which("sbatch") is None:
            raise ConfigError(
                "sbatch is not on PATH: run on a SLURM login node, or use --backend local / ray"
            )
        if executor == "slurm":
            ping_controller(connect_timeout_s)
        self.kind = executor
        self.poll_s, self.lost_after_s = poll_s, lost_after_s
        self.executor = submitit.AutoExecutor(folder=str(folder), cluster=executor)
        params: dict[str, Any] = {"timeout_min": timeout_min, "cpus_per_task": cpus_per_task}
        if executor == "slurm":
            params.update(
                slurm_array_parallelism=array_parallelism, slurm_additional_parameters={"requeue": True}
            )
            if partition:
                params["slurm_partition"] = partition
            if gpus_per_node:
                params["gpus_per_node"] = gpus_per_node
        self.executor.update_parameters(**params, **(parameters or {}))

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> Iterator[Completion]:
        if not items:
            return
        task = Requeueable(fn)
        columns = [list(column) for column in zip(*items)]
        jobs = self.executor.map_array(task, *columns)
        pending = dict(enumerate(jobs))
        missing_since: dict[int, float] = {}
        while pending:
            queued = self._queued() if self.kind == "slurm" else None
            for index, job in list(pending.items()):
                if job.done():
                    del pending[index]
                    try:
                        yield index, job.result(), None
                    except Exception as error:  # noqa: BLE001 - reported with its index
                        yield index, None, error
                elif queued is not None and str(job.job_id) not in queued:
                    first = missing_since.setdefault(index, time.monotonic())
                    if time.monotonic() - first > self.lost_after_s:
                        del pending[index]
                        yield (
                            index,
                            None,
                            LostJobError(f"SLURM job {job.job_id} left the queue without a result"),
                        )
                else:
                    missing_since.pop(index, None)
            if pending:
                time.sleep(self.poll_s)

    @staticmethod
    def _queued() -> set[str] | None:
        """Ids (`<array>_<task>`) of every job in the queue, or None when squeue does not answer."""
        try:
            out = subprocess.run(
                ["squeue", "-h", "-r", "-o", "%i"], capture_output=True, text=True, check=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return set(out.split())


def ping_controller(timeout_s: float) -> None:
    """`scontrol ping` must say the controller is UP within `timeout_s` seconds, else `EngineError`."""
    where = f"the SLURM controller of {os.environ.get('SLURM_CONF') or 'the default slurm.conf'}"
    check = "check that slurmctld runs and SLURM_CONF names its slurm.conf, or give a longer --connect-timeout"
    try:
        answer = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise EngineError(f"{where} did not answer `scontrol ping` within {timeout_s:g} s; {check}") from None
    except OSError as exc:
        raise EngineError(f"cannot run `scontrol ping` ({exc.strerror or exc}); run on a SLURM login node") from None
    lines = (answer.stdout + answer.stderr).strip().splitlines()
    if answer.returncode != 0 or not any(" is UP" in line for line in lines):
        raise EngineError(f"{where} is not reachable ({lines[0] if lines else f'scontrol exit {answer.returncode}'}); {check}")
