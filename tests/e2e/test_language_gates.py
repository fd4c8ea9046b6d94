"""Gates and launch plans as nodes through the whole stack, on the embedded pair (SQLite + a
folder) and on PostgreSQL + MinIO: an approval blocks until `graven approve`, a
wait_for_input refuses a value of the wrong type and keeps waiting, a gate past its timeout
fails the workflow; a launch plan node starts a child execution linked both ways, and
terminating the parent terminates the child. Outputs equal a local run as plain Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import execution_ref, finish, graven, graven_json, one_line_error
from language_project import (
    local,
    node_in,
    nodes_by_id,
    phase_names,
    ran,
    wait_until,
    write_project,
)
from stack_support import (  # noqa: F401  (fixtures)
    Stack,
    agent_fixture,
    database_fixture,
    endpoint_fixture,
    stack_fixture,
    store_fixture,
)

from graven import local_signals
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import signal_pb2 as sig
from graven.v1.identifier_pb2 import ExecutionIdentifier

RUNNING = ex.NODE_PHASE_RUNNING


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("code"))


def launch(
    stack: Stack, package: Path, target: str, project: str, *inputs: str
) -> tuple[ExecutionIdentifier, str]:
    printed = graven_json(
        stack.endpoint, "run", f"{package}:{target}", "-p", project, *inputs, "--no-wait"
    )
    return execution_ref(printed)


def waiting_signal(
    remote: Remote, execution_id: ExecutionIdentifier, name: str
) -> sig.Signal | None:
    """The gate's signal once the gate has started waiting on it (and no value is set)."""
    for signal in remote.signals(execution_id):
        if signal.id.signal_id == name and not signal.HasField("value"):
            return signal
    return None


