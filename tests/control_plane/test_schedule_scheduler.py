"""The scheduler over real gRPC servers on both databases, its clock driven by the test:
an activated schedule launches one execution per tick with the tick as its kickoff input,
deactivating stops it, two control planes on one database launch each tick once, a crash
between claim and launch loses and doubles nothing, catch-up runs ALL (bounded) or LATEST,
a cron on DST days runs once, and bad schedules are refused at registration."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import pytest
from auth_support import authorized_channel, remember
from cp_support import DOMAIN, STR, launch_plan_id, unique, var
from execution_support import Harness

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.schedule_repository import NewTick, ScheduleRepository
from graven.control_plane.service.schedules import execution_name
from graven.literals import to_literal
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import schedule_service_pb2 as ss
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.schedule_pb2 import (
    CATCH_UP_POLICY_ALL,
    CATCH_UP_POLICY_LATEST,
    CronSchedule,
    FixedRateSchedule,
    Schedule,
)
from graven.v1.schedule_service_pb2_grpc import ScheduleServiceStub
from graven.v1.types_pb2 import SIMPLE_TYPE_DATETIME, LiteralType

DATETIME = LiteralType(simple=SIMPLE_TYPE_DATETIME)
START = datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)


class MovingClock:
    """The scheduler's clock: it moves when the test says."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Plane(Harness):
    def __init__(self, plane: ControlPlane, channel: grpc.Channel, project: str) -> None:
        super().__init__(plane, channel)
        self.project = project
        self.schedules = ScheduleServiceStub(channel)

    def tick(self) -> int:
        return self.plane.scheduler.run_once()


@contextmanager
def planes(home: Path, db_url: str, clock: MovingClock, count: int = 1) -> Iterator[list[Plane]]:
    """``count`` control planes on one database, schedulers driven by hand (no thread)."""
    project = unique("p")
    with ExitStack() as stack:
        started = []
        for i in range(count):
            settings = Settings.for_home(home / f"cp{i}", db_url=db_url, grpc_port=0)
            settings = dataclasses.replace(settings, scheduler_seconds=0)
            plane = stack.enter_context(ControlPlane(settings, clock=clock))
            channel = authorized_channel(remember(plane))
            stack.callback(channel.close)
            harness = Plane(plane, channel, project)
            stack.callback(harness.agent_channel.close)
            started.append(harness)
        yield started


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock(START)


@pytest.fixture
def cp(tmp_path: Path, database_url: str, clock: MovingClock) -> Iterator[Plane]:
    with planes(tmp_path, database_url, clock) as (plane,):
        yield plane


def every(seconds: int, **fields: object) -> Schedule:
    schedule = Schedule(fixed_rate=FixedRateSchedule(), **fields)  # type: ignore[arg-type]
    schedule.fixed_rate.interval.FromSeconds(seconds)
    return schedule


def scheduled(cp: Plane, schedule: Schedule, name: str = "", version: str = "v1") -> Identifier:
    """A launch plan of a workflow with a datetime input run_at and a string label."""
    workflow = cp.register(name=unique("wf"), inputs=[var("run_at", DATETIME), var("label", STR)])
    identifier = launch_plan_id(name or unique("lp"), version, project=cp.project)
    spec = LaunchPlanSpec(workflow_id=workflow.id, schedule=schedule)
    spec.default_inputs.literals["label"].CopyFrom(to_literal("nightly", str))
    cp.registry.CreateLaunchPlan(rs.CreateLaunchPlanRequest(id=identifier, spec=spec))
    return identifier


def activate(cp: Plane, identifier: Identifier) -> ss.ActiveLaunchPlan:
    request = ss.ActivateLaunchPlanRequest(id=identifier)
    return cp.schedules.ActivateLaunchPlan(request).active


def ticks(cp: Plane, identifier: Identifier) -> list[ss.ScheduleTick]:
    request = ss.ListScheduleTicksRequest(id=identifier)
    return list(cp.schedules.ListScheduleTicks(request).ticks)


def executions(cp: Plane) -> list[pb.Execution]:
    request = es.ListExecutionsRequest(project=cp.project, domain=DOMAIN, page_size=1000)
    return list(cp.executions.ListExecutions(request).executions)


