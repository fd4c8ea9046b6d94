"""Connect (HTTP) watches wait on the HTTP server's event loop holding no thread: more open
watches than the server has stream threads all get their messages, and unary Connect calls
answer at once beside them (issue 12.5, the HTTP side)."""

from __future__ import annotations

import http.client
import json
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_support import http_headers
from execution_support import WAIT, FakeAgent, Harness, node_event, private_plane

from graven.control_plane.transport.connect_calls import STREAM_WORKERS
from graven.literals import int_literal
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier

# More than the stream threads, which watches used to hold while they waited.
WATCHES = STREAM_WORKERS + 36
FAST_S = 1.0
WATCH_EXECUTION = "/graven.v1.ExecutionService/WatchExecution"
GET_EXECUTION = "/graven.v1.ExecutionService/GetExecution"


class ConnectWatch:
    """One WatchExecution over the Connect protocol (JSON), on a connection of its own."""

    def __init__(self, port: int, execution_id: ExecutionIdentifier) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        message = json.dumps({"id": identifier_json(execution_id)}).encode()
        headers = {"Content-Type": "application/connect+json", **http_headers(port)}
        self._connection.request(
            "POST", WATCH_EXECUTION, struct.pack(">BI", 0, len(message)) + message, headers
        )
        self._response = self._connection.getresponse()
        assert self._response.status == 200

    def next(self) -> dict[str, Any]:
        flags, body = self._envelope()
        assert not flags & 2, f"the stream ended: {body}"
        return body

    def first(self) -> dict[str, Any]:
        """The next message, or the end-of-stream message when the stream ended."""
        return self._envelope()[1]

    def end(self) -> dict[str, Any]:
        """The end-of-stream message that comes next (Connect's trailers and error)."""
        flags, body = self._envelope()
        assert flags & 2, f"a message, not the end: {body}"
        return body

    def _envelope(self) -> tuple[int, dict[str, Any]]:
        flags, length = struct.unpack(">BI", self._response.read(5))
        return flags, dict(json.loads(self._response.read(length)))

    def close(self) -> None:
        self._connection.close()


def identifier_json(execution_id: ExecutionIdentifier) -> dict[str, str]:
    return {
        "project": execution_id.project,
        "domain": execution_id.domain,
        "name": execution_id.name,
    }


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url, http_port=0) as harness:
        yield harness


def test_more_connect_watches_than_stream_threads_all_follow_their_execution(
    cp: Harness,
) -> None:
    port = cp.plane.http_port
    assert port is not None
    workflow = cp.register()
    execution = cp.create(workflow.id, x=int_literal(1))
    agent = FakeAgent(cp, "connect-agent")
    assert agent.claim().execution.id == execution.id
    watches = [ConnectWatch(port, execution.id) for _ in range(WATCHES)]
    try:
        for watch in watches:
            assert watch.next()["execution"]["id"]["name"] == execution.id.name

        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        body = json.dumps({"id": identifier_json(execution.id)})
        headers = {"Content-Type": "application/json", **http_headers(port)}
        connection.request("POST", GET_EXECUTION, body, headers)
        answer = connection.getresponse()
        assert answer.status == 200, answer.read()
        assert json.loads(answer.read())["execution"]["id"]["name"] == execution.id.name
        connection.close()
        unary = time.monotonic() - started
        print(f"GetExecution over Connect beside {WATCHES} open watches: {unary * 1000:.1f} ms")
        assert unary < FAST_S

        agent.report(node_event(execution.id, "inc1", pb.NODE_PHASE_RUNNING))
        for watch in (watches[0], watches[-1]):
            update = watch.next()
            assert [n["phase"] for n in update["nodeExecutions"]] == ["NODE_PHASE_RUNNING"]
    finally:
        for watch in watches:
            watch.close()


def test_a_client_has_at_most_its_limit_of_open_connect_watches(
    tmp_path: Path, database_url: str
) -> None:
    with private_plane(tmp_path, database_url, http_port=0, max_watches_per_client=2) as cp:
        port = cp.plane.http_port
        assert port is not None
        workflow = cp.register()
        execution = cp.create(workflow.id, x=int_literal(1))
        watches = [ConnectWatch(port, execution.id) for _ in range(2)]
        for watch in watches:
            watch.next()
        refused = ConnectWatch(port, execution.id)
        error = refused.end()["error"]
        refused.close()
        assert error["code"] == "resource_exhausted"
        assert "2 open WatchExecution streams" in error["message"]
        assert "max_watches_per_client" in error["message"]

        # A client that hangs up frees its place at once: the server hears the disconnect.
        watches.pop().close()
        deadline = time.monotonic() + WAIT
        while True:
            again = ConnectWatch(port, execution.id)
            flags_and_body = again.first()
            if "error" not in flags_and_body or time.monotonic() > deadline:
                break
            again.close()
            time.sleep(0.01)
        assert flags_and_body["execution"]["id"]["name"] == execution.id.name
        for watch in (*watches, again):
            watch.close()