def test_an_approval_gate_blocks_until_graven_approve(
    stack: Stack, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    folder, here = tmp_path / "remote", tmp_path / "local"
    folder.mkdir()
    here.mkdir()
    with local_signals(ship=True):
        expected = local(package).release(folder=str(here), tag="7")
    execution_id, name = launch(
        stack, package, "release", project, "--folder", str(folder), "--tag", "7"
    )
    # release: n0 build, n1 the approval, n2 publish.
    wait_until(lambda: node_in(remote, execution_id, "n1", RUNNING), "the approval to wait")
    signal = wait_until(lambda: waiting_signal(remote, execution_id, "ship"), "the signal")
    assert signal.node_id == "n1"
    listed = graven(stack.endpoint, "signal", "list", name, "-p", project)
    assert listed.returncode == 0, listed.stderr
    assert "waiting" in listed.stdout
    assert remote.execution(execution_id).closure.phase == ex.EXECUTION_PHASE_RUNNING
    assert ran(folder, "build", "publish") == {"build": 1, "publish": 0}

    approved = graven(stack.endpoint, "approve", name, "ship", "-p", project, "--set-by", "alice")
    assert approved.returncode == 0, approved.stderr
    assert "ship = true by alice" in approved.stdout
    final = finish(remote, execution_id)
    assert final.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, final.closure.error
    assert remote.outputs(execution_id) == {"o0": expected} == {"o0": "published artifact-7"}
    assert phase_names(nodes_by_id(remote, execution_id)) == {
        "n0": "SUCCEEDED",
        "n1": "SUCCEEDED",
        "n2": "SUCCEEDED",
    }
    assert ran(folder, "build", "publish") == {"build": 1, "publish": 1}
    (recorded,) = remote.signals(execution_id)
    assert recorded.set_by == "alice"


def test_a_wrong_typed_input_is_refused_and_the_gate_keeps_waiting(
    stack: Stack, remote: Remote, project: str, package: Path
) -> None:
    with local_signals(factor=3):
        expected = local(package).tuned(x=5)
    execution_id, name = launch(stack, package, "tuned", project, "--x", "5")
    # tuned: n0 the input gate, n1 scale.
    wait_until(lambda: waiting_signal(remote, execution_id, "factor"), "the gate to wait")

    for wrong in ('"three"', "2.5", "[3]"):
        refused = graven(stack.endpoint, "signal", "set", name, "factor", wrong, "-p", project)
        line = one_line_error(refused)
        assert "factor" in line, line
        assert "int" in line, line
    # Still waiting: nothing was set, the gate did not move on.
    assert waiting_signal(remote, execution_id, "factor") is not None
    assert nodes_by_id(remote, execution_id)["n0"].phase == RUNNING
    assert remote.execution(execution_id).closure.phase == ex.EXECUTION_PHASE_RUNNING

    accepted = graven(stack.endpoint, "signal", "set", name, "factor", "3", "-p", project)
    assert accepted.returncode == 0, accepted.stderr
    final = finish(remote, execution_id)
    assert final.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED, final.closure.error
    assert remote.outputs(execution_id) == {"o0": expected} == {"o0": 15}


def test_a_gate_past_its_timeout_fails_the_workflow(
    stack: Stack, remote: Remote, project: str, package: Path, tmp_path: Path
) -> None:
    printed = graven_json(
        stack.endpoint,
        *("run", f"{package}:hurried", "-p", project),
        *("--folder", str(tmp_path), "--tag", "1"),
        exit_code=1,
    )
    execution = printed["execution"]
    assert execution["closure"]["phase"] == "EXECUTION_PHASE_TIMED_OUT"
    error = execution["closure"]["error"]
    assert error["kind"] == "ERROR_KIND_TIMEOUT"
    assert error["message"] == "no value was given for 'ship' within its timeout of 2 s"
    execution_id, name = execution_ref(printed)
    phases = phase_names(nodes_by_id(remote, execution_id))
    assert phases["n0"] == "SUCCEEDED"
    assert phases["n1"] == "TIMED_OUT"
    assert phases.get("n2", "SKIPPED") in {"SKIPPED", "QUEUED", "UNDEFINED"}
    assert ran(tmp_path, "publish") == {"publish": 0}
    # Too late: the expired gate takes no value.
    late = graven(stack.endpoint, "approve", name, "ship", "-p", project)
    assert "ship" in one_line_error(late)


def test_a_launch_plan_node_runs_a_child_execution_linked_both_ways(
    stack: Stack, remote: Remote, project: str, package: Path
) -> None:
    expected = local(package).parent(x=3)
    printed = graven_json(stack.endpoint, "run", f"{package}:parent", "-p", project, "--x", "3")
    assert printed["outputs"] == {"o0": expected} == {"o0": 32}
    execution_id, _ = execution_ref(printed)
    # parent: n0 double, n1 the launch plan, n2 double.
    node = nodes_by_id(remote, execution_id)["n1"]
    assert node.phase == ex.NODE_PHASE_SUCCEEDED
    assert node.child_execution_id.name
    child = remote.execution(node.child_execution_id)
    assert child.spec.mode == ex.EXECUTION_MODE_CHILD
    assert child.spec.parent_node_execution.execution_id == execution_id
    assert child.spec.parent_node_execution.node_id == "n1"
    assert child.spec.launch_plan_id.name == "langflows.plus-ten"
    assert child.closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
    assert remote.outputs(node.child_execution_id) == {"o0": 16}


def test_terminating_the_parent_terminates_its_child(
    stack: Stack, remote: Remote, project: str, package: Path
) -> None:
    execution_id, name = launch(stack, package, "waiting_parent", project, "--x", "2")
    # waiting_parent: n0 the launch plan; the child waits on its gate "go" for ever.

    def started_child() -> ExecutionIdentifier | None:
        node = nodes_by_id(remote, execution_id).get("n0")
        return node.child_execution_id if node and node.child_execution_id.name else None

    child_id = wait_until(started_child, "the child execution to start")
    wait_until(lambda: waiting_signal(remote, child_id, "go"), "the child's gate to wait")

    result = graven(stack.endpoint, "terminate", name, "-p", project, "--reason", "e2e test")
    assert result.returncode == 0, result.stderr
    assert finish(remote, execution_id).closure.phase == ex.EXECUTION_PHASE_TERMINATED
    assert finish(remote, child_id).closure.phase == ex.EXECUTION_PHASE_TERMINATED
