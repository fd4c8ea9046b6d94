"""NotificationService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.notification_queries import NotificationQueries
from graven.control_plane.transport.grpc_errors import grpc_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import notification_service_pb2 as ns
from graven.v1 import notification_service_pb2_grpc as ns_grpc


class NotificationServicer(ns_grpc.NotificationServiceServicer):
    service_name = ns.DESCRIPTOR.services_by_name["NotificationService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, queries: NotificationQueries) -> None:
        self._queries = queries

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        ns_grpc.add_NotificationServiceServicer_to_server(self, server)

    @grpc_method
    def ListNotificationDeliveries(
        self, request: ns.ListNotificationDeliveriesRequest
    ) -> ns.ListNotificationDeliveriesResponse:
        return self._queries.list_deliveries(request)
