"""TokenService over Connect: each method hands the request to the service layer (Blocking
runs it in the call's context, where the service finds who creates a token)."""

from __future__ import annotations

from graven.control_plane.service.tokens import TokenService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import token_service_connect as tk_connect
from graven.v1 import token_service_pb2 as tk


class TokenConnect(tk_connect.TokenService):
    def __init__(self, tokens: TokenService, blocking: Blocking) -> None:
        self._tokens = tokens
        self._blocking = blocking

    async def create_token(
        self, request: tk.CreateTokenRequest, ctx: Context
    ) -> tk.CreateTokenResponse:
        return await self._blocking.call(self._tokens.create_token, request)

    async def list_tokens(
        self, request: tk.ListTokensRequest, ctx: Context
    ) -> tk.ListTokensResponse:
        return await self._blocking.call(self._tokens.list_tokens, request)

    async def revoke_token(
        self, request: tk.RevokeTokenRequest, ctx: Context
    ) -> tk.RevokeTokenResponse:
        return await self._blocking.call(self._tokens.revoke_token, request)
