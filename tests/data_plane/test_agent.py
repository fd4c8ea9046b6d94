"""The agent end to end: a real control plane, registration through the SDK, real Ray."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_support import admin_token, agent_channel, agent_token
from dp_support import (
    DOMAIN,
    LEASE_SECONDS,
    PROJECT,
    agent_process,
    execution_outputs,
    get_execution,
    launch,
    node_executions,
    pid_alive,
    wait_for,
    wait_until,
)
from google.protobuf.duration_pb2 import Duration

from graven.control_plane.app import ControlPlane
from graven.data_plane.agent import Agent
from graven.data_plane.events import EventReporter
from graven.data_plane.leases import LeaseKeeper
from graven.literals import to_python
from graven.remote import Remote
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.agent_service_pb2 import ClaimExecutionRequest
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, ExecutionIdentifier

FLOWS = """
    import os
    import time
    from pathlib import Path

    from graven import task, workflow


    def _mark(folder: str, what: str) -> int:
        # One line per run: the tests count side effects, not reports.
        path = Path(folder, what)
        with path.open("a") as f:
            f.write(f"{os.getpid()}\\n")
        return len(path.read_text().splitlines())


    @task
    def step(folder: str, name: str, x: int, gated: bool) -> int:
        Path(folder, f"started-{name}").write_text(str(os.getpid()))
        while gated and not Path(folder, "gate").exists():
            time.sleep(0.02)
        _mark(folder, f"ran-{name}")
        return x + 1


    @workflow
    def chain(folder: str) -> int:
        a = step(folder=folder, name="a", x=0, gated=False)
        b = step(folder=folder, name="b", x=a, gated=False)
        c = step(folder=folder, name="c", x=b, gated=True)
        return step(folder=folder, name="d", x=c, gated=False)


    @task(retries=2)
    def flaky(folder: str, failures: int) -> str:
        runs = _mark(folder, "flaky")
        if runs <= failures:
            raise RuntimeError(f"failure {runs} of {failures}")
        return f"ok after {runs}"


    @workflow
    def retried(folder: str, failures: int) -> str:
        return flaky(folder=folder, failures=failures)


    @task(timeout=1)
    def slow(folder: str) -> int:
        Path(folder, "slow-pid").write_text(str(os.getpid()))
        time.sleep(60)
        return 1


    @workflow
    def too_slow(folder: str) -> int:
        return slow(folder=folder)
"""


@pytest.fixture
def flows(plane: ControlPlane, tmp_path: Path) -> dict[str, str]:
    """Register the project; the version of each workflow by name."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "flows.py").write_text(textwrap.dedent(FLOWS))
    with Remote(plane.grpc_address, token=admin_token(plane)) as remote:
        registered = remote.register(root / "flows.py", project=PROJECT, domain=DOMAIN)
    return {
        r.id.name: r.id.version for r in registered if r.id.resource_type == RESOURCE_TYPE_WORKFLOW
    }


def start(
    stub: ExecutionServiceStub, flows: dict[str, str], name: str, **inputs: object
) -> ExecutionIdentifier:
    return launch(stub, f"flows.{name}", flows[f"flows.{name}"], **inputs)


def runs(folder: Path, name: str) -> int:
    path = folder / f"ran-{name}"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.usefixtures("agent")
