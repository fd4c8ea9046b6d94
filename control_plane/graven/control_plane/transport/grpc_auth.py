"""Authentication and authorization of every gRPC call but health and reflection.

The token is checked when the call arrives, from its metadata, before its request is even
decoded: a call without a valid token learns nothing, not even whether its bytes parse. The
rule of its method is checked on the decoded request, before the servicer runs; answers the
policy checks (content-addressed lineage) are checked before they are sent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeAlias

import grpc
from google.protobuf.message import Message

from graven.control_plane.auth.caller import CALLER
from graven.control_plane.auth.credentials import bearer_secret
from graven.control_plane.auth.errors import Hidden, PermissionDenied, Unauthenticated
from graven.control_plane.auth.guard import Guard
from graven.control_plane.auth.policy import Rule, exempt
from graven.control_plane.auth.principals import Principal
from graven.control_plane.errors import InvalidArgument

log = logging.getLogger(__name__)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
STATUS: dict[type[Exception], grpc.StatusCode] = {
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Hidden: grpc.StatusCode.NOT_FOUND,
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
}
REFUSALS = tuple(STATUS)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        method: str = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is None or exempt(method):
            return handler
        secret = bearer_secret(_authorization(handler_call_details.invocation_metadata))
        try:
            if self._guard.needs_lookup(secret):
                # A database read: off the event loop.
                principal = await asyncio.to_thread(self._guard.authenticate, secret)
            else:
                principal = self._guard.authenticate(secret)
        except Unauthenticated as refusal:
            return _refusing(handler, refusal)
        return _admitting(handler, _Admission(self._guard, method, principal))


class _Admission:
    def __init__(self, guard: Guard, method: str, principal: Principal) -> None:
        self.guard = guard
        self.method = method
        self.principal = principal

    async def admit(self, request: Any, context: Context) -> Rule:
        """Abort the call unless its rule allows it (checked on the request; a request
        stream names no place); the rule, for the answer's check."""
        # An undecodable request is refused by the decoding interceptor that runs next.
        named = request if isinstance(request, Message) else None
        try:
            rule = self.guard.admit(self.method, self.principal, named)
        except REFUSALS as refusal:
            log.info("%s refused for %s: %s", self.method, self.principal.name, refusal)
            await _abort(context, refusal)
        CALLER.set(self.principal)
        return rule

    async def check_answer(self, rule: Rule, answer: Any, context: Context) -> None:
        try:
            self.guard.check_answer(self.method, rule, self.principal, answer)
        except PermissionDenied as refusal:
            await _abort(context, refusal)


def _admitting(handler: Handler, admission: _Admission) -> Handler:
    deserialize, serialize = handler.request_deserializer, handler.response_serializer
    if handler.unary_unary is not None:
        unary: Callable[..., Any] = handler.unary_unary

        async def unary_unary(request: Any, context: Context) -> Any:
            rule = await admission.admit(request, context)
            answer = await unary(request, context)
            await admission.check_answer(rule, answer, context)
            return answer

        return grpc.unary_unary_rpc_method_handler(unary_unary, deserialize, serialize)
    if handler.unary_stream is not None:
        streaming: Callable[..., Any] = handler.unary_stream
        if not inspect.isasyncgenfunction(streaming):

            async def written(request: Any, context: Context) -> None:
                await admission.admit(request, context)
                await streaming(request, context)

            return grpc.unary_stream_rpc_method_handler(written, deserialize, serialize)

        async def unary_stream(request: Any, context: Context) -> AsyncIterator[Any]:
            await admission.admit(request, context)
            async for answer in streaming(request, context):
                yield answer

        return grpc.unary_stream_rpc_method_handler(unary_stream, deserialize, serialize)
    if handler.stream_unary is not None:
        upload: Callable[..., Any] = handler.stream_unary

        async def stream_unary(requests: AsyncIterator[Any], context: Context) -> Any:
            await admission.admit(None, context)
            return await upload(requests, context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, deserialize, serialize)
    raise TypeError(f"{admission.method}: bidirectional streams are not served")


def _refusing(handler: Handler, refusal: Unauthenticated) -> Handler:
    """A handler of the same kind that answers UNAUTHENTICATED without decoding anything."""

    async def refuse(_request: Any, context: Context) -> NoReturn:
        await _abort(context, refusal)

    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(refuse)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(refuse)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(refuse)
    return grpc.stream_stream_rpc_method_handler(refuse)


async def _abort(context: Context, refusal: Exception) -> NoReturn:
    await context.abort(STATUS[type(refusal)], str(refusal))
    raise AssertionError("unreachable: abort raises")


def _authorization(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization":
            return str(value)
    return None
