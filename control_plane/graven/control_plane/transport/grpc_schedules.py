"""ScheduleService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.schedule_service import ScheduleService
from graven.control_plane.transport.grpc_errors import grpc_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import schedule_service_pb2 as ss
from graven.v1 import schedule_service_pb2_grpc as ss_grpc


class ScheduleServicer(ss_grpc.ScheduleServiceServicer):
    service_name = ss.DESCRIPTOR.services_by_name["ScheduleService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, schedules: ScheduleService) -> None:
        self._schedules = schedules

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        ss_grpc.add_ScheduleServiceServicer_to_server(self, server)

    @grpc_method
    def ActivateLaunchPlan(
        self, request: ss.ActivateLaunchPlanRequest
    ) -> ss.ActivateLaunchPlanResponse:
        return self._schedules.activate_launch_plan(request)

    @grpc_method
    def DeactivateLaunchPlan(
        self, request: ss.DeactivateLaunchPlanRequest
    ) -> ss.DeactivateLaunchPlanResponse:
        return self._schedules.deactivate_launch_plan(request)

    @grpc_method
    def ListActiveLaunchPlans(
        self, request: ss.ListActiveLaunchPlansRequest
    ) -> ss.ListActiveLaunchPlansResponse:
        return self._schedules.list_active_launch_plans(request)

    @grpc_method
    def ListScheduleTicks(
        self, request: ss.ListScheduleTicksRequest
    ) -> ss.ListScheduleTicksResponse:
        return self._schedules.list_schedule_ticks(request)
