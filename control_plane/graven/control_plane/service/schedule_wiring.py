"""The schedule service and the scheduler over one database, the registry and the
execution service."""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.schedule_repository import ScheduleRepository
from graven.control_plane.service.clock import Clock
from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.service.schedule_service import ScheduleService
from graven.control_plane.service.scheduler import Scheduler
from graven.v1.identifier_pb2 import Identifier
from graven.v1.launch_plan_pb2 import LaunchPlan
from graven.v1.registry_service_pb2 import GetLaunchPlanRequest

# Exact launch plan versions kept in memory: they never change, and every pass reads those
# of the active ones.
CACHED_LAUNCH_PLANS = 1024


def schedule_services(
    sessions: sessionmaker[Session],
    registry: RegistryService,
    executions: ExecutionService,
    clock: Clock,
) -> tuple[ScheduleService, Scheduler]:
    def latest(identifier: Identifier) -> LaunchPlan:
        return registry.get_launch_plan(GetLaunchPlanRequest(id=identifier)).launch_plan

    @functools.lru_cache(maxsize=CACHED_LAUNCH_PLANS)
    def exact_by_key(key: bytes) -> LaunchPlan:
        return latest(Identifier.FromString(key))

    def exact(identifier: Identifier) -> LaunchPlan:
        return exact_by_key(identifier.SerializeToString(deterministic=True))

    repository = ScheduleRepository(sessions)
    service = ScheduleService(repository, latest, exact, clock)
    scheduler = Scheduler(repository, exact, executions.create_execution, clock)
    return service, scheduler
