"""Store writes made in parallel, off the critical path of whoever makes them.

Each write waits on the disk (an fsync) or the network, rarely on Python, so independent
writes go to a small pool shared by the process, and their maker waits for them only where
an ordering matters. A worker writes a node's inputs while the task runs, then its artifacts
and lineage records side by side, and the outputs (the commit) only once all are stored. A
walk writes a cache hit's lineage records in the background, so a cached chain costs no
store round trip per node, and waits for them before it reports the execution's end.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

WRITERS = 16

_pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="graven-store-writes")


class BackgroundWrites:
    """The writes of one maker (a walk, or one attempt of a node)."""

    def __init__(self) -> None:
        self._futures: list[Future[object]] = []

    def submit(self, job: Callable[[], object]) -> None:
        self._futures.append(_pool.submit(job))

    def wait(self) -> list[BaseException]:
        """Wait for every write submitted so far; the errors of those that failed."""
        futures, self._futures = self._futures, []
        return [error for error in (f.exception() for f in futures) if error is not None]
