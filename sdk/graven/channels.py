"""The one way a client (SDK, CLI, data-plane agent) opens a gRPC channel to a control
plane: with its bearer token on every call.

The token is, in order: the one given (``--token``), ``GRAVEN_TOKEN``, or the token file of
the home the client talks to (``--home``, ``GRAVEN_HOME``, ``~/.graven``), which `graven up`
writes for its home: ``token`` for people and scripts, ``agent-token`` for agents. Without
one the channel still opens, and the control plane's UNAUTHENTICATED answer says how to get
a token.

A control plane serving TLS is reached with the CA that signed its certificate: ``--ca`` or
``GRAVEN_CA`` (a PEM file); the client verifies the certificate against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc

TOKEN_FILE = "token"
AGENT_TOKEN_FILE = "agent-token"
DEFAULT_HOME = Path("~/.graven")
TOKEN_ENV = "GRAVEN_TOKEN"
CA_ENV = "GRAVEN_CA"
HOME_ENV = "GRAVEN_HOME"
# Room for large workflow closures; the server enforces its own limit.
MAX_MESSAGE_BYTES = 64 << 20
MESSAGE_OPTIONS = (
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
)


def resolve_token(
    token: str | None = None, home: Path | None = None, file: str = TOKEN_FILE
) -> str | None:
    if token:
        return token
    if from_env := os.environ.get(TOKEN_ENV):
        return from_env
    folder = home or Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
    try:
        return (folder.expanduser() / file).read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None


def resolve_ca(ca: Path | None = None) -> Path | None:
    if ca is not None:
        return ca
    from_env = os.environ.get(CA_ENV)
    return Path(from_env) if from_env else None


def open_channel(
    endpoint: str,
    token: str | None,
    options: Sequence[tuple[str, Any]] = MESSAGE_OPTIONS,
    ca: Path | None = None,
) -> grpc.Channel:
    """A channel to ``endpoint`` whose every call carries ``authorization: Bearer <token>``
    (none when ``token`` is None); over TLS verified against ``ca`` (default GRAVEN_CA)
    when there is one."""
    authority = resolve_ca(ca)
    if authority is None:
        channel = grpc.insecure_channel(endpoint, options=list(options))
    else:
        credentials = grpc.ssl_channel_credentials(root_certificates=authority.read_bytes())
        channel = grpc.secure_channel(endpoint, credentials, options=list(options))
    if token is None:
        return channel
    return grpc.intercept_channel(channel, BearerToken(token))


class BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    def __init__(self, token: str) -> None:
        self._metadata = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return _CallDetails(
            details.method,
            details.timeout,
            (*(details.metadata or ()), self._metadata),
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(
        self,
        continuation: Callable[..., Any],
        details: grpc.ClientCallDetails,
        requests: Iterator[Any],
    ) -> Any:
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(
        self,
        continuation: Callable[..., Any],
        details: grpc.ClientCallDetails,
        requests: Iterator[Any],
    ) -> Any:
        return continuation(self._with_token(details), requests)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(
        self,
        method: str,
        timeout: float | None,
        metadata: tuple[tuple[str, str | bytes], ...],
        credentials: grpc.CallCredentials | None,
        wait_for_ready: bool | None,
        compression: grpc.Compression | None,
    ) -> None:
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression
