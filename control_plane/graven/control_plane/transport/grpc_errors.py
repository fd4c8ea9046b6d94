"""Maps domain errors to gRPC status codes (the one place the two meet), in the wrappers
that run each servicer method's blocking body off the server's event loop."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, NoReturn, Protocol, TypeAlias, TypeVar

import grpc

from graven.control_plane import errors
from graven.control_plane.transport.grpc_offload import Offload

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[errors.ServiceError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.DataLoss: grpc.StatusCode.DATA_LOSS,
}


def status_of(error: errors.ServiceError) -> grpc.StatusCode:
    for cls, status in STATUS_BY_ERROR.items():
        if isinstance(error, cls):
            return status
    return grpc.StatusCode.INTERNAL


S = TypeVar("S", bound="Offloaded")
Req = TypeVar("Req")
Res = TypeVar("Res")
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class Offloaded(Protocol):
    """A servicer whose blocking work runs on the pool its server gave it."""

    offload: Offload


def grpc_method(
    method: Callable[[S, Req], Res],
) -> Callable[[S, Req, Context], Coroutine[Any, Any, Res]]:
    """A unary servicer method: its (blocking) body runs on the servicer's pool while the
    event loop serves other calls; domain errors become their status, bugs become INTERNAL
    with the traceback in the server log (never in the client's message)."""

    @functools.wraps(method)
    async def wrapper(self: S, request: Req, context: Context) -> Res:
        try:
            return await self.offload(functools.partial(method, self, request))
        except Exception as error:
            await abort(context, error, method.__qualname__)

    return wrapper


def grpc_async_method(
    method: Callable[[S, Req, Context], Coroutine[Any, Any, Res]],
) -> Callable[[S, Req, Context], Coroutine[Any, Any, Res]]:
    """The same for a unary method that waits on the event loop (a long poll) and offloads
    its own blocking steps."""

    @functools.wraps(method)
    async def wrapper(self: S, request: Req, context: Context) -> Res:
        try:
            return await method(self, request, context)
        except Exception as error:
            await abort(context, error, method.__qualname__)

    return wrapper


def grpc_upload_method(
    method: Callable[[S, Iterator[Req]], Res],
) -> Callable[[S, AsyncIterator[Req], Context], Coroutine[Any, Any, Res]]:
    """The same for a client-streaming method: the body reads the request messages as a
    plain iterator on an upload thread, each message received on the event loop."""

    @functools.wraps(method)
    async def wrapper(self: S, requests: AsyncIterator[Req], context: Context) -> Res:
        messages = _blocking_iterator(requests, asyncio.get_running_loop())
        try:
            return await self.offload.upload(functools.partial(method, self, messages))
        except Exception as error:
            await abort(context, error, method.__qualname__)

    return wrapper


def grpc_stream_method(
    method: Callable[[S, Req, Context], AsyncIterator[Res]],
) -> Callable[[S, Req, Context], AsyncIterator[Res]]:
    """The same for a server-streaming method (an async generator, which offloads its own
    blocking steps): errors raised before the first response or between two responses end
    the stream with their status."""

    @functools.wraps(method)
    async def wrapper(self: S, request: Req, context: Context) -> AsyncIterator[Res]:
        try:
            async for response in method(self, request, context):
                yield response
        except Exception as error:
            await abort(context, error, method.__qualname__)

    return wrapper


async def abort(context: Context, error: Exception, name: str) -> NoReturn:
    if isinstance(error, grpc.aio.AbortError):
        # The handler already ended the call with its own status.
        raise error
    if isinstance(error, errors.ServiceError):
        await context.abort(status_of(error), str(error))
    log.error("%s failed", name, exc_info=error)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")


def _blocking_iterator(
    messages: AsyncIterator[Req], loop: asyncio.AbstractEventLoop
) -> Iterator[Req]:
    async def receive() -> Req:
        return await anext(messages)

    while True:
        try:
            # The pool thread waits while the event loop receives the next message.
            yield asyncio.run_coroutine_threadsafe(receive(), loop).result()
        except StopAsyncIteration:
            return
