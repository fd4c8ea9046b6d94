"""Subworkflows, gates, launch-plan nodes and the failure node in the walk, without Ray."""

from __future__ import annotations

import pytest
from dp_support import node, promise, workflow_input
from walk_support import (
    EXECUTION,
    LAUNCH_PLAN,
    Driver,
    Tasks,
    approve_gate,
    error_input,
    graph,
    launch_plan_node,
    literals,
    node_of,
    signal_gate,
    sleep_gate,
    sub_node,
)

from graven.data_plane.walk import Wake
from graven.data_plane.walk_actions import Finish, StartChild, StopWaiting, Timer, WaitSignal
from graven.literals import to_literal, to_python
from graven.types import literal_type_of
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import NodeExecutionIdentifier
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.signal_pb2 import Signal
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    FAILURE_POLICY_UNSPECIFIED,
    FailurePolicy,
    Node,
    Workflow,
)
from graven.workflow_error import WorkflowError

RUNNING, SUCCEEDED, FAILED = pb.NODE_PHASE_RUNNING, pb.NODE_PHASE_SUCCEEDED, pb.NODE_PHASE_FAILED
TIMED_OUT, TERMINATED = pb.NODE_PHASE_TIMED_OUT, pb.NODE_PHASE_TERMINATED
FAIL_AFTER = FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE


class Steps:
    def __init__(self) -> None:
        self.tasks = Tasks()
        self.inc = self.tasks.define("inc", {"x": int}, int, lambda x: x + 1)
        self.double = self.tasks.define("double", {"x": int}, int, lambda x: 2 * x)

        def boom(x: int) -> int:
            raise ValueError(f"no {x}")

        self.boom = self.tasks.define("boom", {"x": int}, int, boom)

    @property
    def all(self) -> list[Task]:
        return [self.inc, self.double, self.boom]


# --- subworkflows -------------------------------------------------------------------------


def inner(steps: Steps, first: Task | None = None) -> Workflow:
    """sub(a) = inc(first(a)), first defaulting to inc."""
    nodes = [
        node("n0", first or steps.inc, x=workflow_input("a")),
        node("n1", steps.inc, x=promise("n0")),
    ]
    return graph(
        nodes, steps.all, name="sub", inputs={"a": int}, outputs={"o0": (promise("n1"), int)}
    )


def with_sub(
    steps: Steps, sub: Workflow, policy: FailurePolicy = FAILURE_POLICY_UNSPECIFIED
) -> Driver:
    """n0 = double(x); n1 = sub(a=n0); n2 = inc(n1)."""
    nodes = [
        node("n0", steps.double, x=workflow_input("x")),
        sub_node("n1", sub, a=promise("n0")),
        node("n2", steps.inc, x=promise("n1")),
    ]
    wf = graph(
        nodes,
        steps.all,
        inputs={"x": int},
        outputs={"o0": (promise("n2"), int)},
        subs=[sub],
        failure_policy=policy,
    )
    return Driver(wf, steps.tasks, literals(x=(5, int)))


def test_a_subworkflows_nodes_run_nested_with_the_outer_bindings() -> None:
    steps = Steps()
    driver = with_sub(steps, inner(steps)).start()
    submits = {node_of(s): s for s in driver.submits}
    # The inner chain is pipelined behind the outer node its input is bound to.
    # n2 waits for the subworkflow node to settle: it has no attempt to be pipelined behind.
    assert list(submits) == ["n0", "n1/n0", "n1/n1"]
    assert submits["n1/n0"].upstream == (submits["n0"].token,)
    assert submits["n1/n0"].request.upstream_ids == ("n0",)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 2 * 5 + 2 + 1
    assert {e.parent_node_id for e in driver.node_events("n1/n0")} == {"n1"}
    assert [e.phase for e in driver.node_events("n1")] == [RUNNING, SUCCEEDED]
    (record,) = [r for r in driver.records if r.node_id == "n1"]
    assert to_python(record.outputs.literals["o0"], int) == 12


