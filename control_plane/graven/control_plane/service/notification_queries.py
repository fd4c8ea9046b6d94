"""ListNotificationDeliveries: what an execution's notifications delivered, attempts included."""

from __future__ import annotations

from graven.control_plane.errors import NotFound
from graven.control_plane.persistence.notification_repository import NotificationRepository
from graven.control_plane.service.executions import checked_key
from graven.v1 import notification_service_pb2 as ns


class NotificationQueries:
    def __init__(self, repository: NotificationRepository) -> None:
        self._repository = repository

    def list_deliveries(
        self, request: ns.ListNotificationDeliveriesRequest
    ) -> ns.ListNotificationDeliveriesResponse:
        key = checked_key(request.execution_id, "execution_id")
        deliveries = self._repository.list_for(key)
        if deliveries is None:
            raise NotFound(f"execution {key} does not exist")
        return ns.ListNotificationDeliveriesResponse(deliveries=deliveries)
