"""TokenService over Connect (the console's and HTTP clients' API), against a real control
plane's HTTP port: an admin of every project creates, lists and revokes tokens; any other
caller is refused with the code gRPC gives, and a call without a token is unauthenticated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from auth_support import ConnectBearer, admin_token, remember
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.v1 import execution_service_pb2 as es
from graven.v1 import token_service_pb2 as tk
from graven.v1.execution_service_connect import ExecutionServiceClientSync
from graven.v1.token_service_connect import TokenServiceClientSync

WAIT_MS = 10_000
EVERYWHERE = tk.TokenScope(project="*", domain="*")


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    home = tmp_path_factory.mktemp("connect-tokens-home")
    plane = ControlPlane(Settings.for_home(home, grpc_port=0, http_port=0))
    plane.start()
    yield remember(plane)
    plane.stop(grace=None)


def tokens_as(plane: ControlPlane, secret: str | None) -> TokenServiceClientSync:
    interceptors = [] if secret is None else [ConnectBearer(secret)]
    return TokenServiceClientSync(
        f"http://127.0.0.1:{plane.http_port}", interceptors=interceptors, timeout_ms=WAIT_MS
    )


def executions_as(plane: ControlPlane, secret: str) -> ExecutionServiceClientSync:
    return ExecutionServiceClientSync(
        f"http://127.0.0.1:{plane.http_port}",
        interceptors=[ConnectBearer(secret)],
        timeout_ms=WAIT_MS,
    )


def create(
    plane: ControlPlane, role: tk.TokenRole, *scopes: tk.TokenScope
) -> tk.CreateTokenResponse:
    request = tk.CreateTokenRequest(
        name=f"connect-{uuid.uuid4().hex[:10]}", role=role, scopes=scopes or [EVERYWHERE]
    )
    return tokens_as(plane, admin_token(plane)).create_token(request)


def names(listed: tk.ListTokensResponse) -> set[str]:
    return {token.name for token in listed.tokens}


def test_an_admin_creates_lists_and_revokes_tokens_over_connect(plane: ControlPlane) -> None:
    admin = tokens_as(plane, admin_token(plane))
    scope = tk.TokenScope(project="alpha", domain="dev")
    created = create(plane, tk.TOKEN_ROLE_VIEWER, scope)
    assert created.secret
    assert created.token.role == tk.TOKEN_ROLE_VIEWER
    assert list(created.token.scopes) == [scope]
    # The creator is the caller the authentication interceptor admitted: the home's admin.
    assert created.token.created_by.startswith("home-admin-")
    assert not created.token.HasField("revoked_at")

    # The new secret is a working credential over Connect, within its scope.
    viewer = executions_as(plane, created.secret)
    viewer.list_executions(es.ListExecutionsRequest(project="alpha", domain="dev"))

    assert created.token.name in names(admin.list_tokens(tk.ListTokensRequest(page_size=1000)))

    revoked = admin.revoke_token(tk.RevokeTokenRequest(name=created.token.name))
    assert revoked.token.HasField("revoked_at")
    assert created.token.name not in names(admin.list_tokens(tk.ListTokensRequest(page_size=1000)))
    assert created.token.name in names(
        admin.list_tokens(tk.ListTokensRequest(page_size=1000, include_revoked=True))
    )
    with pytest.raises(ConnectError) as refused:
        viewer.list_executions(es.ListExecutionsRequest(project="alpha", domain="dev"))
    assert refused.value.code == Code.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (tk.TOKEN_ROLE_VIEWER, EVERYWHERE),
        (tk.TOKEN_ROLE_LAUNCHER, EVERYWHERE),
        (tk.TOKEN_ROLE_REGISTRAR, EVERYWHERE),
        # An admin of one project administers that project, not the tokens of all of them.
        (tk.TOKEN_ROLE_ADMIN, tk.TokenScope(project="alpha", domain="*")),
    ],
)
def test_a_caller_who_is_not_an_admin_everywhere_is_permission_denied(
    plane: ControlPlane, role: tk.TokenRole, scope: tk.TokenScope
) -> None:
    caller = tokens_as(plane, create(plane, role, scope).secret)
    target = create(plane, tk.TOKEN_ROLE_VIEWER).token.name
    calls = (
        lambda: caller.create_token(
            tk.CreateTokenRequest(name=f"x-{uuid.uuid4().hex[:8]}", role=role, scopes=[scope])
        ),
        lambda: caller.list_tokens(tk.ListTokensRequest()),
        lambda: caller.revoke_token(tk.RevokeTokenRequest(name=target)),
    )
    for call in calls:
        with pytest.raises(ConnectError) as refused:
            call()
        assert refused.value.code == Code.PERMISSION_DENIED
    # The refused revocation changed nothing.
    admin = tokens_as(plane, admin_token(plane))
    assert target in names(admin.list_tokens(tk.ListTokensRequest(page_size=1000)))


@pytest.mark.parametrize("secret", [None, "gvn_not-a-token"])
def test_token_calls_without_a_valid_token_are_unauthenticated(
    plane: ControlPlane, secret: str | None
) -> None:
    anonymous = tokens_as(plane, secret)
    calls = (
        lambda: anonymous.create_token(
            tk.CreateTokenRequest(name="anonymous", role=tk.TOKEN_ROLE_ADMIN, scopes=[EVERYWHERE])
        ),
        lambda: anonymous.list_tokens(tk.ListTokensRequest()),
        lambda: anonymous.revoke_token(tk.RevokeTokenRequest(name="anonymous")),
    )
    for call in calls:
        with pytest.raises(ConnectError) as refused:
            call()
        assert refused.value.code == Code.UNAUTHENTICATED


def test_a_bad_request_from_an_admin_is_invalid_argument(plane: ControlPlane) -> None:
    admin = tokens_as(plane, admin_token(plane))
    with pytest.raises(ConnectError) as refused:
        admin.create_token(tk.CreateTokenRequest(name="no scopes", role=tk.TOKEN_ROLE_VIEWER))
    assert refused.value.code == Code.INVALID_ARGUMENT
    with pytest.raises(ConnectError) as missing:
        admin.revoke_token(tk.RevokeTokenRequest(name="never-created"))
    assert missing.value.code == Code.NOT_FOUND
