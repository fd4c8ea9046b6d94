"""ScheduleService over Connect (the console's and HTTP clients' API) against a real
control plane's HTTP port: a launcher activates and deactivates, the active list and the
ticks read back, a viewer may read but not activate, and a missing launch plan is
not_found."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auth_support import ConnectBearer, admin_token, authorized_channel, remember
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from cp_support import (
    from_input,
    launch_plan_id,
    node,
    task_id,
    task_spec,
    var,
    workflow_id,
    workflow_spec,
)

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import schedule_service_pb2 as ss
from graven.v1 import token_service_pb2 as tk
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.schedule_pb2 import FixedRateSchedule, Schedule
from graven.v1.schedule_service_connect import ScheduleServiceClientSync
from graven.v1.token_service_pb2_grpc import TokenServiceStub
from graven.v1.types_pb2 import SIMPLE_TYPE_DATETIME, LiteralType

WAIT_MS = 10_000
START = datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC)


class FixedClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def plane(tmp_path: Path, clock: FixedClock) -> Iterator[ControlPlane]:
    settings = Settings.for_home(tmp_path, grpc_port=0, http_port=0)
    with ControlPlane(dataclasses.replace(settings, scheduler_seconds=0), clock=clock) as plane:
        yield remember(plane)


def schedules_as(plane: ControlPlane, secret: str) -> ScheduleServiceClientSync:
    return ScheduleServiceClientSync(
        f"http://127.0.0.1:{plane.http_port}",
        interceptors=[ConnectBearer(secret)],
        timeout_ms=WAIT_MS,
    )


def registered(plane: ControlPlane, project: str) -> rs.CreateLaunchPlanResponse:
    channel = authorized_channel(plane)
    registry = RegistryServiceStub(channel)
    datetime_type = LiteralType(simple=SIMPLE_TYPE_DATETIME)
    sink = task_id("sink", project=project)
    inputs = [var("run_at", datetime_type)]
    registry.CreateTask(rs.CreateTaskRequest(id=sink, spec=task_spec(inputs)))
    flow = workflow_id("flow", project=project)
    spec = workflow_spec([node("sink", sink, run_at=from_input("run_at"))], inputs=inputs)
    registry.CreateWorkflow(rs.CreateWorkflowRequest(id=flow, spec=spec))
    schedule = Schedule(fixed_rate=FixedRateSchedule(), kickoff_input="run_at")
    schedule.fixed_rate.interval.FromSeconds(10)
    plan = LaunchPlanSpec(workflow_id=flow, schedule=schedule)
    request = rs.CreateLaunchPlanRequest(id=launch_plan_id("every10", project=project), spec=plan)
    created = registry.CreateLaunchPlan(request)
    channel.close()
    return created


def viewer_secret(plane: ControlPlane) -> str:
    channel = authorized_channel(plane)
    request = tk.CreateTokenRequest(
        name=f"viewer-{uuid.uuid4().hex[:8]}",
        role=tk.TOKEN_ROLE_VIEWER,
        scopes=[tk.TokenScope(project="*", domain="*")],
    )
    secret = TokenServiceStub(channel).CreateToken(request).secret
    channel.close()
    return secret


def test_activate_list_ticks_and_deactivate_over_connect(
    plane: ControlPlane, clock: FixedClock
) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    plan = registered(plane, project).launch_plan
    admin = schedules_as(plane, admin_token(plane))
    active = admin.activate_launch_plan(ss.ActivateLaunchPlanRequest(id=plan.id)).active
    assert active.id == plan.id
    assert active.next_ticks[0].ToDatetime(UTC) == START + timedelta(seconds=9)
    listed = admin.list_active_launch_plans(ss.ListActiveLaunchPlansRequest(project=project))
    assert [a.id.name for a in listed.launch_plans] == ["every10"]
    clock.now = START + timedelta(seconds=20)
    assert plane.scheduler.run_once() == 2
    viewer = schedules_as(plane, viewer_secret(plane))
    ticks = viewer.list_schedule_ticks(ss.ListScheduleTicksRequest(id=plan.id, page_size=1))
    assert len(ticks.ticks) == 1
    assert ticks.ticks[0].state == ss.TICK_STATE_LAUNCHED
    rest = viewer.list_schedule_ticks(
        ss.ListScheduleTicksRequest(id=plan.id, page_size=1, page_token=ticks.next_page_token)
    )
    assert rest.ticks[0].tick_at.ToDatetime(UTC) < ticks.ticks[0].tick_at.ToDatetime(UTC)
    with pytest.raises(ConnectError) as refused:
        viewer.deactivate_launch_plan(ss.DeactivateLaunchPlanRequest(id=plan.id))
    assert refused.value.code == Code.PERMISSION_DENIED
    done = admin.deactivate_launch_plan(ss.DeactivateLaunchPlanRequest(id=plan.id))
    assert done.deactivated == plan.id
    missing = launch_plan_id("nothing", project=project)
    with pytest.raises(ConnectError) as unknown:
        admin.activate_launch_plan(ss.ActivateLaunchPlanRequest(id=missing))
    assert unknown.value.code == Code.NOT_FOUND
