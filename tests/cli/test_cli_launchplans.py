"""`graven launchplans activate|deactivate|list|ticks` against a real control plane whose
scheduler the test drives (its clock moves when the test says), and the SDK's schedules."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auth_support import admin_token, agent_token, authorized_channel, remember
from cli_language_support import PlaneClient, wait_until, write_package
from test_cli_registry import assert_one_line_error, graven

from graven import Cron, FixedRate, LaunchPlan, task, workflow
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.errors import GravenDefinitionError
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import workflow_pb2 as wf
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.schedule_pb2 import CATCH_UP_POLICY_LATEST
from graven.v1.types_pb2 import SIMPLE_TYPE_DATETIME, LiteralType

DATETIME = LiteralType(simple=SIMPLE_TYPE_DATETIME)
START = datetime(2026, 6, 1, 12, 0, 1, tzinfo=UTC)


class MovingClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def client(tmp_path: Path, clock: MovingClock) -> Iterator[PlaneClient]:
    settings = dataclasses.replace(Settings.for_home(tmp_path, grpc_port=0), scheduler_seconds=0)
    with ControlPlane(settings, clock=clock) as plane:
        channel = authorized_channel(remember(plane))
        yield PlaneClient(plane, channel)
        channel.close()


def every_five_seconds(client: PlaneClient, name: str) -> None:
    sink = client.register_task("sink", [("run_at", DATETIME)], [])
    interface = TypedInterface(inputs=[Variable(name="run_at", type=DATETIME)])
    node = client.task_node("sink", sink, run_at=wf.BindingData(workflow_input="run_at"))
    workflow_id = client.register_workflow("nightly_wf", interface, [node])
    spec = LaunchPlanSpec(
        workflow_id=workflow_id,
        schedule=FixedRate(timedelta(seconds=5), kickoff_input="run_at").proto(),
    )
    identifier = client.id(idl.RESOURCE_TYPE_LAUNCH_PLAN, name)
    identifier.version = "v1"
    client.registry.CreateLaunchPlan(rs.CreateLaunchPlanRequest(id=identifier, spec=spec))


def test_activate_list_ticks_and_deactivate(client: PlaneClient, clock: MovingClock) -> None:
    every_five_seconds(client, "nightly")
    where = ["-p", client.project, "-d", "dev", "--endpoint", client.endpoint]
    activated = graven("launchplans", "activate", "nightly", *where, endpoint=client.endpoint)
    assert activated.returncode == 0, activated.stderr
    assert "Activated nightly v1 (every 0:00:05" in activated.stdout
    listed = graven(
        "launchplans",
        "list",
        "-p",
        client.project,
        "--json",
        "--endpoint",
        client.endpoint,
        endpoint=client.endpoint,
    )
    (active,) = json.loads(listed.stdout)
    assert (active["id"]["name"], active["id"]["version"]) == ("nightly", "v1")
    assert active["next_ticks"] == [
        "2026-06-01T12:00:05Z",
        "2026-06-01T12:00:10Z",
        "2026-06-01T12:00:15Z",
    ]
    clock.now = START + timedelta(seconds=10)
    assert client.plane.scheduler.run_once() == 2
    shown = graven("launchplans", "ticks", "nightly", *where, "--json", endpoint=client.endpoint)
    ticks = json.loads(shown.stdout)
    assert [t["state"] for t in ticks] == ["TICK_STATE_LAUNCHED"] * 2
    assert ticks[0]["tick_at"] == "2026-06-01T12:00:10Z"
    table = graven("launchplans", "ticks", "nightly", *where, endpoint=client.endpoint)
    assert "launched" in table.stdout
    stopped = graven("launchplans", "deactivate", "nightly", *where, endpoint=client.endpoint)
    assert "Deactivated nightly v1." in stopped.stdout
    again = graven("launchplans", "deactivate", "nightly", *where, endpoint=client.endpoint)
    assert "no active version" in again.stdout
    clock.now += timedelta(minutes=1)
    assert client.plane.scheduler.run_once() == 0


def test_activating_an_unknown_launch_plan_is_one_error_line(client: PlaneClient) -> None:
    where = ["-p", client.project, "-d", "dev", "--endpoint", client.endpoint]
    result = graven("launchplans", "activate", "nothing", *where, endpoint=client.endpoint)
    assert_one_line_error(result, "nothing")


@task
def report(run_at: datetime, label: str) -> str:
    return f"{label} {run_at.isoformat()}"


@workflow
def nightly(run_at: datetime, label: str = "x") -> str:
    return report(run_at=run_at, label=label)


def test_the_sdk_puts_the_schedule_in_the_spec_and_checks_the_kickoff_input() -> None:
    plan = LaunchPlan(
        "nightly",
        nightly,
        schedule=Cron(
            "0 2 * * *", timezone="Europe/Paris", kickoff_input="run_at", catch_up="latest"
        ),
    )
    spec = plan.spec(idl.Identifier())
    assert spec.schedule.cron.expression == "0 2 * * *"
    assert spec.schedule.cron.timezone == "Europe/Paris"
    assert spec.schedule.kickoff_input == "run_at"
    assert spec.schedule.catch_up == CATCH_UP_POLICY_LATEST
    with pytest.raises(GravenDefinitionError, match="not a datetime input"):
        LaunchPlan("bad", nightly, schedule=FixedRate(timedelta(hours=6), kickoff_input="label"))
    with pytest.raises(GravenDefinitionError, match="is fixed"):
        LaunchPlan(
            "bad",
            nightly,
            fixed_inputs={"run_at": START},
            schedule=FixedRate(timedelta(hours=6), kickoff_input="run_at"),
        )
    with pytest.raises(GravenDefinitionError, match="at least a second"):
        FixedRate(timedelta(milliseconds=10))
    with pytest.raises(GravenDefinitionError, match="five-field"):
        Cron("0 2 * *")
    with pytest.raises(GravenDefinitionError, match="catch_up"):
        Cron("0 2 * * *", catch_up="some")


SCHEDULED = """
from datetime import datetime, timedelta

