"""At most so many open streams (or long polls) of one kind per client, so that one client
cannot hold the server's memory and wake-ups for everyone else.

A client is its network address without the port: a client that opens more connections is
still one client, and every local process is one client on loopback. An instance is used
from one event loop thread only, so its counts need no lock.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from graven.control_plane.errors import ResourceExhausted


class ClientLimit:
    def __init__(self, limit: int, what: str, setting: str) -> None:
        self._limit = limit
        self._what = what
        self._setting = setting
        self._open: Counter[str] = Counter()

    @contextlib.contextmanager
    def held(self, client: str) -> Iterator[None]:
        """One open call of ``client`` for the duration; ResourceExhausted beyond the limit."""
        if self._open[client] >= self._limit:
            raise ResourceExhausted(
                f"client {client} already has {self._limit} open {self._what}, the most one "
                f"client may have (Settings.{self._setting}); close some or wait for them "
                "to end"
            )
        self._open[client] += 1
        try:
            yield
        finally:
            self._open[client] -= 1
            if not self._open[client]:
                del self._open[client]


def grpc_client(peer: str) -> str:
    """The address of a gRPC peer: "ipv4:127.0.0.1:5000" -> "127.0.0.1",
    "ipv6:[::1]:5000" -> "::1"; a unix socket peer is itself."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv6" and rest.startswith("["):
        return rest[1:].partition("]")[0]
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    return peer


def http_client(address: str | None) -> str:
    """The address of an HTTP client given as "host:port" ("::1:5000" for IPv6)."""
    return "unknown" if address is None else address.rpartition(":")[0]
