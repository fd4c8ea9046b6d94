"""Authentication and authorization of every Connect call (the console's API): the same
guard and policy table as gRPC, the token read from the ``Authorization`` header."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from graven.control_plane.auth.caller import CALLER
from graven.control_plane.auth.credentials import bearer_secret
from graven.control_plane.auth.errors import Hidden, PermissionDenied, Unauthenticated
from graven.control_plane.auth.guard import Guard
from graven.control_plane.auth.policy import Rule
from graven.control_plane.errors import InvalidArgument

log = logging.getLogger(__name__)

Context: TypeAlias = "RequestContext[Any, Any]"
CODES: dict[type[Exception], Code] = {
    Unauthenticated: Code.UNAUTHENTICATED,
    PermissionDenied: Code.PERMISSION_DENIED,
    Hidden: Code.NOT_FOUND,
    InvalidArgument: Code.INVALID_ARGUMENT,
}
REFUSALS = tuple(CODES)


class ConnectAuth:
    """A connectrpc interceptor of unary, server- and client-streaming calls."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    async def intercept_unary(
        self, call_next: Callable[[Any, Context], Awaitable[Any]], request: Any, ctx: Context
    ) -> Any:
        method, principal, rule = await self._admit(request, ctx)
        answer = await call_next(request, ctx)
        try:
            self._guard.check_answer(method, rule, principal, answer)
        except PermissionDenied as refusal:
            raise _connect_error(refusal) from None
        return answer

    async def intercept_server_stream(
        self, call_next: Callable[[Any, Context], AsyncIterator[Any]], request: Any, ctx: Context
    ) -> AsyncIterator[Any]:
        await self._admit(request, ctx)
        async for answer in call_next(request, ctx):
            yield answer

    async def intercept_client_stream(
        self,
        call_next: Callable[[AsyncIterator[Any], Context], Awaitable[Any]],
        request: AsyncIterator[Any],
        ctx: Context,
    ) -> Any:
        try:
            await self._admit(None, ctx)
        except ConnectError:
            # Read the (capped) body first: an answer sent over unread request bytes is lost
            # when the server closes the connection, which the client sees as a reset.
            with contextlib.suppress(ConnectError):
                async for _ in request:
                    pass
            raise
        return await call_next(request, ctx)

    async def _admit(self, request: Any, ctx: Context) -> tuple[str, Any, Rule]:
        info = ctx.method()
        method = f"/{info.service_name}/{info.name}"
        secret = bearer_secret(ctx.request_headers().get("authorization"))
        try:
            if self._guard.needs_lookup(secret):
                principal = await asyncio.to_thread(self._guard.authenticate, secret)
            else:
                principal = self._guard.authenticate(secret)
            rule = self._guard.admit(method, principal, request)
        except REFUSALS as refusal:
            raise _connect_error(refusal) from None
        CALLER.set(principal)
        return method, principal, rule


def _connect_error(refusal: Exception) -> ConnectError:
    return ConnectError(CODES[type(refusal)], str(refusal))
