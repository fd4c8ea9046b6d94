"""Without a valid token every rpc but health and reflection is UNAUTHENTICATED, over gRPC
and over Connect (the console's HTTP API), and the refusal comes before the request is even
decoded. A wrong, expired or revoked token is refused the same way."""

from __future__ import annotations

import json
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta

import grpc
import pytest
from auth_cases import WAIT, client, create_token
from auth_support import admin_token, remember
from google.protobuf.duration_pb2 import Duration
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from test_policy import METHODS, SERVICES

from graven.channels import open_channel
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.v1 import execution_service_pb2 as es
from graven.v1 import token_service_pb2 as tk

# The services the console's Connect API serves (AgentService and TokenService are gRPC's).
CONNECT_SERVICES = ("RegistryService", "ExecutionService", "LineageService", "CacheService",
                    "SignalService")  # fmt: skip
# Connect's stream envelope: 1 flag byte, 4 length bytes; 0x02 ends the stream.
END_STREAM = 0x02


def streaming(method: str) -> tuple[bool, bool]:
    """(client streaming, server streaming) of a full method name."""
    for path in SERVICES:
        module = __import__(f"graven.v1.{path.stem}", fromlist=["DESCRIPTOR"])
        for service in module.DESCRIPTOR.services_by_name.values():
            for rpc in service.methods:
                if f"/{service.full_name}/{rpc.name}" == method:
                    return rpc.client_streaming, rpc.server_streaming
    raise KeyError(method)


def raw_call(channel: grpc.Channel, method: str, body: bytes) -> grpc.StatusCode:
    """Call ``method`` with undecoded bytes (so a refusal before decoding is seen as such)."""
    client_streams, server_streams = streaming(method)
    identity = {"request_serializer": lambda b: b, "response_deserializer": lambda b: b}
    try:
        if client_streams:
            channel.stream_unary(method, **identity)(iter([body]), timeout=WAIT)
        elif server_streams:
            list(channel.unary_stream(method, **identity)(body, timeout=WAIT))
        else:
            channel.unary_unary(method, **identity)(body, timeout=WAIT)
    except grpc.RpcError as error:
        code: grpc.StatusCode = error.code()
        return code
    return grpc.StatusCode.OK


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("token", [None, "gvn_not-a-token", "Basic dXNlcjpwYXNz"])
def test_without_a_valid_token_every_rpc_is_unauthenticated(
    control_plane: ControlPlane, method: str, token: str | None
) -> None:
    with grpc.insecure_channel(control_plane.grpc_address) as channel:
        metadata = []
        if token is not None:
            scheme = "" if token.startswith("Basic") else "Bearer "
            metadata.append(("authorization", scheme + token))
        intercepted = grpc.intercept_channel(channel, *_with_metadata(metadata))
        # Bytes that are no message of any type: the token is refused before they are read.
        assert raw_call(intercepted, method, b"\xff\xff\xff") == grpc.StatusCode.UNAUTHENTICATED


def _with_metadata(metadata: list[tuple[str, str]]) -> list[grpc.UnaryUnaryClientInterceptor]:
    if not metadata:
        return []
    from graven.channels import BearerToken

    token = metadata[0][1]
    if token.startswith("Bearer "):
        return [BearerToken(token.removeprefix("Bearer "))]

    class Other(BearerToken):
        def __init__(self) -> None:
            self._metadata = ("authorization", token)

    return [Other()]