def execution_id(cp: Plane, identifier: Identifier, tick: datetime) -> ExecutionIdentifier:
    return ExecutionIdentifier(
        project=cp.project, domain=DOMAIN, name=execution_name(identifier.name, tick)
    )


def test_an_active_fixed_rate_launches_each_tick_once_with_its_time_until_deactivated(
    cp: Plane, clock: MovingClock
) -> None:
    lp = scheduled(cp, every(5, kickoff_input="run_at"))
    active = activate(cp, lp)
    assert active.id.version == "v1"
    assert [t.ToDatetime(UTC) for t in active.next_ticks] == [
        START + timedelta(seconds=3 + 5 * k) for k in range(3)
    ]
    assert cp.tick() == 0  # activated between two ticks: nothing due yet
    clock.advance(seconds=5)
    assert cp.tick() == 1
    assert cp.tick() == 0  # the same tick again launches nothing
    first = START + timedelta(seconds=3)
    execution = cp.get(execution_id(cp, lp, first))
    assert execution.spec.launch_plan_id == lp
    assert execution.closure.phase == pb.EXECUTION_PHASE_QUEUED
    data = cp.executions.GetExecutionData(es.GetExecutionDataRequest(id=execution.id))
    assert data.inputs.literals["run_at"].primitive.datetime == to_timestamp(first)
    assert data.inputs.literals["label"].primitive.string_value == "nightly"
    # An agent can claim it: a scheduled execution is an ordinary queued one.
    assert cp.agent().claim().execution.id == execution.id
    clock.advance(seconds=10)
    assert cp.tick() == 2
    (latest, *_) = ticks(cp, lp)
    assert latest.state == ss.TICK_STATE_LAUNCHED
    assert latest.tick_at == to_timestamp(first + timedelta(seconds=10))
    assert latest.execution_id == execution_id(cp, lp, first + timedelta(seconds=10))
    deactivated = cp.schedules.DeactivateLaunchPlan(ss.DeactivateLaunchPlanRequest(id=lp))
    assert deactivated.deactivated.version == "v1"
    clock.advance(seconds=60)
    assert cp.tick() == 0
    assert len(executions(cp)) == 3
    assert len(ticks(cp, lp)) == 3


def test_two_control_planes_on_one_database_launch_each_tick_once(
    tmp_path: Path, database_url: str, clock: MovingClock
) -> None:
    with planes(tmp_path, database_url, clock, count=2) as (a, b), ThreadPoolExecutor(2) as pool:
        lp = scheduled(a, every(5, kickoff_input="run_at"))
        activate(b, lp)
        created = 0
        for _ in range(6):
            clock.advance(seconds=5)
            created += sum(pool.map(lambda plane: plane.tick(), [a, b]))
        assert created == 6
        names = sorted(e.id.name for e in executions(a))
        expected = [START + timedelta(seconds=3 + 5 * k) for k in range(6)]
        assert names == sorted(execution_name(lp.name, t) for t in expected)
        assert {t.state for t in ticks(b, lp)} == {ss.TICK_STATE_LAUNCHED}


def test_a_scheduler_that_died_after_claiming_or_after_launching_loses_and_doubles_nothing(
    cp: Plane, clock: MovingClock
) -> None:
    lp = scheduled(cp, every(5, kickoff_input="run_at"))
    activate(cp, lp)
    repository = ScheduleRepository(make_sessions(cp.plane.engine))
    name = (cp.project, DOMAIN, lp.name)
    claimed, launched = (START + timedelta(seconds=3 + 5 * k) for k in range(2))
    clock.advance(seconds=7)
    # One scheduler died right after its claim; another right after the launch.
    for tick in (claimed, launched):
        new = NewTick(name, "v1", tick, execution_name(lp.name, tick), 0)
        assert repository.claim([new], ss.TICK_STATE_CLAIMED, clock()) == [True]
        assert repository.claim([new], ss.TICK_STATE_CLAIMED, clock()) == [False]
    cp.executions.CreateExecution(
        es.CreateExecutionRequest(
            project=cp.project,
            domain=DOMAIN,
            name=execution_name(lp.name, launched),
            launch_plan_id=lp,
            inputs=LiteralMap(literals={"run_at": to_literal(launched, datetime)}),
        )
    )
    assert cp.tick() == 1
    assert len(executions(cp)) == 2
    assert {t.state for t in ticks(cp, lp)} == {ss.TICK_STATE_LAUNCHED}


