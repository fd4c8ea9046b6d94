"""Requests whose bytes do not parse are the client's mistake: INVALID_ARGUMENT.

grpcio answers INTERNAL when a request deserializer raises, so every handler gets a lenient
deserializer (an undecodable request becomes a marker) and rejects the marker itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from graven.control_plane.errors import InvalidArgument

Behavior = Callable[[Any, grpc.ServicerContext], Any]

HANDLER_KINDS = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler, False),
    ("unary_stream", grpc.unary_stream_rpc_method_handler, False),
    ("stream_unary", grpc.stream_unary_rpc_method_handler, True),
    ("stream_stream", grpc.stream_stream_rpc_method_handler, True),
)


class Undecodable:
    def __init__(self, error: DecodeError) -> None:
        self.reason = str(error)


class DecodeErrorInterceptor(grpc.ServerInterceptor):
    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        deserialize = handler.request_deserializer

        def parse(data: bytes) -> Any:
            try:
                return deserialize(data)
            except DecodeError as error:
                return Undecodable(error)

        for kind, make_handler, request_streaming in HANDLER_KINDS:
            behavior: Behavior | None = getattr(handler, kind)
            if behavior is not None:
                checked = _streaming(behavior) if request_streaming else _unary(behavior)
                return make_handler(checked, parse, handler.response_serializer)
        return handler


def _unary(behavior: Behavior) -> Behavior:
    def checked(request: Any, context: grpc.ServicerContext) -> Any:
        if isinstance(request, Undecodable):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"request: {request.reason}")
        return behavior(request, context)

    return checked


def _streaming(behavior: Behavior) -> Behavior:
    """The servicer meets the bad message while reading the stream; it raises the domain
    error there, which the servicer's grpc_method wrapper turns into the status."""

    def decoded(requests: Iterator[Any]) -> Iterator[Any]:
        for request in requests:
            if isinstance(request, Undecodable):
                raise InvalidArgument("request", request.reason)
            yield request

    def checked(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        return behavior(decoded(requests), context)

    return checked