def test_three_attempts_then_success_are_recorded(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    execution_id = start(executions, flows, "retried", folder=str(tmp_path), failures=2)
    execution = wait_for(executions, execution_id)
    assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert (
        to_python(execution_outputs(executions, execution_id).literals["o0"], str) == "ok after 3"
    )
    (node,) = node_executions(executions, execution_id).values()
    assert [a.attempt for a in node.attempts] == [1, 2, 3]
    assert [a.phase for a in node.attempts] == [
        pb.NODE_PHASE_FAILED,
        pb.NODE_PHASE_FAILED,
        pb.NODE_PHASE_SUCCEEDED,
    ]
    assert node.attempts[0].error.type == "RuntimeError"
    assert node.attempts[1].error.message == "failure 2 of 2"


@pytest.mark.usefixtures("agent")
def test_exhausted_retries_fail_with_the_users_traceback(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    execution_id = start(executions, flows, "retried", folder=str(tmp_path), failures=5)
    execution = wait_for(executions, execution_id)
    assert execution.closure.phase == pb.EXECUTION_PHASE_FAILED
    error = execution.closure.error
    assert error.kind == pb.ERROR_KIND_USER
    assert error.type == "RuntimeError"
    assert error.message == "failure 3 of 5"
    assert 'raise RuntimeError(f"failure {runs} of {failures}")' in error.traceback
    assert len((tmp_path / "flaky").read_text().splitlines()) == 3


@pytest.mark.usefixtures("agent")
def test_a_task_past_its_timeout_is_stopped(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    execution_id = start(executions, flows, "too_slow", folder=str(tmp_path))
    execution = wait_for(executions, execution_id, 30)
    assert execution.closure.phase == pb.EXECUTION_PHASE_TIMED_OUT
    (node,) = node_executions(executions, execution_id).values()
    assert node.phase == pb.NODE_PHASE_TIMED_OUT
    assert node.error.kind == pb.ERROR_KIND_TIMEOUT
    pid = int((tmp_path / "slow-pid").read_text())
    wait_until(lambda: not pid_alive(pid), 10, "the timed-out task's worker to stop")


@pytest.mark.usefixtures("agent")
def test_terminate_reaches_terminated_within_five_seconds_and_stops_the_task(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    execution_id = start(executions, flows, "chain", folder=str(tmp_path))
    wait_until(lambda: (tmp_path / "started-c").exists(), 60, "node c to start")
    pid = int((tmp_path / "started-c").read_text())
    asked = time.monotonic()
    executions.TerminateExecution(es.TerminateExecutionRequest(id=execution_id, reason="test"))
    execution = wait_for(executions, execution_id, 5)
    assert time.monotonic() - asked < 5
    assert execution.closure.phase == pb.EXECUTION_PHASE_TERMINATED
    assert node_executions(executions, execution_id)["n2"].phase == pb.NODE_PHASE_TERMINATED
    wait_until(lambda: not pid_alive(pid), 5, "the cancelled task's worker to stop")
    assert runs(tmp_path, "c") == 0
    assert runs(tmp_path, "d") == 0


def test_a_killed_agent_is_replaced_and_no_succeeded_node_runs_twice(
    plane: ControlPlane,
    executions: ExecutionServiceStub,
    flows: dict[str, str],
    ray_address: str,
    tmp_path: Path,
) -> None:
    doomed = agent_process(plane.grpc_address, ray_address)
    try:
        execution_id = start(executions, flows, "chain", folder=str(tmp_path))
        wait_until(lambda: (tmp_path / "started-c").exists(), 60, "node c to start")
        wait_until(
            lambda: node_executions(executions, execution_id)["n2"].phase == pb.NODE_PHASE_RUNNING,
            10,
            "node c to be reported running",
        )
        orphan = int((tmp_path / "started-c").read_text())
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    # Ray stops the tasks of a driver that died.
    wait_until(lambda: not pid_alive(orphan), 30, "the dead agent's task to stop")
    (tmp_path / "gate").touch()

    successor = Agent(plane.grpc_address, ray_address, claim_wait=1.0, token=agent_token(plane))
    thread = threading.Thread(target=successor.run)
    thread.start()
    try:
        execution = wait_for(executions, execution_id, 60)
    finally:
        successor.stop()
        thread.join(30)
    assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert to_python(execution_outputs(executions, execution_id).literals["o0"], int) == 4
    assert [runs(tmp_path, n) for n in "abcd"] == [1, 1, 1, 1]
    recorded = node_executions(executions, execution_id)
    assert all(n.phase == pb.NODE_PHASE_SUCCEEDED for n in recorded.values())
    assert all(n.outputs_uri for n in recorded.values())
    # The interrupted attempt of c is on record, and cost no retry.
    assert [a.phase for a in recorded["n2"].attempts] == [
        pb.NODE_PHASE_FAILED,
        pb.NODE_PHASE_SUCCEEDED,
    ]


@pytest.mark.usefixtures("agent")
def test_one_agent_runs_several_executions_at_once(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    folders = [tmp_path / "one", tmp_path / "two"]
    launched = []
    for folder in folders:
        folder.mkdir()
        launched.append(start(executions, flows, "chain", folder=str(folder)))
    # Both stop at their gate: each is mid-flight while the other is.
    wait_until(lambda: all((f / "started-c").exists() for f in folders), 60, "both gates")
    for folder in folders:
        (folder / "gate").touch()
    for execution_id in launched:
        assert wait_for(executions, execution_id).closure.phase == pb.EXECUTION_PHASE_SUCCEEDED


def claim_as(stub: AgentServiceStub, agent_id: str) -> ExecutionIdentifier:
    wait = Duration(seconds=10)
    claimed = stub.ClaimExecution(ClaimExecutionRequest(agent_id=agent_id, wait_for=wait))
    return claimed.execution.id


@pytest.fixture
def agent_service(plane: ControlPlane) -> Iterator[AgentServiceStub]:
    channel = agent_channel(plane)
    yield AgentServiceStub(channel)
    channel.close()


def test_heartbeats_relay_terminate_and_lost_leases(
    agent_service: AgentServiceStub,
    executions: ExecutionServiceStub,
    flows: dict[str, str],
    tmp_path: Path,
) -> None:
    execution_id = start(executions, flows, "chain", folder=str(tmp_path))
    assert claim_as(agent_service, "holder") == execution_id
    terminate: list[ExecutionIdentifier] = []
    lost: list[ExecutionIdentifier] = []
    holder = LeaseKeeper(
        agent_service, "holder", on_terminate=terminate.append, on_lost=lost.append
    )
    holder.hold(execution_id, LEASE_SECONDS)
    holder.beat()
    assert (terminate, lost) == ([], [])

    executions.TerminateExecution(es.TerminateExecutionRequest(id=execution_id, reason="test"))
    holder.beat()
    assert (terminate, lost) == ([execution_id], [])

    stranger_lost: list[ExecutionIdentifier] = []
    stranger = LeaseKeeper(
        agent_service, "stranger", on_terminate=terminate.append, on_lost=stranger_lost.append
    )
    stranger.hold(execution_id, LEASE_SECONDS)
    stranger.beat()
    assert stranger_lost == [execution_id]


def test_refused_events_of_one_execution_do_not_hold_back_another(
    agent_service: AgentServiceStub,
    executions: ExecutionServiceStub,
    flows: dict[str, str],
    tmp_path: Path,
) -> None:
    mine = start(executions, flows, "chain", folder=str(tmp_path))
    theirs = start(executions, flows, "chain", folder=str(tmp_path))
    assert claim_as(agent_service, "me") == mine
    assert claim_as(agent_service, "them") == theirs

    def failed(execution_id: ExecutionIdentifier) -> pb.Event:
        error = pb.ExecutionError(kind=pb.ERROR_KIND_SYSTEM, message="reported by me")
        event = pb.ExecutionEvent(id=execution_id, phase=pb.EXECUTION_PHASE_FAILED, error=error)
        return pb.Event(execution=event)

    reporter = EventReporter(agent_service, "me")
    reporter.emit(failed(theirs))
    reporter.emit(failed(mine))
    assert reporter.flush(10)
    reporter.close()
    assert get_execution(executions, mine).closure.phase == pb.EXECUTION_PHASE_FAILED
    assert get_execution(executions, mine).closure.error.message == "reported by me"
    assert get_execution(executions, theirs).closure.phase == pb.EXECUTION_PHASE_RUNNING
