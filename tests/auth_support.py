"""Authorized access to a control plane for tests: its embedded admin and agent tokens
(what `graven up` writes to <home>/token and <home>/agent-token), and channels carrying
them, opened the way every client opens one (graven.channels)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc

from graven.channels import AGENT_TOKEN_FILE, TOKEN_FILE, open_channel
from graven.control_plane.app import ControlPlane


def admin_token(plane: ControlPlane) -> str:
    return plane.home_tokens.admin


def agent_token(plane: ControlPlane) -> str:
    return plane.home_tokens.agent


def home_token(home: Path, file: str = TOKEN_FILE) -> str:
    """The token a `graven up` in a subprocess wrote to its home."""
    return (home / file).read_text().strip()


def home_agent_token(home: Path) -> str:
    return home_token(home, AGENT_TOKEN_FILE)


def authorized_channel(plane: ControlPlane, token: str | None = None) -> grpc.Channel:
    """A channel to ``plane`` as its admin (or as ``token``)."""
    return open_channel(plane.grpc_address, token or admin_token(plane))


def agent_channel(plane: ControlPlane) -> grpc.Channel:
    """A channel to ``plane`` as its embedded agent (for AgentService only)."""
    return open_channel(plane.grpc_address, agent_token(plane))


def bearer(token: str) -> dict[str, str]:
    """The HTTP header of a Connect call."""
    return {"authorization": f"Bearer {token}"}


# The tokens of the control planes the tests started, by gRPC address: a test that knows
# only an endpoint (a CLI run, a Remote) finds its token here.
_TOKENS: dict[str, tuple[str, str]] = {}


_HTTP_TOKENS: dict[int, str] = {}


def remember(plane: ControlPlane) -> ControlPlane:
    """Record a started plane's tokens under its addresses; returns the plane."""
    _TOKENS[plane.grpc_address] = (admin_token(plane), agent_token(plane))
    if plane.http_port is not None:
        _HTTP_TOKENS[plane.http_port] = admin_token(plane)
    return plane


def http_token(port: int) -> str:
    """The admin token of the plane whose HTTP port is ``port``."""
    return _HTTP_TOKENS[port]


def http_headers(port: int) -> dict[str, str]:
    return bearer(http_token(port))


class ConnectBearer:
    """A connectrpc client interceptor sending ``token`` on every call."""

    def __init__(self, token: str) -> None:
        self._value = f"Bearer {token}"

    def on_start_sync(self, ctx: Any) -> None:
        ctx.request_headers()["authorization"] = self._value

    def on_end_sync(self, _token: None, _ctx: Any, _error: Exception | None) -> None:
        return None


def remember_home(endpoint: str, home: Path) -> None:
    """Record the tokens a `graven up` in a subprocess wrote to its home."""
    _TOKENS[endpoint] = (home_token(home), home_agent_token(home))


def token_for(endpoint: str) -> str:
    """The admin token of the plane serving ``endpoint``."""
    return _TOKENS[endpoint][0]


def agent_token_for(endpoint: str) -> str:
    return _TOKENS[endpoint][1]


def token_env(endpoint: str) -> dict[str, str]:
    """The environment of a CLI run against ``endpoint``: its address and, for a plane the
    tests started, its token (none for an address nothing serves)."""
    tokens = _TOKENS.get(endpoint)
    return {"GRAVEN_ENDPOINT": endpoint, **({"GRAVEN_TOKEN": tokens[0]} if tokens else {})}
