"""Connecting to a Ray cluster within a deadline: `ray.init(address=...)` alone waits forever for
an address where nothing (or no Ray head) answers, and cannot be interrupted in-process (a driver
left half-connected aborts the interpreter at exit).

So the address's TCP port must first accept a connection (retried until the deadline: a head that
is starting counts), then a child process must connect a driver (`ray.init`) before the deadline;
it is killed if it does not. Only then does this process connect. Otherwise one `EngineError`
line names the address, the time waited and what to check.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from ...errors import ConfigError, EngineError

try:
    import ray
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"the ray backend needs Ray: pip install 'eo-naslib[cluster]' ({exc})") from None

#: addresses that name no host: Ray finds (or starts) the cluster itself
LOCAL_ADDRESSES = ("auto", "local")
_PROBE_INTERVAL_S = 0.5
#: the child's script: say when Ray is imported (the deadline starts then), connect, disconnect
_CHILD = (
    "import sys, ray; print('imported', flush=True); "
    "ray.init(address=sys.argv[1], include_dashboard=False, log_to_driver=False); ray.shutdown()"
)


def endpoint(address: str) -> tuple[str, int] | None:
    """(host, port) of `host:port` or `ray://host:port`; None for 'auto' / 'local'."""
    if address in LOCAL_ADDRESSES:
        return None
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"Ray address {address!r} is not host:port (or ray://host:port, 'auto'); give the head node's address")
    return host.strip("[]"), int(port)


def connect(address: str, timeout_s: float, **init: Any) -> None:
    """`ray.init(address=address, **init)` once the cluster has answered within `timeout_s` seconds."""
    target = endpoint(address)
    if target is not None:
        wait_for_port(address, target, time.monotonic() + timeout_s, timeout_s)
    connect_in_child(address, timeout_s)
    ray.init(address=address, **init)


def wait_for_port(address: str, target: tuple[str, int], deadline: float, timeout_s: float) -> None:
    """Until `deadline`, try to open a TCP connection to `target`; `EngineError` if none opened."""
    while True:
        try:
            with socket.create_connection(target, timeout=max(0.1, min(2.0, deadline - time.monotonic()))):
                return
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
        if time.monotonic() + _PROBE_INTERVAL_S > deadline:
            raise EngineError(
                f"nothing answered at the Ray address {address} within {timeout_s:g} s ({reason}); check that "
                "`ray start --head` runs there and the host and port are right, or give a longer --connect-timeout"
            )
        time.sleep(_PROBE_INTERVAL_S)


def connect_in_child(address: str, timeout_s: float) -> None:
    """A child process connects a Ray driver to `address`; killed (with what it started) after
    `timeout_s` seconds from its import of Ray; `EngineError` unless it connected."""
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, address], stdout=subprocess.PIPE, stderr=log, start_new_session=True
        )
        try:
            child.stdout.readline()  # Ray imported (or the child failed): the connection's deadline starts
            code = child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise EngineError(
                f"the Ray cluster at {address} did not accept a driver within {timeout_s:g} s; check that a Ray head "
                f"(ray {ray.__version__}, as here) runs there (`ray status --address {address}`), or give a longer --connect-timeout"
            ) from None
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            child.stdout.close()
        if code != 0:
            log.seek(0)
            lines = [line for line in log.read().decode(errors="replace").splitlines() if line.strip()]
            raise EngineError(
                f"cannot connect to the Ray cluster at {address} ({lines[-1].strip() if lines else f'exit {code}'}); "
                f"check `ray status --address {address}`"
            )
