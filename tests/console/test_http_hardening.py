"""The HTTP port under attack from this machine: a gzip bomb is refused after the cap with
bounded memory, a DNS-rebinding Host is refused, every response carries the browser's
security headers, and odd requests (`OPTIONS *`, malformed bodies) are 4xx, never 500,
with the server still serving after each."""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import http.client
import json
import socket
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_support import http_headers, remember
from playwright.sync_api import Browser, expect
from starlette.types import Message, Receive, Scope, Send

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.transport.http_limits import (
    CONTENT_SECURITY_POLICY,
    BoundedGzip,
    HttpLimits,
)
from graven.v1 import execution_service_pb2 as es

GET_EXECUTION = "/graven.v1.ExecutionService/GetExecution"
WATCH_EXECUTION = "/graven.v1.ExecutionService/WatchExecution"
MISSING = json.dumps({"id": {"project": "p", "domain": "d", "name": "gone"}}).encode()
SMALL_CAP = 1 << 20
TUNNEL_NAME = "graven.internal"
MIB = 1 << 20


def start(home: Path, **settings: Any) -> ControlPlane:
    base = Settings.for_home(home, grpc_port=0, http_port=0)
    plane = ControlPlane(dataclasses.replace(base, **settings))
    plane.start()
    return remember(plane)


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """Default limits (64 MiB messages), as `graven up` runs."""
    running = start(tmp_path_factory.mktemp("hardening-home"))
    yield running
    running.stop(grace=None)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A 1 MiB message cap, so the raw-body limits are cheap to cross; answers to a tunnel's
    name too."""
    running = start(
        tmp_path_factory.mktemp("hardening-small"),
        max_message_bytes=SMALL_CAP,
        http_allowed_hosts=(TUNNEL_NAME,),
    )
    yield running
    running.stop(grace=None)


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    host: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for name, value in {**http_headers(port), **(headers or {})}.items():
            connection.putheader(name, value)
        if body is not None and "Content-Length" not in (headers or {}):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        answer = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
    finally:
        connection.close()


def still_serving(port: int) -> None:
    """A real call answers as before: the server survived what the test sent."""
    status, _, body = call(
        port, "POST", GET_EXECUTION, MISSING, {"Content-Type": "application/json"}
    )
    assert status == 404, body
    assert json.loads(body)["code"] == "not_found"


def rss_growth_kib(before: dict[str, int]) -> int:
    return status_kib()["VmHWM"] - before["VmRSS"]


def status_kib() -> dict[str, int]:
    fields: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            fields[name] = int(value.split()[0])
    return fields


def gzip_bomb() -> bytes:
    """About 2 MB of gzip that inflates to 2 GiB: 16 members of 128 MiB of zeros each (one
    member would take seconds to build; a member alone is already twice the cap)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    member = b"".join(compressor.compress(zeros) for _ in range(128)) + compressor.flush()
    return member * 16


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


def test_the_bomb_is_what_it_claims(bomb: bytes) -> None:
    assert 1.5 * MIB < len(bomb) < 2.5 * MIB
    inflated, members, rest = 0, 0, bomb
    while rest:  # in 16 MiB steps, counting, so the test itself stays small
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while not inflater.eof:
            inflated += len(inflater.decompress(rest, 16 * MIB))
            rest = inflater.unconsumed_tail or rest[len(rest) :]
        rest, members = inflater.unused_data, members + 1
    assert (members, inflated) == (16, 2 << 30)


