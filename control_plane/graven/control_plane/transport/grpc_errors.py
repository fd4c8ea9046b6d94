"""Maps domain errors to gRPC status codes: the one place the two meet."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import grpc

from graven.control_plane import errors

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[errors.ServiceError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def status_of(error: errors.ServiceError) -> grpc.StatusCode:
    for cls, status in STATUS_BY_ERROR.items():
        if isinstance(error, cls):
            return status
    return grpc.StatusCode.INTERNAL


F = TypeVar("F", bound=Callable[..., Any])


def grpc_method(method: F) -> F:
    """Wrap a unary or client-streaming servicer method: domain errors become their status,
    bugs become INTERNAL with the traceback in the server log (never in the client's message)."""

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except Exception as e:
            _abort(context, e, method)

    return cast(F, wrapper)


def grpc_stream_method(method: F) -> F:
    """The same for a server-streaming method (a generator): errors raised before the first
    response or between two responses end the stream with their status."""

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from method(self, request, context)
        except Exception as e:
            _abort(context, e, method)

    return cast(F, wrapper)


def _abort(context: grpc.ServicerContext, error: Exception, method: Callable[..., Any]) -> None:
    if isinstance(error, errors.ServiceError):
        context.abort(status_of(error), str(error))
    log.exception("%s failed", method.__qualname__)
    context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
