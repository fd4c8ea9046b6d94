"""Child executions over a real gRPC server: a launch-plan node's child is named from the node
execution, started once however often (and however concurrently) it is asked for, refused
whole when a request is bad, linked both ways, and stopped with its parent (grandchildren
too), whether the parent is terminated or finishes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN, INT, unique, var
from execution_support import Harness, execution_event, node_event, private_plane
from runtime_support import Language, store_launch_plan, store_workflow

from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.execution_repository import (
    ExecutionRepository,
    NewExecution,
)
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.service.child_executions import child_name
from graven.literals import int_literal, string_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier, NodeExecutionIdentifier
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.workflow_pb2 import Node, WorkflowNode, WorkflowTemplate


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


@pytest.fixture
def language(cp: Harness) -> Language:
    return Language(cp)


def claimed(cp: Harness, workflow: Identifier, **inputs: Literal) -> tuple[pb.Execution, str]:
    execution = cp.create(workflow, **inputs)
    agent = cp.agent()
    assert agent.claim().execution.id == execution.id
    return execution, agent.agent_id


def start(
    cp: Harness,
    agent_id: str,
    parent: ExecutionIdentifier,
    node_id: str,
    launch_plan: Identifier,
    **inputs: Literal,
) -> pb.Execution:
    return start_all(cp, agent_id, [(parent, node_id, launch_plan, inputs)])[0]


def start_all(
    cp: Harness,
    agent_id: str,
    requests: list[tuple[ExecutionIdentifier, str, Identifier, dict[str, Literal]]],
) -> list[pb.Execution]:
    request = ag.StartChildExecutionsRequest(
        agent_id=agent_id,
        requests=[
            ag.ChildExecutionRequest(
                parent=NodeExecutionIdentifier(execution_id=parent, node_id=node_id),
                launch_plan_id=launch_plan,
                inputs=LiteralMap(literals=inputs),
            )
            for parent, node_id, launch_plan, inputs in requests
        ],
    )
    return list(cp.agents.StartChildExecutions(request).executions)


def executions_of(cp: Harness) -> list[str]:
    request = es.ListExecutionsRequest(project=cp.project, domain=DOMAIN)
    return sorted(e.id.name for e in cp.executions.ListExecutions(request).executions)


def test_a_child_is_named_from_its_node_and_started_once(cp: Harness, language: Language) -> None:
    parent, agent_id = claimed(cp, language.workflow.id, x=int_literal(1))
    child = start(cp, agent_id, parent.id, "n5", language.leaf_plan, x=int_literal(4))
    assert child.id == ExecutionIdentifier(
        project=cp.project, domain=DOMAIN, name=child_name(parent.id.name, "n5")
    )
    assert child.id.name == f"{parent.id.name}-{hashlib.sha256(b'n5').hexdigest()[:8]}"
    spec = child.spec
    assert spec.mode == pb.EXECUTION_MODE_CHILD
    assert spec.parent_node_execution == NodeExecutionIdentifier(
        execution_id=parent.id, node_id="n5"
    )
    assert (spec.launch_plan_id, spec.workflow_id) == (language.leaf_plan, language.leaf.id)
    assert child.closure.phase == pb.EXECUTION_PHASE_QUEUED
    # Its inputs were completed like a launch's: the workflow's default for s.
    data = cp.executions.GetExecutionData(es.GetExecutionDataRequest(id=child.id))
    assert dict(data.inputs.literals) == {"x": int_literal(4), "s": string_literal("hi")}
    # Linked both ways: the child names its parent node; the node, once the agent says so,
    # its child.
    assert cp.get(child.id).spec.parent_node_execution.node_id == "n5"
    cp.agent(agent_id).report(
        node_event(parent.id, "n5", pb.NODE_PHASE_RUNNING, child_execution_id=child.id)
    )
    (n5,) = [n for n in cp.nodes(parent.id) if n.id.node_id == "n5"]
    assert n5.child_execution_id == child.id
    # Asking again (the agent's poll) answers the same execution in its current phase.
    assert cp.agent().claim().execution.id == child.id
    again = start(cp, agent_id, parent.id, "n5", language.leaf_plan, x=int_literal(4))
    assert again.id == child.id
    assert again.closure.phase == pb.EXECUTION_PHASE_RUNNING
    assert again.closure.created_at == child.closure.created_at
    assert executions_of(cp) == sorted([parent.id.name, child.id.name])


def test_concurrent_requests_for_one_node_start_one_child(cp: Harness, language: Language) -> None:
    parent, agent_id = claimed(cp, language.workflow.id, x=int_literal(1))

    def ask(_: int) -> ExecutionIdentifier:
        return start(cp, agent_id, parent.id, "n5", language.leaf_plan, x=int_literal(2)).id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(ask, range(16)))
    assert len({i.name for i in ids}) == 1
    assert executions_of(cp) == sorted([parent.id.name, ids[0].name])


def test_a_bad_request_starts_nothing(cp: Harness, language: Language) -> None:
    parent, agent_id = claimed(cp, language.workflow.id, x=int_literal(1))
    good = (parent.id, "n5", language.leaf_plan, {"x": int_literal(1)})
    other_version = Identifier()
    other_version.CopyFrom(language.leaf_plan)
    other_version.version = "v2"
    for bad, field, status in [
        ((parent.id, "n5", language.leaf_plan, {"x": string_literal("1")}),
         "requests[1].inputs", grpc.StatusCode.INVALID_ARGUMENT),
        ((parent.id, "n5", language.leaf_plan, {"y": int_literal(1)}),
         "requests[1].inputs", grpc.StatusCode.INVALID_ARGUMENT),
        ((parent.id, "n5", other_version, {"x": int_literal(1)}),
         "requests[1].launch_plan_id", grpc.StatusCode.INVALID_ARGUMENT),
        ((parent.id, "n0", language.leaf_plan, {"x": int_literal(1)}),
         "requests[1].parent.node_id", grpc.StatusCode.INVALID_ARGUMENT),
        ((parent.id, "n6/n0", language.leaf_plan, {"x": int_literal(1)}),
         "requests[1].parent.node_id", grpc.StatusCode.INVALID_ARGUMENT),
        ((ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="Bad!"), "n5",
          language.leaf_plan, {}), "requests[1].parent.execution_id.name",
         grpc.StatusCode.INVALID_ARGUMENT),
    ]:  # fmt: skip
        with pytest.raises(grpc.RpcError) as caught:
            start_all(cp, agent_id, [good, bad])
        assert caught.value.code() == status
        assert (caught.value.details() or "").startswith(f"{field}"), caught.value.details()
    # The good request of each batch started nothing either.
    assert executions_of(cp) == [parent.id.name]


def test_only_the_agent_holding_the_parent_starts_its_children(
    cp: Harness, language: Language
) -> None:
    parent, _ = claimed(cp, language.workflow.id, x=int_literal(1))
    with pytest.raises(grpc.RpcError) as caught:
        start(cp, "stranger", parent.id, "n5", language.leaf_plan, x=int_literal(1))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "lease" in (caught.value.details() or "")
    assert executions_of(cp) == [parent.id.name]


def chain(cp: Harness, language: Language) -> tuple[Identifier, Identifier]:
    """``top`` runs ``mid`` as a child (node n0), which runs ``leaf`` as one (its n0)."""
    plan_node = Node(id="n0", workflow_node=WorkflowNode(launch_plan_id=language.leaf_plan))
    interface = TypedInterface(inputs=[var("x", INT)])
    mid = store_workflow(
        cp, unique("mid"), WorkflowTemplate(interface=interface, nodes=[plan_node])
    )
    mid_plan = store_launch_plan(cp, unique("mid-lp"), mid.id)
    top_node = Node(id="n0", workflow_node=WorkflowNode(launch_plan_id=mid_plan))
    top = store_workflow(cp, unique("top"), WorkflowTemplate(interface=interface, nodes=[top_node]))
    return top.id, mid_plan


def test_terminating_a_parent_terminates_its_children_and_theirs(
    cp: Harness, language: Language
) -> None:
    top_id, mid_plan = chain(cp, language)
    top, top_agent = claimed(cp, top_id, x=int_literal(1))
    mid = start(cp, top_agent, top.id, "n0", mid_plan, x=int_literal(1))
    mid_agent = cp.agent()
    assert mid_agent.claim().execution.id == mid.id
    leaf = start(cp, mid_agent.agent_id, mid.id, "n0", language.leaf_plan, x=int_literal(1))
    assert leaf.id.name == child_name(mid.id.name, "n0")

    cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=top.id, reason="enough"))
    assert cp.get(top.id).closure.phase == pb.EXECUTION_PHASE_TERMINATING
    # The running child is asked to stop (its agent hears it on the heartbeat) ...
    assert cp.get(mid.id).closure.phase == pb.EXECUTION_PHASE_TERMINATING
    assert list(mid_agent.heartbeat(mid.id).terminate) == [mid.id]
    # ... and the queued grandchild stops at once, saying why.
    stopped = cp.get(leaf.id).closure
    assert stopped.phase == pb.EXECUTION_PHASE_TERMINATED
    assert top.id.name in stopped.error.message
    assert "enough" in stopped.error.message
    # Still polled while terminating: asking again answers the child as it is now.
    assert start(cp, top_agent, top.id, "n0", mid_plan, x=int_literal(1)).closure.phase == (
        pb.EXECUTION_PHASE_TERMINATING
    )


def test_a_terminating_parent_starts_no_new_child(cp: Harness, language: Language) -> None:
    parent, agent_id = claimed(cp, language.workflow.id, x=int_literal(1))
    cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=parent.id))
    with pytest.raises(grpc.RpcError) as caught:
        start(cp, agent_id, parent.id, "n5", language.leaf_plan, x=int_literal(1))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "terminating" in (caught.value.details() or "")
    assert executions_of(cp) == [parent.id.name]


def test_a_parent_that_finishes_stops_its_unfinished_children(
    cp: Harness, language: Language
) -> None:
    parent, agent_id = claimed(cp, language.workflow.id, x=int_literal(1))
    child = start(cp, agent_id, parent.id, "n5", language.leaf_plan, x=int_literal(1))
    cp.agent(agent_id).report(execution_event(parent.id, pb.EXECUTION_PHASE_FAILED))
    closure = cp.get(child.id).closure
    assert closure.phase == pb.EXECUTION_PHASE_TERMINATED
    assert closure.error.message == (
        f"parent execution {cp.project}/{DOMAIN}/{parent.id.name} finished (FAILED)"
    )


def test_terminating_a_finished_parent_stops_children_left_running(
    cp: Harness, language: Language
) -> None:
    parent, agent_id = claimed(cp, language.workflow.id, x=int_literal(1))
    cp.agent(agent_id).report(execution_event(parent.id, pb.EXECUTION_PHASE_SUCCEEDED))
    # A child whose cascade never ran: the control plane stopped between the parent's last
    # event and stopping its children.
    now = to_timestamp(datetime.now(UTC))
    left = pb.Execution(
        id=ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="left-running"),
        spec=pb.ExecutionSpec(
            workflow_id=language.leaf.id,
            mode=pb.EXECUTION_MODE_CHILD,
            parent_node_execution=NodeExecutionIdentifier(execution_id=parent.id, node_id="n5"),
        ),
        closure=pb.ExecutionClosure(
            phase=pb.EXECUTION_PHASE_QUEUED, created_at=now, updated_at=now
        ),
    )
    ExecutionRepository(make_sessions(cp.plane.engine)).insert([NewExecution(left)], lambda _: [])
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=parent.id))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert cp.get(left.id).closure.phase == pb.EXECUTION_PHASE_TERMINATED