def test_health_and_reflection_need_no_token(control_plane: ControlPlane) -> None:
    with grpc.insecure_channel(control_plane.grpc_address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        answer = health.Check(health_pb2.HealthCheckRequest(), timeout=WAIT)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        asked = reflection_pb2.ServerReflectionRequest(list_services="")
        (listed,) = list(reflection.ServerReflectionInfo(iter([asked]), timeout=WAIT))
        names = {s.name for s in listed.list_services_response.service}
        assert "graven.v1.TokenService" in names


def test_the_admin_token_is_accepted(control_plane: ControlPlane) -> None:
    with client(control_plane, admin_token(control_plane)) as admin:
        listed = admin.executions.ListExecutions(
            es.ListExecutionsRequest(project="nobody", domain="dev"), timeout=WAIT
        )
        assert list(listed.executions) == []


def test_a_revoked_token_stops_at_once(control_plane: ControlPlane) -> None:
    name, secret = create_token(control_plane, "viewer", [("*", "*")])
    request = es.ListExecutionsRequest(project="nobody", domain="dev")
    with (
        client(control_plane, secret) as user,
        client(control_plane, admin_token(control_plane)) as admin,
    ):
        user.executions.ListExecutions(request, timeout=WAIT)
        revoked = admin.tokens.RevokeToken(tk.RevokeTokenRequest(name=name), timeout=WAIT)
        assert revoked.token.HasField("revoked_at")
        with pytest.raises(grpc.RpcError) as refused:
            user.executions.ListExecutions(request, timeout=WAIT)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # Revoking again is a no-op that keeps the first revocation's time.
        again = admin.tokens.RevokeToken(tk.RevokeTokenRequest(name=name), timeout=WAIT)
        assert again.token.revoked_at == revoked.token.revoked_at


def test_an_expired_token_is_refused(control_plane: ControlPlane) -> None:
    with client(control_plane, admin_token(control_plane)) as admin:
        created = admin.tokens.CreateToken(
            tk.CreateTokenRequest(
                name=f"brief-{time.monotonic_ns()}",
                role=tk.TOKEN_ROLE_VIEWER,
                scopes=[tk.TokenScope(project="*", domain="*")],
                expires_in=Duration(seconds=1),
            ),
            timeout=WAIT,
        )
    expiry = created.token.expires_at.ToDatetime() - created.token.created_at.ToDatetime()
    assert expiry == timedelta(seconds=1)
    request = es.ListExecutionsRequest(project="nobody", domain="dev")
    deadline = time.monotonic() + WAIT
    with client(control_plane, created.secret) as user:
        while (refusal := _refusal(lambda: user.executions.ListExecutions(request))) is None:
            assert time.monotonic() < deadline, "the token never expired"
            time.sleep(0.05)
    assert refusal.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in (refusal.details() or "")


def _refusal(call: Callable[[], object]) -> grpc.RpcError | None:
    try:
        call()
    except grpc.RpcError as error:
        return error
    return None


# Connect (HTTP)


@pytest.fixture(scope="module")
def http_plane(
    tmp_path_factory: pytest.TempPathFactory, session_database_url: str
) -> Iterator[ControlPlane]:
    """A plane with the console's HTTP port, on the session's database of this backend."""
    home = tmp_path_factory.mktemp("auth-http")
    settings = Settings.for_home(home, db_url=session_database_url, grpc_port=0, http_port=0)
    with ControlPlane(settings) as plane:
        yield remember(plane)


def connect_call(plane: ControlPlane, method: str, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``method`` over Connect with an empty JSON message: (HTTP status, error code)."""
    client_streams, server_streams = streaming(method)
    url = f"http://127.0.0.1:{plane.http_port}{method}"
    if client_streams or server_streams:
        body = struct.pack(">BI", 0, 2) + b"{}"
        content_type = "application/connect+json"
    else:
        body, content_type = b"{}", "application/json"
    request = urllib.request.Request(
        url, data=body, headers={"content-type": content_type, **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            answer = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["code"]
    if not (client_streams or server_streams):
        return status, "ok"
    # A stream's error is in its end-of-stream message.
    while answer:
        flags, length = struct.unpack(">BI", answer[:5])
        message, answer = answer[5 : 5 + length], answer[5 + length :]
        if flags & END_STREAM:
            error = json.loads(message).get("error")
            return status, error["code"] if error else "ok"
    return status, "ok"


def _post(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, "ok"
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["code"]


CONNECT_METHODS = sorted(m for m in METHODS if m.split("/")[1].split(".")[-1] in CONNECT_SERVICES)


@pytest.mark.parametrize("method", CONNECT_METHODS)
@pytest.mark.parametrize("authorization", [None, "Bearer gvn_not-a-token"])
def test_without_a_valid_token_every_connect_call_is_unauthenticated(
    http_plane: ControlPlane, method: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    status, code = connect_call(http_plane, method, headers)
    assert code == "unauthenticated", (status, code)


def test_a_connect_call_with_the_admin_token_is_answered(http_plane: ControlPlane) -> None:
    headers = {"authorization": f"Bearer {admin_token(http_plane)}"}
    # Past authentication, the service itself answers: an empty list request lacks a project.
    method = "/graven.v1.ExecutionService/ListExecutions"
    assert connect_call(http_plane, method, headers) == (400, "invalid_argument")


def test_a_connect_viewer_of_one_project_cannot_list_another(http_plane: ControlPlane) -> None:
    _, secret = create_token(http_plane, "viewer", [("alpha", "*")])
    url = f"http://127.0.0.1:{http_plane.http_port}/graven.v1.ExecutionService/ListExecutions"
    for project, expected in (("alpha", 200), ("beta", 403)):
        request = urllib.request.Request(
            url,
            data=json.dumps({"project": project, "domain": "dev"}).encode(),
            headers={"content-type": "application/json", "authorization": f"Bearer {secret}"},
        )
        status, code = _post(request)
        assert (status, code) == (expected, "ok" if expected == 200 else "permission_denied")


def test_an_open_channel_helper_without_a_token_says_how_to_get_one(
    control_plane: ControlPlane,
) -> None:
    with open_channel(control_plane.grpc_address, None) as channel:
        stub = es_stub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListExecutions(es.ListExecutionsRequest(project="p", domain="d"), timeout=WAIT)
    details = refused.value.details() or ""
    assert "GRAVEN_TOKEN" in details
    assert "graven tokens create" in details


def es_stub(channel: grpc.Channel) -> object:
    from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub

    return ExecutionServiceStub(channel)
