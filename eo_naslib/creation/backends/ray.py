"""`ray`: one Ray task per call, with CPU/GPU resources and Ray's retries of crashed workers.

Connects to `address` (a running cluster, or "auto") within `connect_timeout_s` seconds (see
`ray_connect`), or starts a local Ray instance. A job's own
errors come back as failed outcomes (the coordinator retries them up to its limit); Ray's
`max_retries` re-runs a task whose worker or node died.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ...errors import ConfigError, non_negative_float
from .base import CONNECT_TIMEOUT_S, Backend, Completion
from .ray_connect import connect

try:
    import ray
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"the ray backend needs Ray: pip install 'eo-naslib[cluster]' ({exc})") from None


class RayBackend(Backend):
    """Tasks of `num_cpus` CPUs and `num_gpus` GPUs each, retried `max_retries` times on a crash;
    a cluster at `address` that does not answer within `connect_timeout_s` seconds is an `EngineError`."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: float = 1,
        num_gpus: float = 0,
        max_retries: int = 3,
        init: dict[str, Any] | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        if num_cpus < 0 or num_gpus < 0 or max_retries < 0:
            raise ConfigError(
                f"num_cpus, num_gpus and max_retries must be >= 0, got {num_cpus}, {num_gpus}, {max_retries}"
            )
        if non_negative_float(connect_timeout_s, "connect_timeout_s") == 0:
            raise ConfigError(f"connect_timeout_s must be more than 0 seconds, got {connect_timeout_s!r}")
        self.options = {"num_cpus": num_cpus, "num_gpus": num_gpus, "max_retries": max_retries}
        self._started = not ray.is_initialized()
        if self._started:
            settings = {"include_dashboard": False, "log_to_driver": False, **(init or {})}
            if address is None:
                ray.init(**settings)  # a local instance: nothing to reach
            else:
                connect(address, connect_timeout_s, **settings)

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> Iterator[Completion]:
        remote = ray.remote(**self.options)(fn)
        refs = {remote.remote(*args): i for i, args in enumerate(items)}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                try:
                    yield refs[ref], ray.get(ref), None
                except Exception as error:  # noqa: BLE001 - a task error is reported with its index
                    yield refs[ref], None, error

    def close(self) -> None:
        """Shut Ray down if this backend started it."""
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False