def test_subworkflows_nest() -> None:
    steps = Steps()
    sub = inner(steps)
    middle = graph(
        [sub_node("n0", sub, a=workflow_input("a"))],
        steps.all,
        name="middle",
        inputs={"a": int},
        outputs={"o0": (promise("n0"), int)},
        subs=[sub],
    )
    driver = with_sub(steps, middle)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 13
    assert [node_of(s) for s in driver.submits] == ["n0", "n1/n0/n0", "n1/n0/n1", "n2"]
    assert driver.node_events("n1/n0/n1")[-1].parent_node_id == "n1/n0"
    assert driver.phase("n1/n0") == driver.phase("n1") == SUCCEEDED


@pytest.mark.parametrize("policy", [FAILURE_POLICY_UNSPECIFIED, FAIL_AFTER])
def test_an_inner_failure_fails_the_subworkflow_node(policy: FailurePolicy) -> None:
    steps = Steps()
    driver = with_sub(steps, inner(steps, first=steps.boom), policy)
    finish = driver.run()
    assert finish.phase == pb.EXECUTION_PHASE_FAILED
    assert finish.error is not None
    assert (finish.error.node_id, finish.error.message) == ("n1/n0", "no 10")
    assert driver.phase("n1/n1") == driver.phase("n2") == pb.NODE_PHASE_SKIPPED
    assert driver.phase("n1") == FAILED
    assert driver.node_events("n1")[-1].error.message == "no 10"


@pytest.mark.parametrize("policy", [FAILURE_POLICY_UNSPECIFIED, FAIL_AFTER])
def test_an_inner_failure_beside_a_running_inner_node_fails_the_subworkflow_node(
    policy: FailurePolicy,
) -> None:
    """sub(a): n0 = boom(a) and, beside it, n1 = inc(a), the output."""
    steps = Steps()
    nodes = [
        node("n0", steps.boom, x=workflow_input("a")),
        node("n1", steps.inc, x=workflow_input("a")),
    ]
    sub = graph(
        nodes, steps.all, name="sub", inputs={"a": int}, outputs={"o0": (promise("n1"), int)}
    )
    driver = with_sub(steps, sub, policy)
    finish = driver.run()
    assert finish.phase == pb.EXECUTION_PHASE_FAILED
    assert finish.error is not None
    assert finish.error.node_id == "n1/n0"
    assert driver.phase("n1") == FAILED


# --- gates --------------------------------------------------------------------------------


def gated(steps: Steps, gate: Node, bound: str = "n1") -> Driver:
    """n0 = double(x), the gate n1, then n2 = inc(<bound>.o0) (or after the gate)."""
    nodes = [node("n0", steps.double, x=workflow_input("x")), gate]
    if bound:
        nodes.append(node("n2", steps.inc, x=promise(bound)))
    else:
        nodes.append(node("n2", steps.inc, after=("n1",), x=promise("n0")))
    wf = graph(nodes, steps.all, inputs={"x": int}, outputs={"o0": (promise("n2"), int)})
    return Driver(wf, steps.tasks, literals(x=(5, int)))


def test_a_sleep_gate_waits_its_time() -> None:
    steps = Steps()
    gate = sleep_gate("n1", 30)
    driver = gated(steps, gate, bound="").start()
    start = driver.clock()
    assert [e.phase for e in driver.node_events("n1")] == [RUNNING]
    assert Timer(start + 30, Wake("n1")) in driver.log
    driver.complete("n0")
    assert "n2" not in {node_of(s) for s in driver.submits}
    driver.fire()
    assert driver.clock() == start + 30
    assert driver.phase("n1") == SUCCEEDED
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 11


def test_a_signal_gate_passes_the_value_on() -> None:
    steps = Steps()
    driver = gated(steps, signal_gate("n1", "threshold", literal_type_of(int))).start()
    (wait,) = [a for a in driver.log if isinstance(a, WaitSignal)]
    assert (wait.wait.id.signal_id, wait.wait.node_id) == ("threshold", "n1")
    assert wait.wait.id.execution_id == EXECUTION
    assert wait.wait.type == literal_type_of(int)
    assert not wait.wait.HasField("deadline")
    driver.complete("n0")
    actions = driver.signal("n1", to_literal(41, int), set_by="bob")
    assert StopWaiting("n1") in actions
    (record,) = [r for r in driver.records if r.node_id == "n1"]
    assert record.types == {"o0": literal_type_of(int)}
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 42