def measured_refusal(port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """Send the bomb to the in-process server and return its answer; the process's peak RSS
    (reset first, so it is this call's) grows by less than 100 MiB."""
    # Hand memory freed by earlier tests back first: reusing it would not show as growth.
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = status_kib()
    Path("/proc/self/clear_refs").write_text("5")
    status, _, answer = call(port, "POST", path, body, headers)
    growth = rss_growth_kib(before)
    assert growth < 100 * 1024, f"RSS grew by {growth} KiB"
    assert status in (200, 429), answer
    return answer


def test_a_unary_gzip_bomb_is_refused_after_the_cap(plane: ControlPlane, bomb: bytes) -> None:
    assert plane.http_port is not None
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = json.loads(measured_refusal(plane.http_port, GET_EXECUTION, bomb, headers))
    assert answer["code"] == "resource_exhausted"
    assert str(64 * MIB) in answer["message"]
    still_serving(plane.http_port)


def test_a_stream_message_gzip_bomb_is_refused_after_the_cap(
    plane: ControlPlane, bomb: bytes
) -> None:
    assert plane.http_port is not None
    envelope = struct.pack(">BI", 1, len(bomb)) + bomb
    headers = {"Content-Type": "application/connect+json", "Connect-Content-Encoding": "gzip"}
    answer = measured_refusal(plane.http_port, WATCH_EXECUTION, envelope, headers)
    # A stream's error is its end-of-stream message: flags 2, then JSON.
    flags, length = struct.unpack(">BI", answer[:5])
    assert flags & 2
    assert json.loads(answer[5 : 5 + length])["error"]["code"] == "resource_exhausted"
    still_serving(plane.http_port)


def test_gzip_under_the_cap_still_works(plane: ControlPlane) -> None:
    assert plane.http_port is not None
    status, _, body = call(
        plane.http_port,
        "POST",
        GET_EXECUTION,
        zlib.compress(MISSING, wbits=31),
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert status == 404, body
    assert "p/d/gone" in json.loads(body)["message"]


def test_bounded_gzip_round_trips_many_members_and_refuses_one_byte_over() -> None:
    codec = BoundedGzip(1000)
    assert codec.decompress(codec.compress(b"a" * 600) + codec.compress(b"b" * 400)) == (
        b"a" * 600 + b"b" * 400
    )
    with pytest.raises(Exception, match="larger than the limit of 1000"):
        codec.decompress(codec.compress(b"a" * 1001))


def test_a_declared_body_over_the_cap_is_413_before_it_is_sent(small: ControlPlane) -> None:
    assert small.http_port is not None
    with socket.create_connection(("127.0.0.1", small.http_port), timeout=10) as sock:
        sock.sendall(
            f"POST {GET_EXECUTION} HTTP/1.1\r\nHost: localhost:{small.http_port}\r\n"
            "Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n".encode()
        )
        # No body follows: the answer must come from the headers alone.
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 413
        assert json.loads(response.read())["code"] == "resource_exhausted"
    still_serving(small.http_port)


def test_a_chunked_body_over_the_cap_is_refused_while_it_streams(small: ControlPlane) -> None:
    assert small.http_port is not None
    chunks = (b" " * 65536 for _ in range(64))  # 4 MiB of JSON whitespace, no length given
    connection = http.client.HTTPConnection("127.0.0.1", small.http_port, timeout=30)
    try:
        connection.request(
            "POST",
            GET_EXECUTION,
            body=chunks,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 429
        assert json.loads(response.read())["code"] == "resource_exhausted"
    finally:
        connection.close()
    still_serving(small.http_port)


def test_a_stream_envelope_declaring_more_than_the_cap_is_refused(small: ControlPlane) -> None:
    assert small.http_port is not None
    # Declares 3 GiB, sends a little: connectrpc would buffer, waiting for the rest.
    envelope = struct.pack(">BI", 0, 3 << 30) + b"{}" * 1000
    status, _, answer = call(
        small.http_port,
        "POST",
        WATCH_EXECUTION,
        envelope,
        {"Content-Type": "application/connect+json"},
    )
    assert status == 200
    flags, length = struct.unpack(">BI", answer[:5])
    assert flags & 2
    assert json.loads(answer[5 : 5 + length])["error"]["code"] == "resource_exhausted"
    still_serving(small.http_port)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:{port}", 404),
        ("localhost:{port}", 404),
        ("LOCALHOST:{port}", 404),
        ("[::1]:{port}", 404),
        ("127.0.0.1", 404),
        (f"{TUNNEL_NAME}:{{port}}", 404),
        ("evil.example:{port}", 421),
        ("evil.example", 421),
        ("evil" * 5000 + ".example", 421),
        ("localhost.evil.example:{port}", 421),
        ("127.0.0.1:1", 421),
        ("[::1", 400),
        ("localhost:", 400),
        ("localhost:x", 400),
        ("", 400),
    ],
)
def test_only_loopback_and_configured_names_are_answered(
    small: ControlPlane, host: str, status: int
) -> None:
    assert small.http_port is not None
    answered, headers, body = call(
        small.http_port,
        "POST",
        GET_EXECUTION,
        MISSING,
        {"Content-Type": "application/json"},
        host=host.format(port=small.http_port),
    )
    assert answered == status, body
    if status != 404:
        assert 0 < len(json.loads(body)["message"]) < 200
        assert headers["x-frame-options"] == "DENY"
    still_serving(small.http_port)


@pytest.mark.parametrize(
    ("bound", "host", "status"),
    [
        ("0.0.0.0", "evil.example:8080", 204),
        ("10.1.2.3", "evil.example:8080", 204),
        ("::1", "evil.example:8080", 421),
        ("127.0.0.2", "evil.example:8080", 421),
        ("127.0.0.2", "127.0.0.2:8080", 204),
        ("::1", "[::1]:8080", 204),
        ("127.0.0.1", "localhost:8080", 204),
    ],
)
def test_only_a_loopback_port_checks_the_host(bound: str, host: str, status: int) -> None:
    """Off loopback a proxy or the network decides which names reach the port."""
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"host", host.encode())],
        "server": (bound, 8080),
    }
    limits = HttpLimits(app, max_message_bytes=MIB, bound_host=bound)
    asyncio.run(limits(scope, receive, send))
    assert sent[0]["status"] == status


