"""ScheduleService: activation of launch plan versions (mutable state beside the immutable
specs) and the ticks the scheduler recorded."""

from __future__ import annotations

from datetime import datetime

from graven.control_plane.auth.caller import caller_name
from graven.control_plane.errors import FailedPrecondition, InvalidArgument
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.schedule_models import ActivationRow, TickRow
from graven.control_plane.persistence.schedule_repository import PlanName, ScheduleRepository
from graven.control_plane.service.clock import Clock
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.paging import decode_page_token, encode_page_token, page_size
from graven.control_plane.service.scheduler import LaunchPlans, launch_plan_id
from graven.control_plane.service.schedules import next_ticks
from graven.control_plane.service.validation import check_identifier, check_name, require
from graven.v1 import schedule_service_pb2 as ss
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, ExecutionIdentifier, Identifier
from graven.v1.launch_plan_pb2 import LaunchPlan

DEFAULT_NEXT_TICKS = 3
MAX_NEXT_TICKS = 100


class ScheduleService:
    """``latest`` reads a launch plan by id, the latest version when the id has none
    (NotFound when not registered); ``exact`` reads an exact version (may cache)."""

    def __init__(
        self,
        repository: ScheduleRepository,
        latest: LaunchPlans,
        exact: LaunchPlans,
        clock: Clock,
    ) -> None:
        self._repository = repository
        self._latest = latest
        self._exact = exact
        self._clock = clock

    def activate_launch_plan(
        self, request: ss.ActivateLaunchPlanRequest
    ) -> ss.ActivateLaunchPlanResponse:
        require(request.HasField("id"), "id")
        check_identifier(request.id, "id", RESOURCE_TYPE_LAUNCH_PLAN, version_required=False)
        plan = self._latest(request.id)
        if not plan.spec.HasField("schedule"):
            raise FailedPrecondition(f"{describe(plan.id)} has no schedule to activate")
        name = _name(plan.id)
        row = self._repository.activate(name, plan.id.version, self._clock(), caller_name())
        return ss.ActivateLaunchPlanResponse(
            active=self._active(row, plan, DEFAULT_NEXT_TICKS, self._clock())
        )

    def deactivate_launch_plan(
        self, request: ss.DeactivateLaunchPlanRequest
    ) -> ss.DeactivateLaunchPlanResponse:
        require(request.HasField("id"), "id")
        check_identifier(request.id, "id", RESOURCE_TYPE_LAUNCH_PLAN, version_required=False)
        name = _name(request.id)
        version = self._repository.deactivate(name, request.id.version)
        response = ss.DeactivateLaunchPlanResponse()
        if version is not None:
            response.deactivated.CopyFrom(launch_plan_id(name, version))
        return response

    def list_active_launch_plans(
        self, request: ss.ListActiveLaunchPlansRequest
    ) -> ss.ListActiveLaunchPlansResponse:
        for field in ("project", "domain"):
            if getattr(request, field):
                check_name(field, getattr(request, field), field)
        if not 0 <= request.next_ticks <= MAX_NEXT_TICKS:
            raise InvalidArgument("next_ticks", f"must be between 0 and {MAX_NEXT_TICKS}")
        count = request.next_ticks or DEFAULT_NEXT_TICKS
        size = page_size(request.page_size)
        query = [request.project, request.domain]
        cursor = decode_page_token(request.page_token, query, str)
        after = None if cursor is None else _split(cursor)
        rows = self._repository.activations(request.project, request.domain, after, size + 1)
        now = self._clock()
        response = ss.ListActiveLaunchPlansResponse()
        for row in rows[:size]:
            plan = self._exact(launch_plan_id(_row_name(row), row.version))
            response.launch_plans.append(self._active(row, plan, count, now))
        if len(rows) > size:
            last = rows[size - 1]
            response.next_page_token = encode_page_token(
                query, "/".join((last.project, last.domain, last.name))
            )
        return response

    def list_schedule_ticks(
        self, request: ss.ListScheduleTicksRequest
    ) -> ss.ListScheduleTicksResponse:
        require(request.HasField("id"), "id")
        check_identifier(request.id, "id", RESOURCE_TYPE_LAUNCH_PLAN, version_required=False)
        name = _name(request.id)
        size = page_size(request.page_size)
        query = list(name)
        cursor = decode_page_token(request.page_token, query, str)
        before = None if cursor is None else _instant(cursor)
        rows = self._repository.ticks(name, before, size + 1)
        response = ss.ListScheduleTicksResponse(ticks=[_tick(row) for row in rows[:size]])
        if len(rows) > size:
            response.next_page_token = encode_page_token(query, rows[size - 1].tick_at.isoformat())
        return response

    def _active(
        self, row: ActivationRow, plan: LaunchPlan, count: int, now: datetime
    ) -> ss.ActiveLaunchPlan:
        active = ss.ActiveLaunchPlan(
            id=launch_plan_id(_row_name(row), row.version),
            schedule=plan.spec.schedule,
            activated_at=to_timestamp(row.activated_at),
            activated_by=row.activated_by,
        )
        for tick in next_ticks(plan.spec.schedule, max(now, row.activated_at), count):
            active.next_ticks.append(to_timestamp(tick))
        return active


def _name(identifier: Identifier) -> PlanName:
    return identifier.project, identifier.domain, identifier.name


def _row_name(row: ActivationRow | TickRow) -> PlanName:
    return row.project, row.domain, row.name


def _split(cursor: str) -> PlanName:
    project, domain, name = cursor.split("/", 2)
    return project, domain, name


def _instant(cursor: str) -> datetime:
    try:
        return datetime.fromisoformat(cursor)
    except ValueError:
        raise InvalidArgument("page_token", "is not a page token this server issued") from None


def _tick(row: TickRow) -> ss.ScheduleTick:
    tick = ss.ScheduleTick(
        launch_plan_id=launch_plan_id(_row_name(row), row.version),
        tick_at=to_timestamp(row.tick_at),
        state=row.state,  # type: ignore[arg-type]
        execution_id=ExecutionIdentifier(
            project=row.project, domain=row.domain, name=row.execution_name
        ),
        skipped_before=row.skipped_before,
        claimed_at=to_timestamp(row.claimed_at),
        error=row.error,
    )
    if row.launched_at is not None:
        tick.launched_at.CopyFrom(to_timestamp(row.launched_at))
    return tick
