"""Store writes a walk does not wait for.

A cache hit costs no Ray task, but its lineage records and inputs must still reach the
store; written inline they would put a store round trip (an fsync, or an HTTP request) per
node on a cached chain's critical path. They go to a small pool shared by every walk
instead, and an execution waits for its own writes before it reports its end, so an ended
execution's records are in the store.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

WRITERS = 16

_pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="graven-store-writes")


class BackgroundWrites:
    """The writes of one walk."""

    def __init__(self) -> None:
        self._futures: list[Future[None]] = []

    def submit(self, job: Callable[[], None]) -> None:
        self._futures.append(_pool.submit(job))

    def wait(self) -> list[BaseException]:
        """Wait for every write submitted so far; the errors of those that failed."""
        futures, self._futures = self._futures, []
        return [error for error in (f.exception() for f in futures) if error is not None]
