"""Maps domain errors to gRPC status codes: the one place the two meet."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
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
    """Wrap a unary servicer method: domain errors become their status, bugs become INTERNAL
    with the traceback in the server log (never in the client's message)."""

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except errors.ServiceError as e:
            context.abort(status_of(e), str(e))
        except Exception:
            log.exception("%s failed", method.__qualname__)
            context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")

    return cast(F, wrapper)
