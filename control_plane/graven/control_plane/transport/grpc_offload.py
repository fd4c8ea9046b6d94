"""Blocking service code (SQL, the object store) runs on bounded thread pools, awaited from
the gRPC server's event loop, so the loop itself only multiplexes calls and never blocks."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Offload:
    """Bounded pools of threads for blocking work; a call queues while every thread is busy.

    Work that waits on its client (an upload reads each chunk as the client sends it, so a
    slow client holds its thread) runs on a pool of its own: slow uploads cannot take the
    threads that unary calls need.
    """

    def __init__(self, name: str, workers: int, upload_workers: int) -> None:
        self._calls = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._uploads = ThreadPoolExecutor(upload_workers, thread_name_prefix=f"{name}-upload")

    async def __call__(self, work: Callable[[], T]) -> T:
        return await _run(self._calls, work)

    async def upload(self, work: Callable[[], T]) -> T:
        return await _run(self._uploads, work)

    async def stream(self, open_stream: Callable[[], Iterable[T]]) -> AsyncIterator[T]:
        """The messages of a blocking stream (a generator reading the store), each made on a
        pool thread."""
        messages = await self(lambda: iter(open_stream()))
        while (message := await self(functools.partial(next, messages, None))) is not None:
            yield message

    def shutdown(self) -> None:
        """Let the work already running finish (the event loop must still run: an upload's
        thread reads its chunks from it) and stop the threads."""
        self._calls.shutdown(wait=True, cancel_futures=True)
        self._uploads.shutdown(wait=True, cancel_futures=True)


async def _run(pool: ThreadPoolExecutor, work: Callable[[], T]) -> T:
    # The call's contextvars (what its interceptors set, e.g. who is calling) go with it.
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(pool, context.run, work)
