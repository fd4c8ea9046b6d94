"""Limits of the HTTP port, applied before a request reaches a Connect app or the console:
a request body and its decompressed messages are capped while they are read (a gzip bomb
is refused after the cap, not after it inflated), the Host header is checked when the port
is bound to loopback (DNS rebinding), and every response carries the browser's security
headers."""

from __future__ import annotations

import ipaddress
import json
import zlib
from collections.abc import Iterable

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graven.shown import shown

# Inflate in steps this big, so a refused bomb never holds more than the cap plus one step.
INFLATE_STEP = 1 << 20
GZIP_WBITS = 16 + zlib.MAX_WBITS
# A Connect envelope: one flags byte, then the message length (4 bytes, big-endian).
ENVELOPE_PREFIX = 5
# The names a loopback-bound port answers to, besides the configured ones.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# A refused Host is echoed this far (graven.shown), not whole: a header may be kilobytes.
SHOWN_HOST = 100

# What the built console needs (console/dist): its own script, stylesheet and Connect API,
# and the data: URL of its favicon; React sets styles through the CSSOM, which style-src
# does not govern. Nothing may frame it, nor may a page plant a <base> or post a form away.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def raw_limit(max_message_bytes: int) -> int:
    """The most bytes one message may take on the wire: gzip may grow incompressible data
    a little (about 0.03 %), so a message just under the cap stays accepted compressed."""
    return max_message_bytes + max_message_bytes // 1024 + 64


def too_large(limit: int) -> ConnectError:
    return ConnectError(
        Code.RESOURCE_EXHAUSTED, f"request message is larger than the limit of {limit} bytes"
    )


class BoundedGzip:
    """connectrpc's gzip Compression, but decompress() stops at ``max_bytes`` of output:
    connectrpc inflates a whole body (gzip.decompress) and checks its size only after."""

    def __init__(self, max_bytes: int, level: int = 6) -> None:
        self._max_bytes = max_bytes
        self._level = level

    def name(self) -> str:
        return "gzip"

    def compress(self, data: bytes | bytearray | memoryview) -> bytes:
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, GZIP_WBITS)
        return compressor.compress(data) + compressor.flush()

    def decompress(self, data: bytes | bytearray | memoryview) -> bytes:
        # Steps kept apart and joined once at the end: a growing bytearray would be copied
        # as it grows, doubling the peak a refused bomb costs.
        steps: list[bytes] = []
        size = 0
        pending = bytes(data)
        try:
            # A gzip stream may hold several members, one after another.
            while pending:
                inflater = zlib.decompressobj(GZIP_WBITS)
                while not inflater.eof:
                    room = self._max_bytes - size
                    step = inflater.decompress(pending, min(INFLATE_STEP, room + 1))
                    size += len(step)
                    if size > self._max_bytes:
                        raise too_large(self._max_bytes)
                    steps.append(step)
                    pending = inflater.unconsumed_tail
                    if not pending and not inflater.eof:
                        raise ConnectError(Code.INVALID_ARGUMENT, "gzip request is truncated")
                pending = inflater.unused_data
        except zlib.error as error:
            raise ConnectError(Code.INVALID_ARGUMENT, f"gzip request: {error}") from None
        return b"".join(steps)


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(header: str) -> tuple[str, int | None] | None:
    """(name, port) of a Host header; None when it is not one."""
    name, port = header, ""
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        name, rest = header[1:end], header[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    elif ":" in header:
        name, _, port = header.rpartition(":")
    if not name or (port and not port.isdigit()) or (":" in header and not port):
        return None
    return name.lower().rstrip("."), int(port) if port else None


async def answer(
    send: Send, status: int, code: str, message: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A refusal in Connect's error shape (a JSON code and message), which a Connect client
    reads whatever the HTTP status and a person reads in a browser."""
    body = json.dumps({"code": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HttpLimits:
    """ASGI middleware in front of everything the HTTP port serves."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_message_bytes: int,
        bound_host: str,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self._app = app
        self._max = max_message_bytes
        # Off a loopback port a reverse proxy or the network decides which names reach it;
        # on loopback, any name but ours is a page that rebound its DNS to this machine.
        self._allowed: frozenset[str] | None = None
        if is_loopback(bound_host):
            names = {name.lower().strip("[]").rstrip(".") for name in [bound_host, *allowed_hosts]}
            self._allowed = LOOPBACK_NAMES | names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await answer(secured_send, *refusal)
            return
        await self._app(scope, self._capped(scope, receive), secured_send)

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        """(status, Connect code, message) when the request is refused before it is read."""
        headers = dict(scope["headers"])
        if self._allowed is not None:
            host = headers.get(b"host", b"").decode("latin-1")
            parsed = split_host(host)
            echoed = shown(host, SHOWN_HOST)
            server = scope.get("server")
            port = server[1] if server else None
            if parsed is None:
                return 400, "invalid_argument", f"bad Host header {echoed}"
            name, asked = parsed
            if name not in self._allowed or (asked is not None and asked != port):
                return 421, "permission_denied", f"this server does not answer to {echoed}"
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "invalid_argument", "bad Content-Length header"
            if int(length) > raw_limit(self._max) and not self._streaming(headers):
                return 413, "resource_exhausted", f"request is larger than {self._max} bytes"
        return None

    @staticmethod
    def _streaming(headers: dict[bytes, bytes]) -> bool:
        # Connect streams (application/connect+proto): many messages, each capped alone.
        return headers.get(b"content-type", b"").startswith(b"application/connect+")

    def _capped(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` that refuses a body (a unary call, the console) over the cap, or a
        stream message whose envelope declares more than the cap, as soon as it is seen:
        connectrpc buffers either whole before it checks."""
        limit = raw_limit(self._max)
        headers = dict(scope["headers"])
        streaming = self._streaming(headers)
        # connectrpc calls a compressed message on an uncompressed stream INTERNAL (500).
        compressed = headers.get(b"connect-content-encoding", b"identity") != b"identity"
        seen = 0
        # Of a stream: the bytes of the current message still to come, and the prefix of
        # the next envelope read so far (a prefix may be split between two chunks).
        to_skip = 0
        prefix = bytearray()

        async def capped() -> Message:
            nonlocal seen, to_skip
            message = await receive()
            if message["type"] != "http.request":
                return message
            body: bytes = message.get("body", b"")
            seen += len(body)
            if not streaming:
                if seen > limit:
                    raise too_large(self._max)
                return message
            at = 0
            while at < len(body):
                if to_skip:
                    step = min(to_skip, len(body) - at)
                    to_skip, at = to_skip - step, at + step
                    continue
                take = min(ENVELOPE_PREFIX - len(prefix), len(body) - at)
                prefix.extend(body[at : at + take])
                at += take
                if len(prefix) == ENVELOPE_PREFIX:
                    if prefix[0] & 1 and not compressed:
                        raise ConnectError(
                            Code.INVALID_ARGUMENT,
                            "a compressed message on a stream without Connect-Content-Encoding",
                        )
                    to_skip = int.from_bytes(prefix[1:5], "big")
                    prefix.clear()
                    if to_skip > limit:
                        raise too_large(self._max)
            if not message.get("more_body", False) and (to_skip or prefix):
                # connectrpc would drop the torn message and answer "zero messages".
                raise ConnectError(Code.INVALID_ARGUMENT, "the request ends inside a message")
            return message

        return capped
