"""The control plane's HTTP port: the Connect API for the browser and the built console,
served by uvicorn on a thread of its own beside the gRPC server."""

from __future__ import annotations

import math
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from connectrpc.server import ConnectASGIApplication
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from graven.control_plane.auth.guard import Guard
from graven.control_plane.transport.connect_apps import ConnectServices, connect_applications
from graven.control_plane.transport.connect_auth import ConnectAuth
from graven.control_plane.transport.connect_calls import Blocking
from graven.control_plane.transport.connect_cancellation import CancelOnDisconnect
from graven.control_plane.transport.http_console import CONSOLE_DIR, console_app
from graven.control_plane.transport.http_limits import HttpLimits
from graven.control_plane.transport.tls import Tls

LISTEN_BACKLOG = 128
# Paths of Connect calls start with the proto package; no console route does.
API_PREFIX = "/graven."
NO_SUCH_SERVICE = PlainTextResponse("no such service", status_code=404)
# `OPTIONS *` (or any target that is not a path) names nothing this server has.
NOT_A_PATH = PlainTextResponse("the request target is not a path", status_code=400)


class Routes:
    """A Connect call goes to its service's application (the first path segment names the
    service, /graven.v1.ExecutionService/GetExecution); everything else is the console."""

    def __init__(self, services: Sequence[ConnectASGIApplication[Any]], console: ASGIApp) -> None:
        self._services = {app.path: app for app in services}
        self._console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/"):
            await NOT_A_PATH(scope, receive, send)
            return
        service = "/" + scope["path"].split("/", 2)[1] if scope["type"] == "http" else ""
        app: ASGIApp | None = self._services.get(service)
        if app is None:
            app = NO_SUCH_SERVICE if service.startswith(API_PREFIX) else self._console
        await app(scope, receive, send)


class HttpServer:
    """Listens from construction (so ``port`` is known, and early clients queue in the
    backlog); serves from start() until stop()."""

    def __init__(
        self,
        app: CancelOnDisconnect,
        blocking: Blocking,
        host: str,
        port: int,
        served: ASGIApp,
        tls: Tls | None = None,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)
        except OSError as error:
            raise OSError(
                f"cannot listen on {host}:{port} for HTTP (is another Graven running there?): "
                f"{error.strerror}"
            ) from None
        self.port: int = self._socket.getsockname()[1]
        self._app = app
        self._blocking = blocking
        config = uvicorn.Config(
            served,
            lifespan="off",
            log_config=None,
            access_log=False,
            log_level="warning",
            ssl_certfile=None if tls is None else tls.cert,
            ssl_keyfile=None if tls is None else tls.key,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="http", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, grace: float | None) -> None:
        """End every open stream at once, then let running calls finish within ``grace``
        (None: do not wait)."""
        self._app.cancel_all()
        self._server.config.timeout_graceful_shutdown = math.ceil(grace) if grace else None
        self._server.force_exit = not grace
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join()
        self._socket.close()
        self._blocking.close()


def create_http_server(
    services: ConnectServices,
    *,
    guard: Guard,
    tls: Tls | None = None,
    host: str,
    port: int,
    max_message_bytes: int,
    console_dir: Path = CONSOLE_DIR,
    allowed_hosts: Sequence[str] = (),
    max_watches_per_client: int,
) -> HttpServer:
    """A server bound to ``host:port`` (port 0: a free one), not yet started. On loopback it
    answers only to loopback names and ``allowed_hosts`` in the Host header; one client may
    keep ``max_watches_per_client`` watches open."""
    blocking = Blocking(max_watches_per_client)
    apps = connect_applications(services, blocking, max_message_bytes, ConnectAuth(guard))
    routes = CancelOnDisconnect(Routes(apps, console_app(console_dir)))
    limits = HttpLimits(
        routes, max_message_bytes=max_message_bytes, bound_host=host, allowed_hosts=allowed_hosts
    )
    return HttpServer(routes, blocking, host, port, limits, tls)
