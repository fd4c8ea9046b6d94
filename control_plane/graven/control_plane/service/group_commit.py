"""Group commit: calls that arrive while a batch is being written wait, and are written
together in the next batch, one transaction and one flush for all of them (the way databases
commit their logs).

No thread of its own: the first caller in line when no batch is in flight writes the batch
for everyone queued; the others wait for their result.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 256


class _Entry(Generic[T, R]):
    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[T, R]):
    def __init__(
        self, write: Callable[[Sequence[T]], Sequence[R]], max_batch: int = MAX_BATCH
    ) -> None:
        """``write`` takes a batch and returns one result per item, in order."""
        self._write = write
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._queue: deque[_Entry[T, R]] = deque()
        self._writing = False

    def submit(self, item: T) -> R:
        """``item``'s result once the batch holding it is written; the batch's error when
        writing it failed (every item of that batch gets it, later batches are unaffected)."""
        entry: _Entry[T, R] = _Entry(item)
        with self._changed:
            self._queue.append(entry)
            while not entry.done and (self._writing or self._queue[0] is not entry):
                self._changed.wait()
            if entry.done:
                return entry.outcome()
            size = min(len(self._queue), self._max_batch)
            batch = [self._queue.popleft() for _ in range(size)]
            self._writing = True
        try:
            results = self._write([queued.item for queued in batch])
            for queued, result in zip(batch, results, strict=True):
                queued.result = result
        except BaseException as error:
            for queued in batch:
                queued.error = error
        finally:
            with self._changed:
                for queued in batch:
                    queued.done = True
                self._writing = False
                self._changed.notify_all()
        return entry.outcome()