from graven import FixedRate, LaunchPlan, task, workflow


@task
def stamp(run_at: datetime, label: str) -> str:
    return f"{label} at {run_at.isoformat()}"


@workflow
def stamped(run_at: datetime, label: str = "tick") -> str:
    return stamp(run_at=run_at, label=label)


every_five = LaunchPlan(
    "sched.every_five", stamped, schedule=FixedRate(timedelta(seconds=5), kickoff_input="run_at")
)
"""


@pytest.fixture
def running(tmp_path: Path, clock: MovingClock, ray_address: str) -> Iterator[PlaneClient]:
    """A control plane with a real agent on the session's Ray; its scheduler's clock moves
    when the test says."""
    from graven.data_plane.agent import Agent

    settings = dataclasses.replace(
        Settings.for_home(tmp_path / "home", grpc_port=0), scheduler_seconds=0
    )
    with ControlPlane(settings, clock=clock) as plane:
        channel = authorized_channel(remember(plane))
        client = PlaneClient(plane, channel)
        agent = Agent(client.endpoint, ray_address, claim_wait=1.0, token=agent_token(plane))
        thread = threading.Thread(target=agent.run, name="schedule-agent", daemon=True)
        thread.start()
        try:
            assert agent.ready.wait(60), "the agent did not start"
            yield client
        finally:
            agent.stop()
            thread.join(30)
            client.agent_channel.close()
            channel.close()


def test_an_activated_schedule_runs_executions_that_succeed_until_deactivated(
    running: PlaneClient, clock: MovingClock, tmp_path: Path
) -> None:
    at = running.endpoint
    package = write_package(tmp_path / "code", "tickpkg", SCHEDULED)
    registered = graven("register", str(package), "-p", running.project, endpoint=at)
    assert registered.returncode == 0, registered.stderr
    where = ["-p", running.project, "-d", "development", "--endpoint", at]
    activated = graven("launchplans", "activate", "sched.every_five", *where, endpoint=at)
    assert activated.returncode == 0, activated.stderr
    clock.now = START + timedelta(seconds=8)  # 12:00:09: one tick, 12:00:05
    assert running.plane.scheduler.run_once() == 1
    with Remote(at, token=admin_token(running.plane)) as remote:
        ticks = list(remote.schedule_ticks("sched.every_five", running.project, "development"))
        (tick,) = ticks
        execution_id = tick.execution_id

        def succeeded() -> bool:
            phase = remote.execution(execution_id).closure.phase
            assert phase not in (ex.EXECUTION_PHASE_FAILED, ex.EXECUTION_PHASE_TERMINATED)
            return phase == ex.EXECUTION_PHASE_SUCCEEDED

        wait_until(succeeded, "the scheduled execution to succeed")
        assert remote.outputs(execution_id) == {"o0": "tick at 2026-06-01T12:00:05+00:00"}
        stopped = graven("launchplans", "deactivate", "sched.every_five", *where, endpoint=at)
        assert stopped.returncode == 0, stopped.stderr
        clock.now += timedelta(minutes=5)
        assert running.plane.scheduler.run_once() == 0
        assert (
            len(list(remote.schedule_ticks("sched.every_five", running.project, "development")))
            == 1
        )


HOURLY = """
from datetime import datetime, timedelta

