"""ExecutionService over a real gRPC server, with the agent's part played by hand."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN, FLOAT, INT, STR, launch_plan_id, launch_plan_spec, var, workflow_id
from execution_support import (
    NODES,
    FakeAgent,
    Harness,
    Watcher,
    execution_event,
    node_event,
    phases,
    private_plane,
)

from graven.literals import float_literal, int_literal, string_literal
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier
from graven.v1.literals_pb2 import LiteralMap


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


def rpc_error(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def data(cp: Harness, execution_id: ExecutionIdentifier) -> es.GetExecutionDataResponse:
    return cp.executions.GetExecutionData(es.GetExecutionDataRequest(id=execution_id))


def claimed(cp: Harness, execution: pb.Execution) -> FakeAgent:
    """An agent that claimed ``execution`` (the only queued one)."""
    agent = cp.agent()
    claim = agent.claim()
    assert claim.execution.id == execution.id
    return agent


def test_an_execution_runs_from_create_to_succeeded(cp: Harness) -> None:
    workflow = cp.register()
    execution = cp.create(workflow.id, x=int_literal(5))
    assert execution.closure.phase == pb.EXECUTION_PHASE_QUEUED
    assert execution.spec.mode == pb.EXECUTION_MODE_MANUAL
    assert execution.spec.workflow_id == workflow.id
    assert cp.get(execution.id) == execution
    # The stored inputs are complete: the default of s is in them.
    inputs = data(cp, execution.id).inputs
    assert inputs == LiteralMap(literals={"x": int_literal(5), "s": string_literal("hi")})
    assert execution.spec.inputs_uri.endswith(
        f"executions/{cp.project}/{DOMAIN}/{execution.id.name}/inputs.pb"
    )
    assert phases(cp.nodes(execution.id)) == dict.fromkeys(NODES, pb.NODE_PHASE_QUEUED)

    agent = cp.agent()
    claim = agent.claim()
    assert claim.execution.id == execution.id
    assert claim.execution.closure.phase == pb.EXECUTION_PHASE_RUNNING
    assert claim.workflow == workflow
    assert list(claim.node_executions) == []
    assert claim.store_url == cp.plane.store.url
    assert claim.lease_expires_at.seconds > 0

    agent.run(execution.id, 5)

    finished = cp.get(execution.id)
    assert finished.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert finished.closure.started_at.ToNanoseconds() > 0
    assert (
        finished.closure.finished_at.ToNanoseconds() >= finished.closure.started_at.ToNanoseconds()
    )
    assert data(cp, execution.id).outputs == LiteralMap(literals={"out": string_literal("7")})
    nodes = cp.nodes(execution.id)
    assert [n.id.node_id for n in nodes] == list(NODES)
    assert phases(nodes) == dict.fromkeys(NODES, pb.NODE_PHASE_SUCCEEDED)
    assert [n.task_id.name for n in nodes] == ["inc", "inc", "fmt"]
    for n in nodes:
        assert [(a.attempt, a.phase) for a in n.attempts] == [(1, pb.NODE_PHASE_SUCCEEDED)]
        assert n.attempts[0].started_at.ToNanoseconds() > 0
    node_data = cp.executions.GetNodeExecutionData(
        es.GetNodeExecutionDataRequest(
            id=NodeExecutionIdentifier(execution_id=execution.id, node_id="inc2")
        )
    )
    assert node_data.outputs == LiteralMap(literals={"o": int_literal(7)})


def test_every_bad_input_is_named_in_one_error(cp: Harness) -> None:
    workflow = cp.register()
    bad_hash = int_literal(1)
    bad_hash.hash = "sha256:" + "0" * 64
    request = es.CreateExecutionRequest(
        project=cp.project,
        domain=DOMAIN,
        workflow_id=workflow.id,
        inputs=LiteralMap(literals={"s": int_literal(3), "y": int_literal(1)}),
    )
    error = rpc_error(lambda: cp.executions.CreateExecution(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    message = error.details()
    assert "inputs.x: is missing (type int" in message
    assert "inputs.s: is not a value of type str" in message
    assert "inputs.y:" in message
    assert "no such input" in message

    request.inputs.literals["x"].CopyFrom(bad_hash)
    del request.inputs.literals["y"]
    del request.inputs.literals["s"]
    error = rpc_error(lambda: cp.executions.CreateExecution(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs.x.hash" in error.details()


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda r: r.workflow_id.CopyFrom(workflow_id("no-such-wf")), "NOT_FOUND", "no-such-wf"),
        (lambda r: setattr(r.workflow_id, "version", "v9"), "NOT_FOUND", "v9"),
        (lambda r: r.ClearField("workflow_id"), "INVALID_ARGUMENT", "target"),
        (lambda r: setattr(r, "name", "Bad Name"), "INVALID_ARGUMENT", "name"),
        (lambda r: setattr(r, "project", "UPPER"), "INVALID_ARGUMENT", "project"),
        (lambda r: setattr(r.workflow_id, "resource_type", 1), "INVALID_ARGUMENT", "resource_type"),
    ],
)
def test_bad_create_requests_get_the_right_status(
    cp: Harness, change: object, code: str, words: str
) -> None:
    workflow = cp.register()
    request = es.CreateExecutionRequest(
        project=cp.project,
        domain=DOMAIN,
        workflow_id=workflow.id,
        inputs=LiteralMap(literals={"x": int_literal(1)}),
    )
    change(request)  # type: ignore[operator]
    error = rpc_error(lambda: cp.executions.CreateExecution(request))
    assert error.code() == getattr(grpc.StatusCode, code)
    assert words in error.details()


def test_a_given_name_is_used_once(cp: Harness) -> None:
    workflow = cp.register()
    first = cp.create(workflow.id, name="nightly-1", x=int_literal(1))
    assert first.id.name == "nightly-1"
    error = rpc_error(lambda: cp.create(workflow.id, name="nightly-1", x=int_literal(1)))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "nightly-1" in error.details()
    generated = {cp.create(workflow.id, x=int_literal(1)).id.name for _ in range(5)}
    assert len(generated) == 5


def test_concurrent_launches_each_keep_their_own_inputs(cp: Harness) -> None:
    """Launches arriving together share a transaction; each still gets its own inputs,
    and of those asking for one name exactly one gets it."""
    workflow = cp.register()

    def launch(x: int) -> pb.Execution | grpc.StatusCode:
        try:
            return cp.create(workflow.id, name="shared" if x % 4 == 0 else "", x=int_literal(x))
        except grpc.RpcError as error:
            return error.code()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(16) as pool:
        outcomes = dict(zip(range(48), pool.map(launch, range(48)), strict=True))
    refused = [x for x, outcome in outcomes.items() if isinstance(outcome, grpc.StatusCode)]
    assert len(refused) == 11
    assert {outcomes[x] for x in refused} == {grpc.StatusCode.ALREADY_EXISTS}
    launched = {x: o for x, o in outcomes.items() if isinstance(o, pb.Execution)}
    assert sum(o.id.name == "shared" for o in launched.values()) == 1
    assert len({o.id.name for o in launched.values()}) == 37
    for x, execution in launched.items():
        assert data(cp, execution.id).inputs.literals["x"] == int_literal(x)
        assert cp.get(execution.id) == execution


def test_an_empty_version_runs_the_latest(cp: Harness) -> None:
    workflow = cp.register(version="v1")
    latest = cp.register(workflow.id.name, version="v2")
    unversioned = workflow_id(workflow.id.name, "", project=cp.project)
    execution = cp.create(unversioned, x=int_literal(1))
    assert execution.spec.workflow_id == latest.id


def test_a_launch_plan_supplies_defaults_and_fixed_inputs(cp: Harness) -> None:
    workflow = cp.register()
    plan_id = launch_plan_id(workflow.id.name, project=cp.project)
    cp.registry.CreateLaunchPlan(
        rs.CreateLaunchPlanRequest(
            id=plan_id,
            spec=launch_plan_spec(
                workflow.id, defaults={"x": int_literal(10)}, fixed={"s": string_literal("lp")}
            ),
        )
    )
    request = es.CreateExecutionRequest(project=cp.project, domain=DOMAIN, launch_plan_id=plan_id)
    execution = cp.executions.CreateExecution(request).execution
    assert execution.spec.launch_plan_id == plan_id
    assert execution.spec.workflow_id == workflow.id
    assert data(cp, execution.id).inputs == LiteralMap(
        literals={"x": int_literal(10), "s": string_literal("lp")}
    )

    request.inputs.literals["x"].CopyFrom(int_literal(3))
    overridden = cp.executions.CreateExecution(request).execution
    assert data(cp, overridden.id).inputs.literals["x"] == int_literal(3)

    request.inputs.literals["s"].CopyFrom(string_literal("mine"))
    error = rpc_error(lambda: cp.executions.CreateExecution(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs.s: is fixed by the launch plan" in error.details()


def test_terminating_a_queued_execution_is_immediate(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    request = es.TerminateExecutionRequest(id=execution.id, reason="not needed")
    terminated = cp.executions.TerminateExecution(request).execution
    assert terminated.closure.phase == pb.EXECUTION_PHASE_TERMINATED
    assert terminated.closure.error.kind == pb.ERROR_KIND_TERMINATED
    assert terminated.closure.error.message == "not needed"
    assert phases(cp.nodes(execution.id)) == dict.fromkeys(NODES, pb.NODE_PHASE_SKIPPED)
    # Nothing is left for an agent.
    assert not cp.agent().claim().HasField("execution")
    error = rpc_error(lambda: cp.executions.TerminateExecution(request))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already finished (TERMINATED)" in error.details()


def test_terminating_a_running_execution_goes_through_the_agent(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    agent = claimed(cp, execution)
    assert list(agent.heartbeat(execution.id).terminate) == []
    agent.report(node_event(execution.id, "inc1", pb.NODE_PHASE_RUNNING))

    request = es.TerminateExecutionRequest(id=execution.id, reason="stop it")
    terminating = cp.executions.TerminateExecution(request).execution
    assert terminating.closure.phase == pb.EXECUTION_PHASE_TERMINATING
    # Asking twice is harmless while the agent is stopping it.
    assert cp.executions.TerminateExecution(request).execution.closure.phase == (
        pb.EXECUTION_PHASE_TERMINATING
    )
    assert list(agent.heartbeat(execution.id).terminate) == [execution.id]

    agent.report(
        node_event(execution.id, "inc1", pb.NODE_PHASE_TERMINATED),
        execution_event(execution.id, pb.EXECUTION_PHASE_TERMINATED),
    )
    finished = cp.get(execution.id)
    assert finished.closure.phase == pb.EXECUTION_PHASE_TERMINATED
    assert finished.closure.error.kind == pb.ERROR_KIND_TERMINATED
    assert finished.closure.error.message == "stop it"
    assert phases(cp.nodes(execution.id))["inc1"] == pb.NODE_PHASE_TERMINATED
    # A finished execution is no longer the agent's to keep.
    assert list(agent.heartbeat(execution.id).lost) == [execution.id]


def test_terminate_of_finished_or_missing_execution_is_refused(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(2))
    claimed(cp, execution).run(execution.id, 2)
    error = rpc_error(
        lambda: cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=execution.id))
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "SUCCEEDED" in error.details()
    missing = ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="nope")
    error = rpc_error(
        lambda: cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=missing))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_relaunch_runs_the_same_version_with_the_same_inputs(cp: Harness) -> None:
    workflow = cp.register()
    source = cp.create(workflow.id, x=int_literal(4), s=string_literal("a"))
    cp.register(workflow.id.name, version="v2")
    relaunched = cp.executions.RelaunchExecution(
        es.RelaunchExecutionRequest(id=source.id, name="again")
    ).execution
    assert relaunched.id.name == "again"
    assert relaunched.spec.mode == pb.EXECUTION_MODE_RELAUNCH
    assert relaunched.spec.source_execution_id == source.id
    assert relaunched.spec.workflow_id == workflow.id
    assert data(cp, relaunched.id).inputs == data(cp, source.id).inputs
    assert relaunched.spec.inputs_uri != source.spec.inputs_uri


def test_relaunch_onto_latest_or_named_version_checks_the_inputs(cp: Harness) -> None:
    v1 = cp.register()
    name = v1.id.name
    source = cp.create(v1.id, x=int_literal(4))
    # v2 adds an input with a default: the source's inputs fit.
    v2 = cp.register(
        name, "v2", inputs=[var("x", INT), var("s", STR), var("f", FLOAT, float_literal(0.5))]
    )
    latest = cp.executions.RelaunchExecution(
        es.RelaunchExecutionRequest(id=source.id, latest=True)
    ).execution
    assert latest.spec.workflow_id == v2.id
    assert data(cp, latest.id).inputs.literals["f"] == float_literal(0.5)
    # v3 wants x as a string and a required input the source never had.
    cp.register(name, "v3", inputs=[var("x", STR), var("s", STR), var("g", INT)])
    error = rpc_error(
        lambda: cp.executions.RelaunchExecution(
            es.RelaunchExecutionRequest(id=source.id, workflow_version="v3")
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    message = error.details()
    assert message.startswith("workflow_version:")
    assert "inputs.x: is not a value of type str" in message
    assert "inputs.g: is missing (type int" in message
    named = cp.executions.RelaunchExecution(
        es.RelaunchExecutionRequest(id=source.id, workflow_version="v2")
    ).execution
    assert named.spec.workflow_id == v2.id


def test_relaunch_of_a_missing_execution_or_version_is_not_found(cp: Harness) -> None:
    missing = ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="gone")
    error = rpc_error(
        lambda: cp.executions.RelaunchExecution(es.RelaunchExecutionRequest(id=missing))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "gone" in error.details()
    source = cp.create(cp.register().id, x=int_literal(1))
    error = rpc_error(
        lambda: cp.executions.RelaunchExecution(
            es.RelaunchExecutionRequest(id=source.id, workflow_version="v404")
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_recover_takes_over_succeeded_nodes(cp: Harness) -> None:
    workflow = cp.register()
    source = cp.create(workflow.id, x=int_literal(1))
    agent = claimed(cp, source)
    uri = cp.outputs(source.id, "inc1", int_literal(2))
    agent.report(
        node_event(source.id, "inc1", pb.NODE_PHASE_RUNNING),
        node_event(source.id, "inc1", pb.NODE_PHASE_SUCCEEDED, outputs_uri=uri),
        node_event(source.id, "inc2", pb.NODE_PHASE_RUNNING),
    )
    error = rpc_error(
        lambda: cp.executions.RecoverExecution(es.RecoverExecutionRequest(id=source.id))
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "RUNNING" in error.details()
    failure = pb.ExecutionError(kind=pb.ERROR_KIND_USER, type="ValueError", message="boom")
    agent.report(
        node_event(source.id, "inc2", pb.NODE_PHASE_FAILED, error=failure),
        execution_event(source.id, pb.EXECUTION_PHASE_FAILED, error=failure),
    )

    recovered = cp.executions.RecoverExecution(es.RecoverExecutionRequest(id=source.id)).execution
    assert recovered.spec.mode == pb.EXECUTION_MODE_RECOVER
    assert recovered.spec.source_execution_id == source.id
    assert recovered.spec.workflow_id == workflow.id
    assert data(cp, recovered.id).inputs == data(cp, source.id).inputs
    nodes = {n.id.node_id: n for n in cp.nodes(recovered.id)}
    assert phases(nodes.values()) == {
        "inc1": pb.NODE_PHASE_RECOVERED,
        "inc2": pb.NODE_PHASE_QUEUED,
        "fmt": pb.NODE_PHASE_QUEUED,
    }
    assert nodes["inc1"].outputs_uri == uri
    assert nodes["inc1"].source_execution_id == source.id

    # The agent sees the recovered node and runs the rest; recovering the recovery keeps
    # pointing at the execution that produced inc1.
    claim = cp.agent().claim()
    assert claim.execution.id == recovered.id
    assert [(n.id.node_id, n.phase) for n in claim.node_executions] == [
        ("inc1", pb.NODE_PHASE_RECOVERED)
    ]
    second = cp.executions.TerminateExecution(
        es.TerminateExecutionRequest(id=recovered.id)
    ).execution
    assert second.closure.phase == pb.EXECUTION_PHASE_TERMINATING


def test_recover_of_a_succeeded_execution_is_refused(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(2))
    claimed(cp, execution).run(execution.id, 2)
    error = rpc_error(
        lambda: cp.executions.RecoverExecution(es.RecoverExecutionRequest(id=execution.id))
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "SUCCEEDED" in error.details()


def test_watch_streams_every_change_in_order_until_terminal(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    watcher = Watcher(cp, execution.id)
    first = watcher.next()
    assert first is not None
    assert first.execution.closure.phase == pb.EXECUTION_PHASE_QUEUED
    assert phases(first.node_executions) == dict.fromkeys(NODES, pb.NODE_PHASE_QUEUED)

    agent = cp.agent()
    agent.claim()
    message = watcher.next()
    assert message is not None
    assert message.execution.closure.phase == pb.EXECUTION_PHASE_RUNNING
    assert list(message.node_executions) == []

    seen: list[tuple[str, int]] = []
    for node_id in NODES:
        for phase in (pb.NODE_PHASE_RUNNING, pb.NODE_PHASE_SUCCEEDED):
            agent.report(node_event(execution.id, node_id, phase))
            message = watcher.next()
            assert message is not None
            seen += [(n.id.node_id, n.phase) for n in message.node_executions]
    assert seen == [
        (node_id, phase)
        for node_id in NODES
        for phase in (pb.NODE_PHASE_RUNNING, pb.NODE_PHASE_SUCCEEDED)
    ]
    agent.report(execution_event(execution.id, pb.EXECUTION_PHASE_SUCCEEDED))
    last = watcher.next()
    assert last is not None
    assert last.execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert watcher.next() is None


def test_watch_of_a_finished_execution_sends_one_message(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=execution.id))
    messages = list(cp.executions.WatchExecution(es.WatchExecutionRequest(id=execution.id)))
    assert [m.execution.closure.phase for m in messages] == [pb.EXECUTION_PHASE_TERMINATED]


def test_watch_of_a_missing_execution_is_not_found(cp: Harness) -> None:
    missing = ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="nope")
    error = rpc_error(
        lambda: list(cp.executions.WatchExecution(es.WatchExecutionRequest(id=missing)))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_a_cancelled_watch_releases_its_wait(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    watcher = Watcher(cp, execution.id)
    assert watcher.next() is not None
    watcher.call.cancel()
    with pytest.raises(grpc.RpcError) as caught:
        watcher.next()
    assert caught.value.code() == grpc.StatusCode.CANCELLED
    # The server still serves, and the execution is unaffected.
    assert cp.get(execution.id).closure.phase == pb.EXECUTION_PHASE_QUEUED
