"""Worker processes: how they start (`WORKER_START_METHOD`) and that they die with their parent
(Linux's parent-death signal, `PR_SET_PDEATHSIG`).

Every pool of workers (the local backend's: creation plans, `eo-naslib experiment`, `reproduce`)
spawns fresh interpreters: a forked child inherits the parent's locks but not the threads that hold
them, so forking after torch, xgboost or OpenMP started their thread pools can hang the child.

A worker or a torchrun rank asks the kernel to SIGKILL it when its parent (the coordinator, the
launcher) dies, even by `kill -9`, so no orphan goes on training. The request is per process and
taken at its start; a parent that died before it is detected by the parent pid having changed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
#: the `multiprocessing` start method of every worker pool (see the module docstring)
WORKER_START_METHOD = "spawn"


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent dies (Linux; elsewhere only the check below), and exit
    at once if the parent `parent` (read before, e.g. passed by the parent) is already gone."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request above
        os._exit(1)
