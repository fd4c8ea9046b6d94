"""Runs the service layer (blocking: SQLAlchemy, the object store) for the
Connect adapters, which serve on an event loop, so one slow call never stalls the others."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from connectrpc.request import RequestContext

from graven.control_plane.service.watch import Cancellation
from graven.control_plane.transport.client_limits import ClientLimit, http_client
from graven.control_plane.transport.connect_cancellation import request_cancellation
from graven.control_plane.transport.connect_errors import connect_error

Req = TypeVar("Req")
Res = TypeVar("Res")

# The adapters ignore it: deadlines and hang-ups reach the service layer as a Cancellation.
Context = RequestContext[Any, Any]
# As many unary calls at once as the gRPC server's workers.
CALL_WORKERS = 16
# Content streams get threads of their own, so that slow readers never starve the unary
# calls. Watches hold none: they wait on the event loop (watch()).
STREAM_WORKERS = 64


class Blocking:
    def __init__(
        self,
        max_watches_per_client: int,
        call_workers: int = CALL_WORKERS,
        stream_workers: int = STREAM_WORKERS,
    ) -> None:
        self._calls = ThreadPoolExecutor(call_workers, thread_name_prefix="connect")
        self._streams = ThreadPoolExecutor(stream_workers, thread_name_prefix="connect-stream")
        # Used on the HTTP server's event loop only.
        self._watches = ClientLimit(
            max_watches_per_client, "WatchExecution streams", "max_watches_per_client"
        )

    async def call(self, method: Callable[[Req], Res], request: Req) -> Res:
        """``method(request)`` on a worker thread; a domain error becomes its Connect error."""
        try:
            return await self.offload(functools.partial(method, request))
        except Exception as error:
            raise connect_error(error, method.__qualname__) from None

    async def offload(self, work: Callable[[], Res]) -> Res:
        """``work()`` on a worker thread, in a copy of this call's context: run_in_executor
        does not carry contextvars, and the service reads the caller (auth.caller.CALLER)
        that authentication set in it."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._calls, context.run, work)

    async def watch(
        self,
        open_watch: Callable[[Cancellation], AsyncIterable[Res]],
        name: str,
        client: str | None,
    ) -> AsyncIterator[Res]:
        """The messages of a watch, which waits on the event loop holding no thread; it is
        opened (its request checked) on a worker thread. It ends when the request's
        Cancellation fires (client gone, server stopping) or this generator is closed.
        ``client`` ("host:port") may have at most so many watches open."""
        cancellation = request_cancellation()
        try:
            with self._watches.held(http_client(client)):
                messages = await self.offload(functools.partial(open_watch, cancellation))
                async for message in messages:
                    yield message
        except Exception as error:
            raise connect_error(error, name) from None
        finally:
            cancellation.cancel()

    async def stream(
        self, open_stream: Callable[[Cancellation], Iterable[Res]], name: str
    ) -> AsyncIterator[Res]:
        """The messages of a blocking stream, each read on a stream thread. The stream ends
        its waits when the request's Cancellation fires (client gone, server stopping) or
        this generator is closed."""
        cancellation = request_cancellation()
        loop = asyncio.get_running_loop()
        # One context for the stream's reads, which run one after another (as offload).
        context = contextvars.copy_context()
        try:
            messages: Iterator[Res] = iter(
                await loop.run_in_executor(self._streams, context.run, open_stream, cancellation)
            )
            while (
                message := await loop.run_in_executor(self._streams, context.run, _next, messages)
            ) is not None:
                yield message
        except Exception as error:
            raise connect_error(error, name) from None
        finally:
            cancellation.cancel()

    def close(self) -> None:
        """Wait for the running calls (streams end at their cancellation) and stop."""
        self._calls.shutdown(wait=True, cancel_futures=True)
        self._streams.shutdown(wait=True, cancel_futures=True)


def _next(messages: Iterator[Res]) -> Res | None:
    return next(messages, None)
