"""TokenService: bearer tokens created (the secret answered once), listed and revoked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

from graven.control_plane.auth.caller import caller_name
from graven.control_plane.auth.credentials import new_secret, secret_hash
from graven.control_plane.auth.principals import ANY, Kind, Role, Scope
from graven.control_plane.errors import InvalidArgument, NotFound
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.token_repository import TokenRecord, TokenRepository
from graven.control_plane.service.paging import decode_page_token, page_size, paginate
from graven.control_plane.service.validation import check_name
from graven.v1 import token_service_pb2 as tk

TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
MAX_SCOPES = 100


class TokenService:
    def __init__(self, repository: TokenRepository, revoked: Callable[[], None]) -> None:
        """``revoked`` is called after each revocation (the authentication cache forgets)."""
        self._repository = repository
        self._revoked = revoked

    def create_token(self, request: tk.CreateTokenRequest) -> tk.CreateTokenResponse:
        check_token_name(request.name, "name")
        if request.kind not in (tk.TOKEN_KIND_UNSPECIFIED, *Kind):
            raise InvalidArgument("kind", f"{request.kind} is not a token kind")
        kind = Kind(request.kind or tk.TOKEN_KIND_USER)
        if request.role not in {int(role) for role in Role}:
            raise InvalidArgument("role", "must be viewer, launcher, registrar or admin")
        if not request.scopes or len(request.scopes) > MAX_SCOPES:
            raise InvalidArgument("scopes", f"give 1 to {MAX_SCOPES} project/domain scopes")
        scopes = tuple(
            _checked_scope(scope, f"scopes[{i}]") for i, scope in enumerate(request.scopes)
        )
        now = datetime.now(UTC)
        expires_at = None
        if request.HasField("expires_in"):
            lifetime = request.expires_in.ToTimedelta()
            if lifetime <= timedelta(0):
                raise InvalidArgument("expires_in", "must be positive")
            expires_at = now + lifetime
        secret = new_secret()
        record = self._repository.create(
            TokenRecord(
                name=request.name,
                kind=kind,
                role=Role(request.role),
                scopes=tuple(dict.fromkeys(scopes)),
                created_at=now,
                created_by=caller_name(),
                expires_at=expires_at,
            ),
            secret_hash(secret),
        )
        return tk.CreateTokenResponse(token=token_proto(record), secret=secret)

    def list_tokens(self, request: tk.ListTokensRequest) -> tk.ListTokensResponse:
        size = page_size(request.page_size)
        query = [int(request.include_revoked)]
        after = decode_page_token(request.page_token, query, int)
        rows = self._repository.page(after, size + 1, request.include_revoked)
        page, next_token = paginate(rows, size, query, lambda record: record.id)
        return tk.ListTokensResponse(
            tokens=[token_proto(record) for record in page], next_page_token=next_token
        )

    def revoke_token(self, request: tk.RevokeTokenRequest) -> tk.RevokeTokenResponse:
        check_token_name(request.name, "name")
        record = self._repository.revoke(request.name, datetime.now(UTC))
        if record is None:
            raise NotFound(f"no token is named {request.name!r}")
        self._revoked()
        return tk.RevokeTokenResponse(token=token_proto(record))


def check_token_name(name: str, field: str) -> None:
    if not TOKEN_NAME.fullmatch(name):
        raise InvalidArgument(
            field,
            "must be 1 to 63 letters, digits, '.', '_' or '-', starting with one of the first two",
        )


def _checked_scope(scope: tk.TokenScope, field: str) -> Scope:
    if scope.project != ANY:
        check_name("project", scope.project, f"{field}.project")
    if scope.domain != ANY:
        check_name("domain", scope.domain, f"{field}.domain")
    return Scope(scope.project, scope.domain)


def token_proto(record: TokenRecord) -> tk.Token:
    token = tk.Token(
        name=record.name,
        kind=cast(tk.TokenKind, int(record.kind)),
        role=cast(tk.TokenRole, int(record.role)),
        scopes=[tk.TokenScope(project=s.project, domain=s.domain) for s in record.scopes],
        created_at=to_timestamp(record.created_at),
        created_by=record.created_by,
    )
    if record.expires_at is not None:
        token.expires_at.CopyFrom(to_timestamp(record.expires_at))
    if record.revoked_at is not None:
        token.revoked_at.CopyFrom(to_timestamp(record.revoked_at))
    return token
