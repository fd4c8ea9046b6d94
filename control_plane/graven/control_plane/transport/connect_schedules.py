"""ScheduleService over Connect: each method hands the request to the service layer
(Blocking runs it in the call's context, where the service finds who activates)."""

from __future__ import annotations

from graven.control_plane.service.schedule_service import ScheduleService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import schedule_service_connect as ss_connect
from graven.v1 import schedule_service_pb2 as ss


class ScheduleConnect(ss_connect.ScheduleService):
    def __init__(self, schedules: ScheduleService, blocking: Blocking) -> None:
        self._schedules = schedules
        self._blocking = blocking

    async def activate_launch_plan(
        self, request: ss.ActivateLaunchPlanRequest, ctx: Context
    ) -> ss.ActivateLaunchPlanResponse:
        return await self._blocking.call(self._schedules.activate_launch_plan, request)

    async def deactivate_launch_plan(
        self, request: ss.DeactivateLaunchPlanRequest, ctx: Context
    ) -> ss.DeactivateLaunchPlanResponse:
        return await self._blocking.call(self._schedules.deactivate_launch_plan, request)

    async def list_active_launch_plans(
        self, request: ss.ListActiveLaunchPlansRequest, ctx: Context
    ) -> ss.ListActiveLaunchPlansResponse:
        return await self._blocking.call(self._schedules.list_active_launch_plans, request)

    async def list_schedule_ticks(
        self, request: ss.ListScheduleTicksRequest, ctx: Context
    ) -> ss.ListScheduleTicksResponse:
        return await self._blocking.call(self._schedules.list_schedule_ticks, request)