from graven import FixedRate, LaunchPlan, task, workflow


@task
def hour(run_at: datetime) -> int:
    return run_at.hour


@workflow
def hours(run_at: datetime) -> int:
    return hour(run_at=run_at)


hourly = LaunchPlan(
    "fill.hourly", hours, schedule=FixedRate(timedelta(hours=1), kickoff_input="run_at")
)
"""


def most_at_once(executions: list[ex.Execution]) -> int:
    """The most executions running at one instant, from their start and finish times."""
    edges = []
    for execution in executions:
        edges.append((execution.closure.started_at.ToNanoseconds(), 1))
        edges.append((execution.closure.finished_at.ToNanoseconds(), -1))
    running = most = 0
    for _, change in sorted(edges):  # a finish sorts before a start at the same instant
        running += change
        most = max(most, running)
    return most


def test_a_backfill_of_48_hourly_ticks_four_at_once_run_twice_makes_48_executions(
    running: PlaneClient, tmp_path: Path
) -> None:
    at = running.endpoint
    package = write_package(tmp_path / "code", "fillpkg", HOURLY)
    registered = graven("register", str(package), "-p", running.project, endpoint=at)
    assert registered.returncode == 0, registered.stderr
    where = ["-p", running.project, "-d", "development", "--endpoint", at]
    span = ["--from", "2026-01-01T00:00:00Z", "--to", "2026-01-02T23:00:00Z"]
    listed = graven("backfill", "fill.hourly", *span, "--dry-run", *where, endpoint=at)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == "2026-01-01T00:00:00+00:00"
    assert "48 ticks of fill.hourly" in listed.stdout
    first = graven("backfill", "fill.hourly", *span, "--parallel", "4", *where, endpoint=at)
    assert first.returncode == 0, first.stderr
    assert "48 ticks, 48 executions created, 0 existed already" in first.stdout
    again = graven("backfill", "fill.hourly", *span, "--parallel", "4", *where, endpoint=at)
    assert "48 ticks, 0 executions created, 48 existed already" in again.stdout, again.stderr
    with Remote(at, token=admin_token(running.plane)) as remote:
        executions = list(remote.list_executions(running.project, "development"))
        assert len(executions) == 48
        assert {e.closure.phase for e in executions} == {ex.EXECUTION_PHASE_SUCCEEDED}
        assert most_at_once(executions) <= 4
        outputs = sorted(remote.outputs(e.id)["o0"] for e in executions)
        assert outputs == sorted([*range(24), *range(24)])


def test_a_reversed_or_too_large_backfill_range_is_one_error_line(client: PlaneClient) -> None:
    every_five_seconds(client, "nightly")
    where = ["-p", client.project, "-d", "dev", "--endpoint", client.endpoint]
    reversed_range = ["--from", "2026-01-02T00:00:00Z", "--to", "2026-01-01T00:00:00Z"]
    result = graven("backfill", "nightly", *reversed_range, *where, endpoint=client.endpoint)
    assert_one_line_error(result, "is before --from")
    huge = ["--from", "2026-01-01T00:00:00Z", "--to", "2026-12-31T00:00:00Z"]
    result = graven("backfill", "nightly", *huge, "--dry-run", *where, endpoint=client.endpoint)
    assert_one_line_error(result, "more than 10000 ticks")
