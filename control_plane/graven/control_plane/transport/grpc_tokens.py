"""TokenService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.tokens import TokenService
from graven.control_plane.transport.grpc_errors import grpc_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import token_service_pb2 as tk
from graven.v1 import token_service_pb2_grpc as tk_grpc


class TokenServicer(tk_grpc.TokenServiceServicer):
    service_name = tk.DESCRIPTOR.services_by_name["TokenService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        tk_grpc.add_TokenServiceServicer_to_server(self, server)

    @grpc_method
    def CreateToken(self, request: tk.CreateTokenRequest) -> tk.CreateTokenResponse:
        return self._tokens.create_token(request)

    @grpc_method
    def ListTokens(self, request: tk.ListTokensRequest) -> tk.ListTokensResponse:
        return self._tokens.list_tokens(request)

    @grpc_method
    def RevokeToken(self, request: tk.RevokeTokenRequest) -> tk.RevokeTokenResponse:
        return self._tokens.revoke_token(request)
