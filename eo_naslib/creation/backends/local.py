"""`local`: a pool of worker processes on this machine, one per CPU slot or per GPU.

Workers are spawned (`processes.WORKER_START_METHOD`; not forked: safe with PyTorch, CUDA and
xgboost's thread pools) and die with the coordinator (Linux `PR_SET_PDEATHSIG`), so killing the
coordinator leaves no orphan training; the killed jobs' claims are released by the OS and their
checkpoints resume on the next run.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ...errors import ConfigError, at_most
from ...processes import WORKER_START_METHOD, die_with_parent
from .base import Backend, Completion

#: workers per available CPU when oversubscribing on purpose (never a fork storm)
MAX_WORKERS_PER_CPU = 4
#: calls in flight per worker: the rest are submitted as workers free up
WINDOW_PER_WORKER = 2
#: thread-pool variables set per worker (numpy/torch), unless the user set them
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def cpus_available() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's or SLURM's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_workers(workers: int, oversubscribe: bool = False) -> int:
    """`workers` if it is at most the CPUs available (`oversubscribe`: `MAX_WORKERS_PER_CPU` per
    CPU), else a `ConfigError` naming both."""
    cpus = cpus_available()
    if oversubscribe:
        return at_most(workers, MAX_WORKERS_PER_CPU * cpus, "workers", f"{MAX_WORKERS_PER_CPU} per CPU even when oversubscribing, {cpus} CPUs available")
    return at_most(
        workers, cpus, "workers", "the CPUs available to this process; more workers only share them and multiply memory",
        f"lower workers, or pass --oversubscribe (oversubscribe=True) for up to {MAX_WORKERS_PER_CPU * cpus}",
    )


def _init_worker(parent: int, devices: Any, threads: int) -> None:
    """Die with the coordinator; use `threads` threads; take one device from the queue (CUDA)."""
    die_with_parent(parent)
    for variable in _THREAD_VARIABLES:
        os.environ.setdefault(variable, str(threads))
    if devices is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(devices.get())


class LocalBackend(Backend):
    """`workers` processes (default: one per CPU available), or one per entry of `devices` (GPU ids).

    Each worker's thread pools get `threads` threads (default: CPU cores / workers), so workers do
    not oversubscribe the cores (on 2 cores, 2 workers x 2 torch threads trained ~3x slower).
    Workers are spawned (`start_method` is `processes.WORKER_START_METHOD`): they see none of the
    parent's state but what the calls pass them. `workers` is at most the CPUs available unless
    `oversubscribe` (see `check_workers`).
    """

    name = "local"

    def __init__(
        self,
        workers: int | None = None,
        devices: Sequence[str | int] | None = None,
        threads: int | None = None,
        oversubscribe: bool = False,
    ) -> None:
        if devices is not None and workers is not None and workers != len(devices):
            raise ConfigError(f"{workers} workers for {len(devices)} devices; give one worker per device")
        self.workers = len(devices) if devices else (workers or cpus_available())
        if self.workers < 1:
            raise ConfigError(f"need at least one worker, got {self.workers}")
        if not devices:
            check_workers(self.workers, oversubscribe)
        self.devices = [str(d) for d in devices] if devices else None
        self.slots = self.workers
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.workers)
        self.start_method = WORKER_START_METHOD
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context(self.start_method)
            queue = None
            if self.devices:
                queue = context.Queue()
                for device in self.devices:
                    queue.put(device)
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(os.getpid(), queue, self.threads),
            )
        return self._pool

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> Iterator[Completion]:
        pool = self._executor()
        queued = iter(enumerate(items))  # submitted lazily: a few calls per worker in flight
        futures: dict[Future, int] = {}
        pending: set[Future] = set()
        broken = False
        while True:
            for i, args in itertools.islice(queued, max(0, WINDOW_PER_WORKER * self.workers - len(pending))):
                try:
                    future = pool.submit(fn, *args)
                except BrokenProcessPool as exc:  # a worker died: the calls not yet sent fail as the sent ones do
                    broken = True
                    yield i, None, exc
                    continue
                futures[future] = i
                pending.add(future)
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                error = future.exception()
                broken |= isinstance(error, BrokenProcessPool)
                yield futures.pop(future), None if error else future.result(), error
        if broken:  # a worker died (killed, out of memory): the next call starts a fresh pool
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
