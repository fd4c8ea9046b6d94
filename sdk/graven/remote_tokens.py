"""Remote's token calls (admin only): create, list and revoke bearer tokens."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence

from google.protobuf.duration_pb2 import Duration

from graven.remote_pages import pages
from graven.v1 import token_service_pb2 as tk
from graven.v1.token_service_pb2_grpc import TokenServiceStub

ROLES = {
    "viewer": tk.TOKEN_ROLE_VIEWER,
    "launcher": tk.TOKEN_ROLE_LAUNCHER,
    "registrar": tk.TOKEN_ROLE_REGISTRAR,
    "admin": tk.TOKEN_ROLE_ADMIN,
}


class TokenCalls:
    """Mixed into ``Remote``, which supplies the stub."""

    token_service: TokenServiceStub

    def create_token(
        self,
        name: str,
        role: str,
        scopes: Sequence[tuple[str, str]],
        *,
        agent: bool = False,
        expires_in: datetime.timedelta | None = None,
    ) -> tk.CreateTokenResponse:
        """The new token and its secret, which nothing can show again."""
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
        request = tk.CreateTokenRequest(
            name=name,
            kind=tk.TOKEN_KIND_AGENT if agent else tk.TOKEN_KIND_USER,
            role=ROLES[role],
            scopes=[tk.TokenScope(project=p, domain=d) for p, d in scopes],
        )
        if expires_in is not None:
            request.expires_in.CopyFrom(Duration())
            request.expires_in.FromTimedelta(expires_in)
        return self.token_service.CreateToken(request)

    def tokens(self, include_revoked: bool = False) -> Iterator[tk.Token]:
        """Newest first, across as many pages as the caller reads; never a secret."""
        request = tk.ListTokensRequest(include_revoked=include_revoked)
        return pages(self.token_service.ListTokens, request, "tokens")

    def revoke_token(self, name: str) -> tk.Token:
        return self.token_service.RevokeToken(tk.RevokeTokenRequest(name=name)).token
