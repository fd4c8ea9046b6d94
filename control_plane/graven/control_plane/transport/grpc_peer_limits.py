"""At most so many open streams (or long polls) of one kind per client, so that one client
cannot hold the server's memory and wake-ups for everyone else.

A client is its network address without the port (the gRPC peer "ipv4:10.0.0.7:53211" is
10.0.0.7): a client that opens more connections is still one client. Every local process is
one client on loopback. Counts are kept on the server's event loop thread only, so they need
no lock.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from graven.control_plane.errors import ResourceExhausted


class PeerLimit:
    def __init__(self, limit: int, what: str, setting: str) -> None:
        self._limit = limit
        self._what = what
        self._setting = setting
        self._open: Counter[str] = Counter()

    @contextlib.contextmanager
    def held(self, peer: str) -> Iterator[None]:
        """One open call of ``peer`` for the duration; ResourceExhausted beyond the limit."""
        client = client_of(peer)
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


def client_of(peer: str) -> str:
    """The address part of a gRPC peer string: "ipv4:127.0.0.1:5000" -> "127.0.0.1",
    "ipv6:[::1]:5000" -> "::1"; a unix socket peer is itself."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv6" and rest.startswith("["):
        return rest[1:].partition("]")[0]
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    return peer
