"""Event batches as a fast graph sends them: hundreds of nodes per call, read and written in
bulk, and watched as deltas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN, INT, from_input, node, task_id, task_spec, var, workflow_id
from cp_support import workflow_spec as spec_of
from execution_support import Harness, Watcher, execution_event, node_event, phases, private_plane
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from graven.control_plane.persistence.execution_nodes import IN_LIST_SIZE
from graven.control_plane.persistence.proto_columns import to_datetime, to_timestamp
from graven.literals import int_literal
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier

# More nodes than one IN list holds, so every bulk read takes more than one query.
WIDE = IN_LIST_SIZE + 20


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


def register_wide(cp: Harness, width: int = WIDE) -> Identifier:
    """``fan(x: int)``: ``width`` independent nodes n0, n1, ... each running ``noop(x)``."""
    noop = task_id("noop", project=cp.project)
    cp.registry.CreateTask(
        rs.CreateTaskRequest(id=noop, spec=task_spec([var("x", INT)], [var("o", INT)], "noop"))
    )
    nodes = [node(f"n{i}", noop, x=from_input("x")) for i in range(width)]
    identifier = workflow_id("fan", project=cp.project)
    request = rs.CreateWorkflowRequest(id=identifier, spec=spec_of(nodes, [var("x", INT)]))
    response: rs.CreateWorkflowResponse = cp.registry.CreateWorkflow(request)
    return response.workflow.id


def all_nodes(cp: Harness, execution_id: ExecutionIdentifier) -> list[pb.NodeExecution]:
    """Every node, following the pages."""
    nodes: list[pb.NodeExecution] = []
    token = ""
    while True:
        page = cp.executions.ListNodeExecutions(
            es.ListNodeExecutionsRequest(execution_id=execution_id, page_token=token)
        )
        nodes += page.node_executions
        token = page.next_page_token
        if not token:
            return nodes


def test_a_batch_wider_than_one_query_is_applied_whole(cp: Harness) -> None:
    execution = cp.create(register_wide(cp), x=int_literal(1))
    agent = cp.agent()
    agent.claim()
    watcher = Watcher(cp, execution.id)
    assert watcher.next() is not None  # the state at the start

    running = [
        node_event(execution.id, f"n{i}", pb.NODE_PHASE_RUNNING, at=100, inputs_uri=f"file:///{i}")
        for i in range(WIDE)
    ]
    agent.report(*running)
    started = watcher.next()
    assert started is not None
    assert [n.id.node_id for n in started.node_executions] == [f"n{i}" for i in range(WIDE)]
    assert set(phases(started.node_executions).values()) == {pb.NODE_PHASE_RUNNING}
    # The first attempt of every other node failed and was retried, in the same batch as
    # the successes: updates and inserts of nodes and attempts mix in one write.
    retried = range(0, WIDE, 2)
    agent.report(
        *[node_event(execution.id, f"n{i}", pb.NODE_PHASE_RETRYING, at=150) for i in retried],
        *[node_event(execution.id, f"n{i}", pb.NODE_PHASE_RUNNING, 2, at=160) for i in retried],
        *[
            node_event(
                execution.id,
                f"n{i}",
                pb.NODE_PHASE_SUCCEEDED,
                2 if i in retried else 1,
                at=200,
                outputs_uri=f"file:///out/{i}",
            )
            for i in range(WIDE)
        ],
        execution_event(execution.id, pb.EXECUTION_PHASE_SUCCEEDED),
    )

    nodes = all_nodes(cp, execution.id)
    assert [n.id.node_id for n in nodes] == [f"n{i}" for i in range(WIDE)]
    assert set(phases(nodes).values()) == {pb.NODE_PHASE_SUCCEEDED}
    for i, recorded in enumerate(nodes):
        assert (recorded.inputs_uri, recorded.outputs_uri) == (f"file:///{i}", f"file:///out/{i}")
        assert (recorded.started_at.seconds, recorded.finished_at.seconds) == (100, 200)
        expected = [(1, pb.NODE_PHASE_FAILED, 100, 150), (2, pb.NODE_PHASE_SUCCEEDED, 160, 200)]
        if i not in retried:
            expected = [(1, pb.NODE_PHASE_SUCCEEDED, 100, 200)]
        attempts = [
            (a.attempt, a.phase, a.started_at.seconds, a.finished_at.seconds)
            for a in recorded.attempts
        ]
        assert attempts == expected

    # The watch sends the nodes the batch changed, in the workflow's order, then ends.
    last = watcher.next()
    assert last is not None
    assert last.execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert list(last.node_executions) == nodes
    assert watcher.next() is None


def test_a_repeated_wide_batch_changes_nothing(cp: Harness) -> None:
    execution = cp.create(register_wide(cp), x=int_literal(1))
    agent = cp.agent()
    agent.claim()
    batch = [node_event(execution.id, f"n{i}", pb.NODE_PHASE_SUCCEEDED, at=5) for i in range(WIDE)]
    agent.report(*batch)
    before = cp.get(execution.id)
    agent.report(*batch, *batch)
    after = cp.get(execution.id)
    # Nothing changed, so nothing was written: not even the execution's update time.
    assert after.closure.updated_at == before.closure.updated_at
    assert all_nodes(cp, execution.id) == all_nodes(cp, execution.id)


@pytest.mark.parametrize(
    "at", [Timestamp(seconds=253_402_300_800), Timestamp(seconds=-62_135_596_801)]
)
def test_an_event_time_out_of_range_is_invalid(cp: Harness, at: Timestamp) -> None:
    execution = cp.create(register_wide(cp, 1), x=int_literal(1))
    agent = cp.agent()
    agent.claim()
    late = node_event(execution.id, "n0", pb.NODE_PHASE_RUNNING)
    late.node.occurred_at.CopyFrom(at)
    with pytest.raises(grpc.RpcError) as caught:
        agent.report(node_event(execution.id, "n0", pb.NODE_PHASE_QUEUED), late)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith("events[1].node.occurred_at")
    # The server still serves, and the refused batch left no trace.
    assert cp.nodes(execution.id)[0].phase == pb.NODE_PHASE_QUEUED
    assert not cp.nodes(execution.id)[0].HasField("started_at")


def test_events_of_several_executions_in_one_batch_all_apply(cp: Harness) -> None:
    workflow = register_wide(cp, 3)
    executions = [cp.create(workflow, x=int_literal(i)) for i in range(3)]
    agent = cp.agent()
    for _ in executions:
        agent.claim()
    agent.report(
        *[
            node_event(e.id, f"n{i}", pb.NODE_PHASE_SUCCEEDED)
            for i in range(3)
            for e in reversed(executions)
        ]
    )
    for e in executions:
        assert set(phases(cp.nodes(e.id)).values()) == {pb.NODE_PHASE_SUCCEEDED}
    other = ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="nobody-holds-it")
    with pytest.raises(grpc.RpcError) as caught:
        agent.report(
            execution_event(executions[0].id, pb.EXECUTION_PHASE_SUCCEEDED),
            execution_event(other, pb.EXECUTION_PHASE_SUCCEEDED),
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert cp.get(executions[0].id).closure.phase == pb.EXECUTION_PHASE_RUNNING


MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
).map(lambda moment: moment.replace(tzinfo=UTC))


@given(MOMENTS)
def test_timestamps_convert_as_protobuf_does(moment: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment)
    assert to_timestamp(moment) == expected
    assert to_datetime(expected) == expected.ToDatetime(tzinfo=UTC) == moment


@given(MOMENTS, st.integers(0, 999))
def test_nanoseconds_are_truncated_to_the_microsecond_as_protobuf_does(
    moment: datetime, nanos: int
) -> None:
    stamp = to_timestamp(moment)
    stamp.nanos += nanos
    assert to_datetime(stamp) == stamp.ToDatetime(tzinfo=UTC) == moment