@pytest.mark.parametrize(
    ("policy", "launched", "skipped"),
    [(CATCH_UP_POLICY_ALL, 5, 0), (CATCH_UP_POLICY_LATEST, 1, 4)],
)
def test_after_a_downtime_of_five_ticks_all_runs_five_and_latest_one(
    cp: Plane, clock: MovingClock, policy: int, launched: int, skipped: int
) -> None:
    lp = scheduled(cp, every(5, kickoff_input="run_at", catch_up=policy))
    activate(cp, lp)
    clock.advance(seconds=5)
    assert cp.tick() == 1
    clock.advance(seconds=25)  # the control plane was down through 5 ticks
    assert cp.tick() == launched
    recorded = ticks(cp, lp)
    assert len(recorded) == 1 + launched
    assert recorded[-1 - launched].skipped_before == skipped
    assert len(executions(cp)) == 1 + launched


def test_a_cron_at_0230_paris_runs_once_on_both_dst_days(tmp_path: Path, database_url: str) -> None:
    paris = ZoneInfo("Europe/Paris")
    for day, expected in (("2026-03-29", "03:00"), ("2026-10-25", "02:30")):
        clock = MovingClock(datetime.fromisoformat(f"{day}T00:00:00+01:00").astimezone(UTC))
        with planes(tmp_path / day, database_url, clock) as (cp,):
            schedule = Schedule(
                cron=CronSchedule(expression="30 2 * * *", timezone="Europe/Paris"),
                kickoff_input="run_at",
            )
            lp = scheduled(cp, schedule)
            activate(cp, lp)
            created = 0
            for _ in range(6 * 24):  # every ten minutes through the day
                clock.advance(minutes=10)
                created += cp.tick()
            (tick,) = ticks(cp, lp)
            assert created == 1
            cp.schedules.DeactivateLaunchPlan(ss.DeactivateLaunchPlanRequest(id=lp))
            local = tick.tick_at.ToDatetime(UTC).astimezone(paris)
            assert local.strftime("%Y-%m-%d %H:%M") == f"{day} {expected}"


def test_activating_a_version_deactivates_the_others_and_needs_a_schedule(
    cp: Plane, clock: MovingClock
) -> None:
    name = unique("lp")
    v1 = scheduled(cp, every(60, kickoff_input="run_at"), name=name, version="v1")
    v2 = scheduled(cp, every(30, kickoff_input="run_at"), name=name, version="v2")
    activate(cp, v1)
    latest = Identifier()
    latest.CopyFrom(v2)
    latest.version = ""
    assert activate(cp, latest).id.version == "v2"
    listed = cp.schedules.ListActiveLaunchPlans(
        ss.ListActiveLaunchPlansRequest(project=cp.project, next_ticks=2)
    ).launch_plans
    assert [(a.id.name, a.id.version, len(a.next_ticks)) for a in listed] == [(name, "v2", 2)]
    assert listed[0].schedule == every(30, kickoff_input="run_at")
    # Deactivating a version that is not the active one changes nothing.
    stale = cp.schedules.DeactivateLaunchPlan(ss.DeactivateLaunchPlanRequest(id=v1))
    assert not stale.HasField("deactivated")
    workflow = cp.register(name=unique("wf"))
    plain = launch_plan_id(unique("lp"), project=cp.project)
    spec = LaunchPlanSpec(workflow_id=workflow.id)
    cp.registry.CreateLaunchPlan(rs.CreateLaunchPlanRequest(id=plain, spec=spec))
    with pytest.raises(grpc.RpcError) as refused:
        activate(cp, plain)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (Schedule(cron=CronSchedule(expression="0 25 * * *")), "spec.schedule.cron.expression"),
        (
            Schedule(cron=CronSchedule(expression="0 2 * * *", timezone="Europe/Atlantis")),
            "spec.schedule.cron.timezone",
        ),
        (every(60, kickoff_input="missing"), "spec.schedule.kickoff_input"),
        (every(60, kickoff_input="label"), "spec.schedule.kickoff_input"),
        (every(60), "spec.schedule"),
    ],
)
def test_bad_schedules_are_refused_at_registration(
    cp: Plane, schedule: Schedule, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        scheduled(cp, schedule)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith(f"{field}:")
    assert executions(cp) == []
