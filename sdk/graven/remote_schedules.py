"""Remote's schedule calls: activate and deactivate launch plan versions, list the active
ones with their next ticks, and the ticks one has run."""

from __future__ import annotations

from collections.abc import Iterator

from graven.remote_pages import pages
from graven.v1 import schedule_service_pb2 as ss
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, Identifier
from graven.v1.schedule_service_pb2_grpc import ScheduleServiceStub


def launch_plan_id(name: str, project: str, domain: str, version: str = "") -> Identifier:
    return Identifier(
        resource_type=RESOURCE_TYPE_LAUNCH_PLAN,
        project=project,
        domain=domain,
        name=name,
        version=version,
    )


class ScheduleCalls:
    """Mixed into ``Remote``, which supplies the stub."""

    schedule_service: ScheduleServiceStub

    def activate_launch_plan(
        self, name: str, project: str, domain: str, version: str = ""
    ) -> ss.ActiveLaunchPlan:
        """Activate ``version`` (the latest when empty); the name's other versions stop."""
        request = ss.ActivateLaunchPlanRequest(id=launch_plan_id(name, project, domain, version))
        return self.schedule_service.ActivateLaunchPlan(request).active

    def deactivate_launch_plan(
        self, name: str, project: str, domain: str, version: str = ""
    ) -> Identifier | None:
        """The version that was active, or None if none (or not ``version``) was."""
        request = ss.DeactivateLaunchPlanRequest(id=launch_plan_id(name, project, domain, version))
        response = self.schedule_service.DeactivateLaunchPlan(request)
        return response.deactivated if response.HasField("deactivated") else None

    def active_launch_plans(
        self, project: str = "", domain: str = "", next_ticks: int = 0
    ) -> Iterator[ss.ActiveLaunchPlan]:
        request = ss.ListActiveLaunchPlansRequest(
            project=project, domain=domain, next_ticks=next_ticks
        )
        return pages(self.schedule_service.ListActiveLaunchPlans, request, "launch_plans")

    def schedule_ticks(self, name: str, project: str, domain: str) -> Iterator[ss.ScheduleTick]:
        """Newest first."""
        request = ss.ListScheduleTicksRequest(id=launch_plan_id(name, project, domain))
        return pages(self.schedule_service.ListScheduleTicks, request, "ticks")