@pytest.mark.parametrize("approved", [True, False])
def test_an_approval_passes_its_value_or_fails(approved: bool) -> None:
    steps = Steps()
    driver = gated(steps, approve_gate("n1", "publish", promise("n0"))).start()
    # The approval waits for the value it approves.
    assert not any(isinstance(a, WaitSignal) for a in driver.log)
    driver.complete("n0")
    (wait,) = [a for a in driver.log if isinstance(a, WaitSignal)]
    assert wait.wait.type == literal_type_of(bool)
    driver.signal("n1", to_literal(approved, bool), set_by="alice")
    finish = driver.run()
    if approved:
        assert finish.phase == pb.EXECUTION_PHASE_SUCCEEDED
        assert driver.outputs(int) == 11
    else:
        assert finish.phase == pb.EXECUTION_PHASE_FAILED
        error = driver.node_events("n1")[-1].error
        assert (error.type, "alice" in error.message) == ("Rejected", True)
        assert driver.phase("n2") == pb.NODE_PHASE_SKIPPED


def test_a_gate_past_its_timeout_times_out() -> None:
    steps = Steps()
    driver = gated(steps, signal_gate("n1", "threshold", literal_type_of(int), timeout=60)).start()
    start = driver.clock()
    (wait,) = [a for a in driver.log if isinstance(a, WaitSignal)]
    assert wait.wait.deadline.ToNanoseconds() == int((start + 60) * 1e9)
    driver.complete("n0")
    actions = driver.fire()
    assert driver.clock() == start + 60
    assert StopWaiting("n1") in actions
    assert driver.phase("n1") == TIMED_OUT
    assert driver.node_events("n1")[-1].error.kind == pb.ERROR_KIND_TIMEOUT
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_TIMED_OUT
    # A value set too late changes nothing.
    assert driver.walk.signalled("n1", Signal(value=to_literal(5, int))) == []


def test_a_signal_without_a_value_keeps_the_gate_waiting() -> None:
    steps = Steps()
    driver = gated(steps, signal_gate("n1", "threshold", literal_type_of(int))).start()
    assert driver.walk.signalled("n1", Signal()) == []
    assert [e.phase for e in driver.node_events("n1")] == [RUNNING]


# --- launch-plan nodes --------------------------------------------------------------------


def with_child(steps: Steps) -> Driver:
    nodes = [
        node("n0", steps.double, x=workflow_input("x")),
        launch_plan_node("n1", a=promise("n0")),
        node("n2", steps.inc, x=promise("n1")),
    ]
    wf = graph(nodes, steps.all, inputs={"x": int}, outputs={"o0": (promise("n2"), int)})
    return Driver(wf, steps.tasks, literals(x=(5, int)))


def test_a_launch_plan_node_starts_a_child_and_takes_its_outputs() -> None:
    driver = with_child(Steps()).start()
    driver.complete("n0")
    (start,) = [a for a in driver.log if isinstance(a, StartChild)]
    assert start.request.parent == NodeExecutionIdentifier(execution_id=EXECUTION, node_id="n1")
    assert start.request.launch_plan_id == LAUNCH_PLAN
    assert to_python(start.request.inputs.literals["a"], int) == 10
    # Its node execution appears once the child does.
    assert driver.phases("n1") == []
    driver.child_moved("n1", pb.EXECUTION_PHASE_RUNNING)
    (running,) = driver.node_events("n1")
    assert running.phase == RUNNING
    assert running.child_execution_id.name == "child-n1"
    outputs = LiteralMap(literals={"o0": to_literal(100, int)})
    actions = driver.child_moved("n1", pb.EXECUTION_PHASE_SUCCEEDED, outputs)
    assert StopWaiting("n1") in actions
    assert driver.phase("n1") == SUCCEEDED
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 101


