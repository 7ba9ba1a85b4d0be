"""The backend interface: run a picklable function over argument tuples somewhere, results as they come."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Optional

from tqdm.auto import tqdm

#: (index into the items, result or None, exception or None), in completion order
Completion = tuple[int, Any, Optional[BaseException]]  # a runtime alias: no `|` before Python 3.10
#: seconds an engine (a Ray cluster, the SLURM controller) has to answer before a backend gives up
CONNECT_TIMEOUT_S = 60.0


class Backend(ABC):
    """An engine that runs `fn(*args)` for many argument tuples (processes, Ray tasks, SLURM jobs).

    `fn` and its arguments must be picklable (a module-level function). Use as a context
    manager, or call `close()`.
    """

    name: str = ""
    #: how many calls run at once (None: unknown, e.g. a cluster queue decides)
    slots: int | None = None

    @abstractmethod
    def imap(self, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> Iterator[Completion]:
        """Run every call; yield each one's (index, result, error) as it finishes."""

    def map(
        self, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]], progress: bool = False, desc: str = ""
    ) -> list[Any]:
        """Results in item order, with a progress bar; re-raises the first error once all calls ended."""
        results: list[Any] = [None] * len(items)
        errors: list[tuple[int, BaseException]] = []
        with tqdm(total=len(items), desc=desc or self.name, disable=not progress) as bar:
            for index, result, error in self.imap(fn, items):
                results[index] = result
                if error is not None:
                    errors.append((index, error))
                bar.update(1)
        if errors:
            raise min(errors, key=lambda pair: pair[0])[1]
        return results

    def close(self) -> None:
        """Release workers and connections (no-op by default)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
