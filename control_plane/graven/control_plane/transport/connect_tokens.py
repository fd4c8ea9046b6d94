"""TokenService over Connect: each method hands the request to the service layer, in the
context of the call, because the service records who creates a token."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import TypeVar

from graven.control_plane.service.tokens import TokenService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import token_service_connect as tk_connect
from graven.v1 import token_service_pb2 as tk

Req = TypeVar("Req")
Res = TypeVar("Res")


class TokenConnect(tk_connect.TokenService):
    def __init__(self, tokens: TokenService, blocking: Blocking) -> None:
        self._tokens = tokens
        self._blocking = blocking

    async def create_token(
        self, request: tk.CreateTokenRequest, ctx: Context
    ) -> tk.CreateTokenResponse:
        return await self._blocking.call(_in_this_context(self._tokens.create_token), request)

    async def list_tokens(
        self, request: tk.ListTokensRequest, ctx: Context
    ) -> tk.ListTokensResponse:
        return await self._blocking.call(_in_this_context(self._tokens.list_tokens), request)

    async def revoke_token(
        self, request: tk.RevokeTokenRequest, ctx: Context
    ) -> tk.RevokeTokenResponse:
        return await self._blocking.call(_in_this_context(self._tokens.revoke_token), request)


def _in_this_context(method: Callable[[Req], Res]) -> Callable[[Req], Res]:
    """``method`` run in a copy of the current context: a worker thread of Blocking does not
    inherit the caller the authentication interceptor set (CALLER), which the service
    records as the token's creator."""
    context = contextvars.copy_context()

    @functools.wraps(method)
    def run(request: Req) -> Res:
        return context.run(method, request)

    return run
