"""The HTTP port of a control plane: the Connect API answers with the codes the gRPC API
uses, and the console's routes all get the single-page app."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
from auth_support import ConnectBearer, http_headers, http_token, remember
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from service_support import missing_service

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.execution_repository import (
    ExecutionKey,
    ExecutionRepository,
    NewExecution,
)
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.signal_repository import SignalRepository, SignalWait
from graven.control_plane.transport.http_console import CONSOLE_DIR
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import signal_service_pb2 as ss
from graven.v1.execution_service_connect import ExecutionServiceClientSync
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.literals_pb2 import Literal, Primitive
from graven.v1.signal_pb2 import SignalIdentifier
from graven.v1.signal_service_connect import SignalServiceClientSync
from graven.v1.types_pb2 import SIMPLE_TYPE_BOOLEAN, LiteralType

BOOL = LiteralType(simple=SIMPLE_TYPE_BOOLEAN)


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    home = tmp_path_factory.mktemp("connect-home")
    plane = ControlPlane(Settings.for_home(home, grpc_port=0, http_port=0))
    plane.start()
    yield remember(plane)
    plane.stop(grace=None)


@pytest.fixture(scope="module")
def base_url(plane: ControlPlane) -> str:
    return f"http://127.0.0.1:{plane.http_port}"


def post(url: str, body: bytes) -> tuple[int, dict[str, str]]:
    headers = {"content-type": "application/json", **http_headers(urlparse(url).port or 0)}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def bearer_of(url: str) -> ConnectBearer:
    return ConnectBearer(http_token(urlparse(url).port or 0))


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.parametrize(
    ("method", "body", "status", "code", "says"),
    [
        ("GetExecution", {"id": {"project": "p", "domain": "d", "name": "gone"}}, 404,
         "not_found", "execution p/d/gone does not exist"),
        ("GetExecution", {"idd": {}}, 400, "invalid_argument", "idd"),
        ("ListExecutions", {"project": "Bad!", "domain": "d"}, 400, "invalid_argument",
         "project"),
        ("ListExecutions", {"project": "p", "domain": "d", "phases": [99]}, 400,
         "invalid_argument", "phases[0]"),
    ],
)  # fmt: skip
def test_errors_have_the_grpc_adapters_codes(
    base_url: str, method: str, body: object, status: int, code: str, says: str
) -> None:
    answered, error = post(
        f"{base_url}/graven.v1.ExecutionService/{method}", json.dumps(body).encode()
    )
    assert (answered, error["code"]) == (status, code)
    assert says in error["message"]


def test_a_body_that_is_not_json_is_invalid_argument(base_url: str) -> None:
    answered, error = post(f"{base_url}/graven.v1.ExecutionService/GetExecution", b"{not json")
    assert (answered, error["code"]) == (400, "invalid_argument")


def test_a_watch_of_an_unknown_execution_ends_with_not_found(base_url: str) -> None:
    client = ExecutionServiceClientSync(base_url, interceptors=[bearer_of(base_url)])
    request = es.WatchExecutionRequest(id=ExecutionIdentifier(project="p", domain="d", name="x"))
    with pytest.raises(ConnectError) as raised:
        list(client.watch_execution(request))
    assert raised.value.code == Code.NOT_FOUND


def test_an_empty_list_is_an_answer_not_an_error(base_url: str) -> None:
    client = ExecutionServiceClientSync(base_url, interceptors=[bearer_of(base_url)])
    listed = client.list_executions(es.ListExecutionsRequest(project="p", domain="d"))
    assert list(listed.executions) == []


def test_console_routes_get_the_app_and_unknown_services_do_not(base_url: str) -> None:
    built = (CONSOLE_DIR / "index.html").exists()
    for path in ("/", "/executions/p/d/x", "/workflows/p/d/a.b.c?version=v1"):
        status, page = get(base_url + path)
        if built:
            assert status == 200
            assert '<div id="root">' in page
        else:
            assert status == 503
            assert "make console" in page
    status, _ = get(f"{base_url}/graven.v1.NoSuchService/Method")
    assert status == 404
    if built:
        status, _ = get(f"{base_url}/assets/no-such-file.js")
        assert status == 404


def test_built_assets_are_served_with_long_caching(base_url: str) -> None:
    assets = sorted((CONSOLE_DIR / "assets").glob("*.js")) if CONSOLE_DIR.exists() else []
    if not assets:
        missing_service("the console is not built: `make console` builds it")
    with urllib.request.urlopen(f"{base_url}/assets/{assets[0].name}", timeout=10) as response:
        assert response.status == 200
        assert "immutable" in response.headers["cache-control"]


def test_signals_are_set_and_listed_over_connect(plane: ControlPlane, base_url: str) -> None:
    # A waiting approval, as an agent's wait leaves it (the execution's workflow is not what
    # this test is about, so the rows are written directly).
    now = datetime.now(UTC)
    execution_id = ExecutionIdentifier(project="p", domain="d", name="gated")
    stamp = to_timestamp(now)
    execution = pb.Execution(
        id=execution_id,
        spec=pb.ExecutionSpec(mode=pb.EXECUTION_MODE_MANUAL),
        closure=pb.ExecutionClosure(
            phase=pb.EXECUTION_PHASE_QUEUED, created_at=stamp, updated_at=stamp
        ),
    )
    sessions = make_sessions(plane.engine)
    ExecutionRepository(sessions).insert([NewExecution(execution)], lambda _: [])
    key = ExecutionKey.of(execution_id)
    SignalRepository(sessions).wait([(key, SignalWait("publish", "n3", BOOL, None))], now)

    client = SignalServiceClientSync(base_url, interceptors=[bearer_of(base_url)])
    signal_id = SignalIdentifier(execution_id=execution_id, signal_id="publish")
    approved = client.set_signal(
        ss.SetSignalRequest(id=signal_id, value=Literal(primitive=Primitive(boolean=True)),
                            set_by="ana")
    ).signal  # fmt: skip
    assert (approved.value.primitive.boolean, approved.set_by) == (True, "ana")
    assert client.get_signal(ss.GetSignalRequest(id=signal_id)).signal == approved
    listed = client.list_signals(ss.ListSignalsRequest(execution_id=execution_id))
    assert list(listed.signals) == [approved]
    # The codes the gRPC API gives: a rejection is a refused precondition, a wrong type an
    # invalid argument naming the value.
    with pytest.raises(ConnectError) as raised:
        client.set_signal(
            ss.SetSignalRequest(id=signal_id, value=Literal(primitive=Primitive(boolean=False)))
        )
    assert raised.value.code == Code.FAILED_PRECONDITION
    answered, error = post(
        f"{base_url}/graven.v1.SignalService/SetSignal",
        json.dumps(
            {
                "id": {"executionId": {"project": "p", "domain": "d", "name": "gated"},
                       "signalId": "publish"},
                "value": {"primitive": {"integer": "1"}},
            }
        ).encode(),
    )  # fmt: skip
    assert (answered, error["code"]) == (400, "invalid_argument")
    assert error["message"].startswith("value:")
    answered, error = post(
        f"{base_url}/graven.v1.SignalService/ListSignals",
        json.dumps({"executionId": {"project": "p", "domain": "d", "name": "nope"}}).encode(),
    )
    assert (answered, error["code"]) == (404, "not_found")
