"""The agent end to end: a real control plane, registration through the SDK, real Ray."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from dp_support import pid_alive, wait_until

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.data_plane.agent import Agent
from graven.literals import to_literal, to_python
from graven.remote import Remote
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, ExecutionIdentifier, Identifier
from graven.v1.literals_pb2 import LiteralMap

PROJECT = "dp"
DOMAIN = "dev"
TERMINAL = {
    pb.EXECUTION_PHASE_SUCCEEDED,
    pb.EXECUTION_PHASE_FAILED,
    pb.EXECUTION_PHASE_TERMINATED,
    pb.EXECUTION_PHASE_TIMED_OUT,
}
LEASE_SECONDS = 2.0

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
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    """A control plane of its own, with a short lease so a dead agent is replaced quickly."""
    settings = Settings.for_home(tmp_path / "home", grpc_port=0)
    control_plane = ControlPlane(dataclasses.replace(settings, lease_seconds=LEASE_SECONDS))
    control_plane.start()
    yield control_plane
    control_plane.stop(grace=None)


@pytest.fixture
def flows(plane: ControlPlane, tmp_path: Path) -> dict[str, str]:
    """Register the project; the version of each workflow by name."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "flows.py").write_text(textwrap.dedent(FLOWS))
    with Remote(plane.grpc_address) as remote:
        registered = remote.register(root / "flows.py", project=PROJECT, domain=DOMAIN)
    return {
        r.id.name.rsplit(".", 1)[-1]: r.id.version
        for r in registered
        if r.id.resource_type == RESOURCE_TYPE_WORKFLOW
    }


@pytest.fixture
def executions(plane: ControlPlane) -> Iterator[ExecutionServiceStub]:
    channel = grpc.insecure_channel(plane.grpc_address)
    yield ExecutionServiceStub(channel)
    channel.close()


@pytest.fixture
def agent(plane: ControlPlane, ray_address: str) -> Iterator[Agent]:
    running = Agent(plane.grpc_address, ray_address, claim_wait=1.0)
    thread = threading.Thread(target=running.run)
    thread.start()
    yield running
    running.stop()
    thread.join(30)
    assert not thread.is_alive()


def launch(
    stub: ExecutionServiceStub, flows: dict[str, str], name: str, **inputs: object
) -> ExecutionIdentifier:
    literals = LiteralMap(literals={k: to_literal(v, type(v)) for k, v in inputs.items()})
    workflow_id = Identifier(
        resource_type=RESOURCE_TYPE_WORKFLOW,
        project=PROJECT,
        domain=DOMAIN,
        name=f"flows.{name}",
        version=flows[name],
    )
    request = es.CreateExecutionRequest(
        project=PROJECT, domain=DOMAIN, workflow_id=workflow_id, inputs=literals
    )
    return stub.CreateExecution(request).execution.id


def wait_for(
    stub: ExecutionServiceStub, execution_id: ExecutionIdentifier, timeout: float = 60
) -> pb.Execution:
    found: list[pb.Execution] = []

    def terminal() -> bool:
        execution = stub.GetExecution(es.GetExecutionRequest(id=execution_id)).execution
        found[:] = [execution]
        return execution.closure.phase in TERMINAL

    wait_until(terminal, timeout, "the execution to end")
    return found[0]


def nodes(
    stub: ExecutionServiceStub, execution_id: ExecutionIdentifier
) -> dict[str, pb.NodeExecution]:
    request = es.ListNodeExecutionsRequest(execution_id=execution_id, page_size=100)
    return {n.id.node_id: n for n in stub.ListNodeExecutions(request).node_executions}


def outputs(stub: ExecutionServiceStub, execution_id: ExecutionIdentifier) -> LiteralMap:
    return stub.GetExecutionData(es.GetExecutionDataRequest(id=execution_id)).outputs


def runs(folder: Path, name: str) -> int:
    path = folder / f"ran-{name}"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.usefixtures("agent")
