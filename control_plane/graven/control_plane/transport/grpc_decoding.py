"""Requests whose bytes do not parse are the client's mistake: INVALID_ARGUMENT.

grpcio answers INTERNAL when a request deserializer raises, so every handler gets a lenient
deserializer (an undecodable request becomes a marker) and rejects the marker itself.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

from graven.control_plane.errors import InvalidArgument

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class Undecodable:
    def __init__(self, error: DecodeError) -> None:
        self.reason = str(error)


class DecodeErrorInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        deserialize = handler.request_deserializer

        def parse(data: bytes) -> Any:
            try:
                return deserialize(data)
            except DecodeError as error:
                return Undecodable(error)

        serialize = handler.response_serializer
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _unary_unary(handler.unary_unary), parse, serialize
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _unary_stream(handler.unary_stream), parse, serialize
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                _stream_unary(handler.stream_unary), parse, serialize
            )
        if handler.stream_stream is not None:
            return grpc.stream_stream_rpc_method_handler(
                _stream_stream(handler.stream_stream), parse, serialize
            )
        return handler


async def _checked(request: Any, context: Context) -> None:
    if isinstance(request, Undecodable):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"request: {request.reason}")


async def _decoded(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A streaming servicer meets the bad message while reading the stream; it raises the
    domain error there, which the servicer's grpc_errors wrapper turns into the status."""
    async for request in requests:
        if isinstance(request, Undecodable):
            raise InvalidArgument("request", request.reason)
        yield request


def _unary_unary(behavior: Callable[..., Any]) -> Callable[..., Any]:
    async def checked(request: Any, context: Context) -> Any:
        await _checked(request, context)
        return await behavior(request, context)

    return checked


def _unary_stream(behavior: Callable[..., Any]) -> Callable[..., Any]:
    if not inspect.isasyncgenfunction(behavior):
        # A handler that sends with context.write (the health service's Watch).
        return _unary_unary(behavior)

    async def checked(request: Any, context: Context) -> AsyncIterator[Any]:
        await _checked(request, context)
        async for response in behavior(request, context):
            yield response

    return checked


def _stream_unary(behavior: Callable[..., Any]) -> Callable[..., Any]:
    async def checked(requests: AsyncIterator[Any], context: Context) -> Any:
        return await behavior(_decoded(requests), context)

    return checked


def _stream_stream(behavior: Callable[..., Any]) -> Callable[..., Any]:
    if not inspect.isasyncgenfunction(behavior):
        return _stream_unary(behavior)

    async def checked(requests: AsyncIterator[Any], context: Context) -> AsyncIterator[Any]:
        async for response in behavior(_decoded(requests), context):
            yield response

    return checked