def test_a_failed_child_fails_the_node_with_its_error() -> None:
    driver = with_child(Steps()).start()
    driver.complete("n0")
    driver.child_moved("n1", pb.EXECUTION_PHASE_RUNNING)
    cause = pb.ExecutionError(
        kind=pb.ERROR_KIND_USER, type="KeyError", message="'k'", traceback="tb"
    )
    driver.child_moved("n1", pb.EXECUTION_PHASE_FAILED, error=cause)
    error = driver.node_events("n1")[-1].error
    assert driver.phase("n1") == FAILED
    assert (error.type, error.traceback, error.node_id) == ("KeyError", "tb", "n1")
    assert "child-n1 ended EXECUTION_PHASE_FAILED: 'k'" in error.message
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED


def test_terminate_stops_watching_the_child() -> None:
    driver = with_child(Steps()).start()
    driver.complete("n0")
    driver.child_moved("n1", pb.EXECUTION_PHASE_RUNNING)
    actions = driver.terminate()
    assert StopWaiting("n1") in actions
    assert driver.phase("n1") == TERMINATED
    assert driver.finish == Finish(pb.EXECUTION_PHASE_TERMINATED)


# --- the failure node ---------------------------------------------------------------------


def with_failure_node(
    steps: Steps, first: Task, cleanup_fails: bool = False
) -> tuple[Driver, list[WorkflowError]]:
    seen: list[WorkflowError] = []

    def cleanup(err: WorkflowError, x: int) -> str:
        seen.append(err)
        if cleanup_fails:
            raise RuntimeError("cleanup broke too")
        return f"cleaned {x}"

    clean = steps.tasks.define("cleanup", {"err": WorkflowError, "x": int}, str, cleanup)
    on_failure = node("on-failure", clean, err=error_input(), x=workflow_input("x"))
    nodes = [node("n0", first, x=workflow_input("x")), node("n1", steps.inc, x=promise("n0"))]
    wf = graph(
        nodes,
        [*steps.all, clean],
        inputs={"x": int},
        outputs={"o0": (promise("n1"), int)},
        failure_node=on_failure,
    )
    return Driver(wf, steps.tasks, literals(x=(5, int))), seen


def test_the_failure_node_runs_with_the_error_then_the_workflow_fails() -> None:
    steps = Steps()
    driver, seen = with_failure_node(steps, steps.boom)
    finish = driver.run()
    (submit,) = driver.submitted("on-failure")
    bindings = {b.name: b.binding for b in Node.FromString(submit.request.bindings).inputs}
    error = to_python(bindings["err"].literal, WorkflowError)
    assert (error.node_id, error.kind, error.type, error.message) == (
        "n0",
        "USER",
        "ValueError",
        "no 5",
    )
    assert seen == [error]
    assert driver.phase("on-failure") == SUCCEEDED
    assert finish.phase == pb.EXECUTION_PHASE_FAILED
    assert finish.error is not None
    assert (finish.error.node_id, finish.error.message) == ("n0", "no 5")
    # The failure node ran after the failure: n0's end comes before its start.
    phases = [(e.node.id.node_id, e.node.phase) for e in driver.events if e.HasField("node")]
    assert phases.index(("n0", FAILED)) < phases.index(("on-failure", RUNNING))


def test_a_failing_failure_node_keeps_the_original_error() -> None:
    steps = Steps()
    driver, _ = with_failure_node(steps, steps.boom, cleanup_fails=True)
    finish = driver.run()
    assert driver.phase("on-failure") == FAILED
    assert finish.error is not None
    assert (finish.error.node_id, finish.error.message) == ("n0", "no 5")


def test_the_failure_node_does_not_run_when_nothing_fails() -> None:
    steps = Steps()
    driver, seen = with_failure_node(steps, steps.double)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.submitted("on-failure") == []
    assert driver.phases("on-failure") == []
    assert seen == []


def test_a_lost_lease_stops_waiting_for_the_signal_and_says_nothing() -> None:
    steps = Steps()
    driver = gated(steps, signal_gate("n1", "threshold", literal_type_of(int))).start()
    before = len(driver.events)
    actions = driver.lease_lost()
    assert StopWaiting("n1") in actions
    assert len(driver.events) == before
    assert driver.finish == Finish(pb.EXECUTION_PHASE_UNSPECIFIED)
