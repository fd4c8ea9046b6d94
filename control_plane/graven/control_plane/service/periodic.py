"""Work a control plane repeats on a thread of its own: the scheduler's passes, upload
collection, notification delivery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """``work()`` every ``interval_seconds`` until stopped, the first time one interval after
    start. A failed round (the database away for a moment) is logged and the next one tries
    again. An interval of 0 runs no thread: another control plane on the database does it."""

    def __init__(self, work: Callable[[], object], interval_seconds: float, name: str) -> None:
        self._work = work
        self._interval = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        if self._interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._work()
            except Exception:
                log.exception("a round of %s failed", self._thread.name)
