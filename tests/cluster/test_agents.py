"""Several agents on one queue, and the loss of each moving part: an agent killed -9, the
control plane killed and restarted, a Ray worker killed in the middle of a task."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from auth_support import token_for
from cluster_support import (
    RayCluster,
    StartAgent,
    launch,
    open_gate,
    ran,
    register_flows,
    start_control_plane,
)
from data_plane.dp_support import wait_until
from database_fixtures import BACKENDS
from e2e.e2e_support import finish, wait_for_exit, wait_for_file

from graven.control_plane.app import ControlPlane
from graven.ports import free_loopback_port
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1.identifier_pb2 import ExecutionIdentifier

FINISH_SECONDS = 120.0


def succeeded(remote: Remote, execution_id: ExecutionIdentifier) -> ex.Execution:
    execution = finish(remote, execution_id, FINISH_SECONDS)
    assert execution.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, execution.closure
    return execution


def attempt_phases(remote: Remote, execution_id: ExecutionIdentifier) -> dict[str, list[int]]:
    return {
        node.id.node_id: [attempt.phase for attempt in node.attempts]
        for node in remote.node_executions(execution_id)
    }


def wait_for_attempts(
    remote: Remote, execution_id: ExecutionIdentifier, node: str, phases: list[int]
) -> None:
    """Until the control plane holds these attempts of ``node``."""
    wait_until(
        lambda: attempt_phases(remote, execution_id).get(node) == phases,
        60,
        f"{node} to be reported with attempts {phases}",
    )


def test_two_agents_share_the_queue_and_run_each_execution_once(
    plane: ControlPlane,
    remote: Remote,
    versions: dict[str, str],
    agents: StartAgent,
    tmp_path: Path,
) -> None:
    # Two executions at a time each: four held at their gate need both agents.
    for name in ("agent-1", "agent-2"):
        agents(plane.grpc_address, name, "--max-executions", "2")
    folders = [tmp_path / f"run-{i}" for i in range(6)]
    launched = []
    for folder in folders:
        folder.mkdir()
        launched.append(launch(remote, versions, "single", folder=str(folder)))
    wait_until(
        lambda: sum((f / "started-only").exists() for f in folders) == 4,
        FINISH_SECONDS,
        "four executions to reach their gate",
    )
    for folder in folders:
        open_gate(folder, "only")
    for execution_id in launched:
        succeeded(remote, execution_id)
    runs = [ran(folder, "only") for folder in folders]
    assert all(len(r) == 1 for r in runs), runs
    # Each agent is a Ray driver (job) of its own: both took a share.
    assert len({job for (job,) in runs}) == 2


def test_a_killed_agents_executions_go_to_the_other_after_the_lease(
    plane: ControlPlane,
    remote: Remote,
    versions: dict[str, str],
    agents: StartAgent,
    tmp_path: Path,
) -> None:
    doomed = agents(plane.grpc_address, "doomed")
    folders = [tmp_path / "one", tmp_path / "two"]
    launched = []
    for folder in folders:
        folder.mkdir()
        launched.append(launch(remote, versions, "chain", folder=str(folder)))
    orphans = [int(wait_for_file(f / "started-b", FINISH_SECONDS)) for f in folders]
    for execution_id in launched:
        wait_for_attempts(remote, execution_id, "n1", [ex.NODE_PHASE_RUNNING])
    heir = agents(plane.grpc_address, "heir")
    doomed.kill()
    # Ray stops the tasks of a driver that died.
    for pid in orphans:
        wait_for_exit(pid, 60)
    for folder in folders:
        open_gate(folder, "b")
        open_gate(folder, "c")
    for execution_id in launched:
        succeeded(remote, execution_id)
        assert remote.outputs(execution_id) == {"o0": 3}
        # b's first attempt died with its agent and cost no retry; nothing ran twice.
        assert attempt_phases(remote, execution_id) == {
            "n0": [ex.NODE_PHASE_SUCCEEDED],
            "n1": [ex.NODE_PHASE_FAILED, ex.NODE_PHASE_SUCCEEDED],
            "n2": [ex.NODE_PHASE_SUCCEEDED],
        }
    for folder in folders:
        assert [len(ran(folder, step)) for step in "abc"] == [1, 1, 1]
        # a ran under the dead agent, b and c under its heir.
        assert ran(folder, "a") != ran(folder, "b") == ran(folder, "c")
    assert heir.process.poll() is None


# A parameter of this test alone: the suite's session-wide backend parameter would move the
# PostgreSQL case away from this module and its Ray cluster.
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_control_plane_restarted_mid_execution_loses_nothing(
    backend: str,
    request: pytest.FixtureRequest,
    ray_cluster: RayCluster,
    agents: StartAgent,
    logs: Path,
    tmp_path: Path,
) -> None:
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'graven.db'}"
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        database_url = cluster.url(cluster.create_database())
    home, port = tmp_path / "home", free_loopback_port()
    endpoint = f"127.0.0.1:{port}"
    plane = start_control_plane(logs / "control-plane-1.log", home, port, database_url)
    try:
        versions = register_flows(endpoint, tmp_path / "project")
        agent = agents(endpoint, "agent-1")
        with Remote(endpoint, token=token_for(endpoint)) as remote:
            execution_id = launch(remote, versions, "chain", folder=str(tmp_path))
            wait_for_file(tmp_path / "started-b", FINISH_SECONDS)
            wait_for_attempts(remote, execution_id, "n1", [ex.NODE_PHASE_RUNNING])
        plane.kill()
        # The execution goes on while the control plane is away: its events wait in the agent.
        open_gate(tmp_path, "b")
        wait_for_file(tmp_path / "started-c", FINISH_SECONDS)
        plane = start_control_plane(logs / "control-plane-2.log", home, port, database_url)
        with Remote(endpoint, token=token_for(endpoint)) as remote:
            # The restarted control plane hears what happened while it was away...
            wait_for_attempts(remote, execution_id, "n2", [ex.NODE_PHASE_RUNNING])
            # ...and what happens after the restart reaches it too.
            open_gate(tmp_path, "c")
            succeeded(remote, execution_id)
            assert remote.outputs(execution_id) == {"o0": 3}
            assert attempt_phases(remote, execution_id) == {
                node: [ex.NODE_PHASE_SUCCEEDED] for node in ("n0", "n1", "n2")
            }
        assert [len(ran(tmp_path, step)) for step in "abc"] == [1, 1, 1]
        assert agent.process.poll() is None
    finally:
        plane.stop()


def test_a_ray_worker_killed_mid_task_fails_that_attempt_and_the_retry_succeeds(
    plane: ControlPlane,
    remote: Remote,
    versions: dict[str, str],
    agents: StartAgent,
    tmp_path: Path,
) -> None:
    agents(plane.grpc_address, "agent-1")
    execution_id = launch(remote, versions, "survives", folder=str(tmp_path))
    victim = int(wait_for_file(tmp_path / "victim", FINISH_SECONDS))
    os.kill(victim, signal.SIGKILL)
    wait_for_exit(victim, 10)
    succeeded(remote, execution_id)
    assert remote.outputs(execution_id) == {"o0": 2}
    (node,) = remote.node_executions(execution_id)
    assert [a.phase for a in node.attempts] == [ex.NODE_PHASE_FAILED, ex.NODE_PHASE_SUCCEEDED]
    assert node.attempts[0].error.kind == ex.ERROR_KIND_SYSTEM
    assert node.attempts[0].error.type == "WorkerCrashedError"
    assert len((tmp_path / "attempts").read_text().splitlines()) == 2