def test_three_attempts_then_success_are_recorded(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    execution_id = launch(executions, flows, "retried", folder=str(tmp_path), failures=2)
    execution = wait_for(executions, execution_id)
    assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert to_python(outputs(executions, execution_id).literals["o0"], str) == "ok after 3"
    (node,) = nodes(executions, execution_id).values()
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
    execution_id = launch(executions, flows, "retried", folder=str(tmp_path), failures=5)
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
    execution_id = launch(executions, flows, "too_slow", folder=str(tmp_path))
    execution = wait_for(executions, execution_id, 30)
    assert execution.closure.phase == pb.EXECUTION_PHASE_TIMED_OUT
    (node,) = nodes(executions, execution_id).values()
    assert node.phase == pb.NODE_PHASE_TIMED_OUT
    assert node.error.kind == pb.ERROR_KIND_TIMEOUT
    pid = int((tmp_path / "slow-pid").read_text())
    wait_until(lambda: not pid_alive(pid), 10, "the timed-out task's worker to stop")


@pytest.mark.usefixtures("agent")
def test_terminate_reaches_terminated_within_five_seconds_and_stops_the_task(
    executions: ExecutionServiceStub, flows: dict[str, str], tmp_path: Path
) -> None:
    execution_id = launch(executions, flows, "chain", folder=str(tmp_path))
    wait_until(lambda: (tmp_path / "started-c").exists(), 60, "node c to start")
    pid = int((tmp_path / "started-c").read_text())
    asked = time.monotonic()
    executions.TerminateExecution(es.TerminateExecutionRequest(id=execution_id, reason="test"))
    execution = wait_for(executions, execution_id, 5)
    assert time.monotonic() - asked < 5
    assert execution.closure.phase == pb.EXECUTION_PHASE_TERMINATED
    assert nodes(executions, execution_id)["n2"].phase == pb.NODE_PHASE_TERMINATED
    wait_until(lambda: not pid_alive(pid), 5, "the cancelled task's worker to stop")
    assert runs(tmp_path, "c") == 0
    assert runs(tmp_path, "d") == 0


AGENT_SCRIPT = """
import sys
from graven.data_plane.agent import Agent
Agent(sys.argv[1], sys.argv[2], claim_wait=1.0).run()
"""


def test_a_killed_agent_is_replaced_and_no_succeeded_node_runs_twice(
    plane: ControlPlane,
    executions: ExecutionServiceStub,
    flows: dict[str, str],
    ray_address: str,
    tmp_path: Path,
) -> None:
    doomed = subprocess.Popen([sys.executable, "-c", AGENT_SCRIPT, plane.grpc_address, ray_address])
    try:
        execution_id = launch(executions, flows, "chain", folder=str(tmp_path))
        wait_until(lambda: (tmp_path / "started-c").exists(), 60, "node c to start")
        orphan = int((tmp_path / "started-c").read_text())
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    # Ray stops the tasks of a driver that died.
    wait_until(lambda: not pid_alive(orphan), 30, "the dead agent's task to stop")
    (tmp_path / "gate").touch()

    successor = Agent(plane.grpc_address, ray_address, claim_wait=1.0)
    thread = threading.Thread(target=successor.run)
    thread.start()
    try:
        execution = wait_for(executions, execution_id, 60)
    finally:
        successor.stop()
        thread.join(30)
    assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert to_python(outputs(executions, execution_id).literals["o0"], int) == 4
    assert [runs(tmp_path, n) for n in "abcd"] == [1, 1, 1, 1]
    recorded = nodes(executions, execution_id)
    assert all(n.phase == pb.NODE_PHASE_SUCCEEDED for n in recorded.values())
    assert all(n.outputs_uri for n in recorded.values())
    # The interrupted attempt of c is on record, and cost no retry.
    assert [a.phase for a in recorded["n2"].attempts] == [
        pb.NODE_PHASE_FAILED,
        pb.NODE_PHASE_SUCCEEDED,
    ]
