"""The grpc.aio server every control-plane service is served from, with server reflection and
the standard health service, so generic tools (grpcurl, load balancers) can use it.

One event loop thread, owned by the server, multiplexes every call. Blocking service code
runs on bounded thread pools: one for AgentService (reserved, so heartbeats, claims and
reports always find a thread), one for the unary calls of every other service, and one for
uploads (which wait on their client between chunks). Streams and long polls wait on the
loop, holding no thread, so any number of them leaves the pools to the unary calls.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from graven.control_plane.transport.grpc_decoding import DecodeErrorInterceptor
from graven.control_plane.transport.grpc_loop import LoopThread
from graven.control_plane.transport.grpc_offload import Offload

DEFAULT_WORKERS = 16
DEFAULT_AGENT_WORKERS = 8
DEFAULT_UPLOAD_WORKERS = 8


class Servicer(Protocol):
    """A servicer that names its service and adds itself to a server."""

    service_name: str
    # Its calls run on the reserved pool, which calls of other services cannot exhaust.
    reserved: bool

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None: ...


class GrpcServer:
    """start, stop and wait block their caller; the server itself runs on its loop thread."""

    def __init__(
        self,
        loop: LoopThread,
        server: grpc.aio.Server,
        health_servicer: Any,
        port: int,
        offloads: Sequence[Offload],
    ) -> None:
        self._loop = loop
        self.server = server
        self._health = health_servicer
        self.port = port
        self._offloads = offloads
        self._stopped = threading.Event()

    def start(self) -> None:
        self._loop.run(self.server.start())

    def stop(self, grace: float | None) -> None:
        """Report NOT_SERVING at once, then let running calls finish within ``grace``
        (calls still running then are cancelled, which ends their waits)."""
        if self._stopped.is_set():
            return
        self._loop.run(self._stop(grace))
        # While the loop still runs: an upload's pool thread receives its chunks from it.
        for offload in self._offloads:
            offload.shutdown()
        self._loop.close()
        self._stopped.set()

    async def _stop(self, grace: float | None) -> None:
        await self._health.enter_graceful_shutdown()
        await self.server.stop(grace)

    def wait(self) -> None:
        """Block until stop() (from another thread or a signal handler) has finished."""
        self._stopped.wait()


def create_server(
    *servicers: Servicer,
    address: str,
    max_message_bytes: int,
    workers: int = DEFAULT_WORKERS,
    agent_workers: int = DEFAULT_AGENT_WORKERS,
    upload_workers: int = DEFAULT_UPLOAD_WORKERS,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    tls: grpc.ServerCredentials | None = None,
) -> GrpcServer:
    """A server bound to ``address`` (port 0: a free one), not yet started.

    ``interceptors`` see each call first, in order (authentication goes here). Then a
    request larger than ``max_message_bytes`` (after decompression) is refused with
    RESOURCE_EXHAUSTED, and one that does not parse with INVALID_ARGUMENT, before either
    reaches a servicer.
    """
    unary = Offload("grpc", workers, upload_workers)
    # AgentService has no uploads: its upload pool never starts a thread.
    agent = Offload("grpc-agent", agent_workers, 1)

    async def build() -> tuple[grpc.aio.Server, Any, int]:
        server = grpc.aio.server(
            interceptors=[*interceptors, DecodeErrorInterceptor()],
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                # Without this a second server could bind the same port and steal its calls.
                ("grpc.so_reuseport", 0),
            ],
        )
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        names = [s.service_name for s in servicers]
        for servicer in servicers:
            servicer.add_to_server(server, agent if servicer.reserved else unary)
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
        )
        for name in ["", *names]:
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        # With ``tls`` (a certificate and key), the port speaks TLS only.
        port = (
            server.add_insecure_port(address)
            if tls is None
            else server.add_secure_port(address, tls)
        )
        return server, health_servicer, port

    # The server must be made on the loop that serves it.
    loop = LoopThread("grpc-loop")
    try:
        server, health_servicer, port = loop.run(build())
    except BaseException:
        loop.close()
        raise
    return GrpcServer(loop, server, health_servicer, port, (unary, agent))