@pytest.mark.parametrize("path", ["/", "/executions/p/d/x", "/assets/missing.js", GET_EXECUTION])
def test_every_response_carries_the_security_headers(plane: ControlPlane, path: str) -> None:
    assert plane.http_port is not None
    _, headers, _ = call(plane.http_port, "GET", path)
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_options_star_is_400(plane: ControlPlane) -> None:
    assert plane.http_port is not None
    status, headers, _ = call(plane.http_port, "OPTIONS", "*")
    assert status == 400
    assert headers["x-content-type-options"] == "nosniff"
    still_serving(plane.http_port)


PROTO = {"Content-Type": "application/proto"}
JSON = {"Content-Type": "application/json"}
GZIP_JSON = {**JSON, "Content-Encoding": "gzip"}


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("POST", GET_EXECUTION, b"{not json", JSON, 400),
        ("POST", GET_EXECUTION, b"[1, 2]", JSON, 400),
        ("POST", GET_EXECUTION, b"\xff\xfe\xfd", JSON, 400),
        ("POST", GET_EXECUTION, b"\x0a\xff\xff\xff\xff\x0f", PROTO, 400),
        ("POST", GET_EXECUTION, b"not gzip at all", GZIP_JSON, 400),
        ("POST", GET_EXECUTION, zlib.compress(MISSING, wbits=31)[:-6], GZIP_JSON, 400),
        ("POST", GET_EXECUTION, MISSING, {**JSON, "Content-Encoding": "br"}, 501),
        ("POST", GET_EXECUTION, MISSING, {"Content-Type": "text/plain"}, 415),
        # No body after a Content-Length the server cannot read: it answers and closes, and
        # bytes left unread in its socket would reset the connection before ours reads.
        ("POST", GET_EXECUTION, None, {**JSON, "Content-Length": "12x"}, 400),
        ("POST", WATCH_EXECUTION, b"\x00\x00\x00\x00\x03abc",
         {"Content-Type": "application/connect+json"}, 200),
        ("POST", "/graven.v1.NoService/Call", MISSING, JSON, 404),
        ("POST", "/", MISSING, JSON, 405),
        ("DELETE", "/assets/x.js", None, {}, 405),
        ("POST", WATCH_EXECUTION, b"\x01\x00\x00\x00\x02{}",
         {"Content-Type": "application/connect+json"}, 200),
        ("POST", WATCH_EXECUTION, b"\x00\x00\x00\x00\x09{}",
         {"Content-Type": "application/connect+json"}, 200),
        # No method is idempotent, so none is served by GET.
        ("GET", GET_EXECUTION + "?encoding=json&message=%7Bbad", None, {}, 405),
    ],
)  # fmt: skip
def test_malformed_requests_are_4xx(
    plane: ControlPlane,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
) -> None:
    assert plane.http_port is not None
    answered, _, answer = call(
        plane.http_port, method, path, body if isinstance(body, bytes) else None, headers
    )
    assert answered == status, answer
    if path == WATCH_EXECUTION:
        # A stream answers 200 and ends with its error.
        assert json.loads(answer[5:])["error"]["code"] == "invalid_argument"
    still_serving(plane.http_port)


def test_a_request_message_type_is_what_the_tests_assume() -> None:
    # GetExecution takes an id; if the proto changes, MISSING above must too.
    assert "id" in es.GetExecutionRequest.DESCRIPTOR.fields_by_name


def test_the_built_console_runs_under_its_policy(plane: ControlPlane, browser: Browser) -> None:
    """The policy allows what the built app needs: it draws its page, and the browser
    reports no violation (a blocked script, style or fetch)."""
    assert plane.http_port is not None
    context = browser.new_context(base_url=f"http://127.0.0.1:{plane.http_port}")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))"
        )
        page.goto("/")
        expect(page.locator("#root")).not_to_be_empty()
        page.wait_for_load_state("networkidle")
        # A page that asked the API got past connect-src: its answer is on the screen.
        expect(page.get_by_role("heading").first).to_be_visible()
    finally:
        context.close()
    assert not violations, violations
