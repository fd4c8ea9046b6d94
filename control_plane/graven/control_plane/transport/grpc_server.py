"""The grpcio server every control-plane service is served from, with server reflection and
the standard health service, so generic tools (grpcurl, load balancers) can use it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from graven.control_plane.transport.grpc_decoding import DecodeErrorInterceptor

DEFAULT_WORKERS = 16


class Servicer(Protocol):
    """A servicer that names its service and adds itself to a server."""

    service_name: str

    def add_to_server(self, server: grpc.Server) -> None: ...


class GrpcServer:
    def __init__(self, server: grpc.Server, health_servicer: health.HealthServicer, port: int):
        self.server = server
        self.port = port
        self._health = health_servicer

    def start(self) -> None:
        self.server.start()

    def stop(self, grace: float | None) -> None:
        """Report NOT_SERVING at once, then let running calls finish within ``grace``."""
        self._health.enter_graceful_shutdown()
        self.server.stop(grace).wait()

    def wait(self) -> None:
        self.server.wait_for_termination()


def create_server(
    *servicers: Servicer,
    address: str,
    max_message_bytes: int,
    max_workers: int = DEFAULT_WORKERS,
) -> GrpcServer:
    """A server bound to ``address`` (port 0: a free one), not yet started.

    A request larger than ``max_message_bytes`` is refused with RESOURCE_EXHAUSTED, and one
    that does not parse with INVALID_ARGUMENT, before either reaches a servicer.
    """
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
        interceptors=[DecodeErrorInterceptor()],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            # Without this a second server could bind the same port and steal its calls.
            ("grpc.so_reuseport", 0),
        ],
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [s.service_name for s in servicers]
    for servicer in servicers:
        servicer.add_to_server(server)
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    for name in ["", *names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port(address)
    return GrpcServer(server, health_servicer, port)
