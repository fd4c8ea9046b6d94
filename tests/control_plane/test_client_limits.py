"""Who a client is, for the per-client stream limits: its address, whatever its port."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graven.control_plane.errors import ResourceExhausted
from graven.control_plane.transport.client_limits import ClientLimit, grpc_client, http_client

ports = st.integers(min_value=1, max_value=65535)


@given(st.ip_addresses(v=4), ports)
def test_a_grpc_ipv4_peer_is_its_address(address: IPv4Address, port: int) -> None:
    assert grpc_client(f"ipv4:{address}:{port}") == str(address)


@given(st.ip_addresses(v=6), ports)
def test_a_grpc_ipv6_peer_is_its_address(address: IPv6Address, port: int) -> None:
    assert grpc_client(f"ipv6:[{address}]:{port}") == str(address)


def test_a_grpc_unix_peer_is_itself() -> None:
    assert grpc_client("unix:/run/graven.sock") == "unix:/run/graven.sock"


@given(st.ip_addresses(), ports)
def test_an_http_client_is_its_address(address: IPv4Address | IPv6Address, port: int) -> None:
    # As connectrpc gives it: "host:port", an IPv6 host without brackets.
    assert http_client(f"{address}:{port}") == str(address)


@given(st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2", "::1"]), max_size=12), st.integers(1, 4))
def test_each_client_holds_at_most_the_limit(clients: list[str], limit: int) -> None:
    counts = ClientLimit(limit, "streams", "max_streams")
    held: Counter[str] = Counter()
    with ExitStack() as stack:
        for client in clients:
            if held[client] == limit:
                with pytest.raises(ResourceExhausted, match=f"{limit} open streams"):
                    stack.enter_context(counts.held(client))
            else:
                stack.enter_context(counts.held(client))
                held[client] += 1
    # Every place was given back: each client may open its limit again.
    with ExitStack() as stack:
        for client in held:
            for _ in range(limit):
                stack.enter_context(counts.held(client))
