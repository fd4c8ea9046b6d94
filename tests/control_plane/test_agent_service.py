"""AgentService over a real gRPC server: claims, leases, heartbeats and events."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN
from execution_lifecycles import history, lifecycles, shuffled, so_far
from execution_support import (
    NODES,
    WAIT,
    Harness,
    execution_event,
    node_event,
    phases,
    private_plane,
)
from google.protobuf.duration_pb2 import Duration
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graven.literals import int_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import ExecutionIdentifier

SHORT_LEASE = 1.0


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


@pytest.fixture
def short_lease(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url, lease_seconds=SHORT_LEASE) as harness:
        yield harness


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.005)


def test_a_claim_with_nothing_queued_answers_empty(cp: Harness) -> None:
    started = time.monotonic()
    response = cp.agent().claim(wait=0.2)
    assert not response.HasField("execution")
    assert time.monotonic() - started >= 0.2


def test_a_waiting_claim_wakes_when_an_execution_is_queued(cp: Harness) -> None:
    workflow = cp.register()
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        claim = pool.submit(cp.agent().claim, 30.0)
        wait_until(lambda: cp.plane.agents.waiting_claims == 1, "the claim is waiting")
        execution = cp.create(workflow.id, x=int_literal(1))
        response = claim.result(timeout=WAIT)
    assert response.execution.id == execution.id
    # Woken by the new execution, not by the end of its wait or a periodic re-read.
    assert time.monotonic() - started < 4.0
    assert cp.plane.agents.waiting_claims == 0


def test_a_claim_given_up_by_its_agent_claims_nothing(cp: Harness) -> None:
    workflow = cp.register()
    gone = cp.agent("gone")
    wait_for = Duration(seconds=30)
    call = cp.agents.ClaimExecution.future(
        ag.ClaimExecutionRequest(agent_id=gone.agent_id, wait_for=wait_for)
    )
    wait_until(lambda: cp.plane.agents.waiting_claims == 1, "the claim is waiting")
    call.cancel()
    # The server stops waiting at once, well before its periodic re-read.
    wait_until(lambda: cp.plane.agents.waiting_claims == 0, "the claim stopped waiting")
    execution = cp.create(workflow.id, x=int_literal(1))
    assert cp.agent().claim().execution.id == execution.id


def test_the_oldest_queued_execution_is_claimed_first(cp: Harness) -> None:
    workflow = cp.register()
    created = [cp.create(workflow.id, x=int_literal(i)).id for i in range(3)]
    agent = cp.agent()
    assert [agent.claim().execution.id for _ in created] == created
    assert not agent.claim().HasField("execution")


def test_concurrent_claimers_never_share_an_execution(cp: Harness) -> None:
    workflow = cp.register()
    created = {cp.create(workflow.id, x=int_literal(i)).id.name for i in range(40)}
    agents = [cp.agent(f"agent-{i}") for i in range(8)]
    start = threading.Barrier(len(agents))

    def claim_all(agent: object) -> list[str]:
        start.wait()
        names = []
        while True:
            response = agent.claim()  # type: ignore[attr-defined]
            if not response.HasField("execution"):
                return names
            assert response.execution.closure.phase == pb.EXECUTION_PHASE_RUNNING
            names.append(response.execution.id.name)

    with ThreadPoolExecutor(len(agents)) as pool:
        claimed = list(pool.map(claim_all, agents))
    every = [name for names in claimed for name in names]
    assert sorted(every) == sorted(created)
    # Each execution's lease names the agent that got it.
    for agent, names in zip(agents, claimed, strict=True):
        for name in names:
            held = ExecutionIdentifier(project=cp.project, domain=DOMAIN, name=name)
            assert list(agent.heartbeat(held).lost) == []


def test_heartbeats_extend_the_lease(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    agent = cp.agent()
    claim = agent.claim()
    beat = agent.heartbeat(execution.id)
    assert beat.lease_expires_at.ToNanoseconds() > claim.lease_expires_at.ToNanoseconds()
    assert list(beat.lost) == []
    assert list(beat.terminate) == []
    # Another agent cannot take a held execution.
    assert not cp.agent().claim().HasField("execution")
    stranger = cp.agent().heartbeat(execution.id)
    assert list(stranger.lost) == [execution.id]


def test_an_expired_lease_is_resumed_by_another_agent(short_lease: Harness) -> None:
    cp = short_lease
    execution = cp.create(cp.register().id, x=int_literal(1))
    first = cp.agent("first")
    assert first.claim().execution.id == execution.id
    uri = cp.outputs(execution.id, "inc1", int_literal(2))
    first.report(
        execution_event(execution.id, pb.EXECUTION_PHASE_RUNNING),
        node_event(execution.id, "inc1", pb.NODE_PHASE_RUNNING),
        node_event(execution.id, "inc1", pb.NODE_PHASE_SUCCEEDED, outputs_uri=uri),
        node_event(execution.id, "inc2", pb.NODE_PHASE_RUNNING),
    )
    # The first agent goes silent. The second one's claim waits for the lease to run out
    # (no new execution will wake it) and resumes from the recorded nodes.
    second = cp.agent("second")
    claim = second.claim(wait=10 * SHORT_LEASE)
    assert claim.execution.id == execution.id
    assert claim.execution.closure.phase == pb.EXECUTION_PHASE_RUNNING
    recorded = {n.id.node_id: n for n in claim.node_executions}
    assert phases(recorded.values()) == {
        "inc1": pb.NODE_PHASE_SUCCEEDED,
        "inc2": pb.NODE_PHASE_RUNNING,
    }
    assert recorded["inc1"].outputs_uri == uri

    # The first agent learns it lost the execution, and its events no longer count.
    assert list(first.heartbeat(execution.id).lost) == [execution.id]
    with pytest.raises(grpc.RpcError) as caught:
        first.report(node_event(execution.id, "inc2", pb.NODE_PHASE_SUCCEEDED))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "first" in caught.value.details()

    second.report(
        node_event(execution.id, "inc2", pb.NODE_PHASE_RETRYING, attempt=1),
        node_event(execution.id, "inc2", pb.NODE_PHASE_RUNNING, attempt=2),
        node_event(execution.id, "inc2", pb.NODE_PHASE_SUCCEEDED, attempt=2),
        node_event(execution.id, "fmt", pb.NODE_PHASE_RUNNING),
        node_event(execution.id, "fmt", pb.NODE_PHASE_SUCCEEDED),
        execution_event(execution.id, pb.EXECUTION_PHASE_SUCCEEDED),
    )
    assert cp.get(execution.id).closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    nodes = {n.id.node_id: n for n in cp.nodes(execution.id)}
    assert [(a.attempt, a.phase) for a in nodes["inc2"].attempts] == [
        (1, pb.NODE_PHASE_FAILED),
        (2, pb.NODE_PHASE_SUCCEEDED),
    ]


def test_a_terminating_execution_whose_agent_died_is_resumed_to_be_stopped(
    short_lease: Harness,
) -> None:
    cp = short_lease
    execution = cp.create(cp.register().id, x=int_literal(1))
    cp.agent("dies").claim()
    cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=execution.id))
    heir = cp.agent("heir")
    claim = heir.claim(wait=10 * SHORT_LEASE)
    assert claim.execution.closure.phase == pb.EXECUTION_PHASE_TERMINATING
    assert list(heir.heartbeat(execution.id).terminate) == [execution.id]
    heir.report(execution_event(execution.id, pb.EXECUTION_PHASE_TERMINATED))
    assert cp.get(execution.id).closure.phase == pb.EXECUTION_PHASE_TERMINATED


def test_late_and_repeated_events_never_move_anything_backwards(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    agent = cp.agent()
    agent.claim()
    done = node_event(execution.id, "inc1", pb.NODE_PHASE_SUCCEEDED, at=200)
    agent.report(done, done)
    agent.report(
        node_event(execution.id, "inc1", pb.NODE_PHASE_RUNNING, at=100),
        node_event(execution.id, "inc1", pb.NODE_PHASE_QUEUED, at=50),
        node_event(execution.id, "inc1", pb.NODE_PHASE_FAILED, at=300),
    )
    inc1 = cp.nodes(execution.id)[0]
    assert inc1.phase == pb.NODE_PHASE_SUCCEEDED
    assert (inc1.started_at.seconds, inc1.finished_at.seconds) == (100, 200)
    assert [(a.attempt, a.phase, a.started_at.seconds) for a in inc1.attempts] == [
        (1, pb.NODE_PHASE_SUCCEEDED, 100)
    ]

    agent.report(execution_event(execution.id, pb.EXECUTION_PHASE_FAILED))
    agent.report(
        execution_event(execution.id, pb.EXECUTION_PHASE_SUCCEEDED),
        execution_event(execution.id, pb.EXECUTION_PHASE_RUNNING),
    )
    assert cp.get(execution.id).closure.phase == pb.EXECUTION_PHASE_FAILED


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (pb.Event(), "events[0]"),
        (
            pb.Event(execution=pb.ExecutionEvent(phase=pb.EXECUTION_PHASE_QUEUED)),
            "events[0].execution.phase",
        ),
        (pb.Event(node=pb.NodeEvent(phase=pb.NODE_PHASE_RUNNING)), "events[0].node.id.node_id"),
    ],
)
def test_malformed_events_are_invalid(cp: Harness, event: pb.Event, field: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        cp.agent().report(event)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(field)


def test_events_for_unknown_nodes_or_unheld_executions_are_refused(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    agent = cp.agent()
    with pytest.raises(grpc.RpcError) as caught:
        agent.report(node_event(execution.id, "inc1", pb.NODE_PHASE_RUNNING))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    agent.claim()
    with pytest.raises(grpc.RpcError) as caught:
        agent.report(
            node_event(execution.id, "inc1", pb.NODE_PHASE_RUNNING),
            node_event(execution.id, "nope", pb.NODE_PHASE_RUNNING),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'nope'" in caught.value.details()
    # All or nothing: the valid event of the refused batch was not applied.
    assert phases(cp.nodes(execution.id)) == dict.fromkeys(NODES, pb.NODE_PHASE_QUEUED)


@pytest.mark.parametrize(
    "request_",
    [
        ag.ClaimExecutionRequest(),
        ag.HeartbeatRequest(agent_id=""),
        ag.HeartbeatRequest(agent_id="a", execution_ids=[ExecutionIdentifier(project="p")]),
        ag.ReportEventsRequest(agent_id="x" * 300),
    ],
)
def test_malformed_agent_requests_are_invalid(cp: Harness, request_: object) -> None:
    method = {
        ag.ClaimExecutionRequest: cp.agents.ClaimExecution,
        ag.HeartbeatRequest: cp.agents.Heartbeat,
        ag.ReportEventsRequest: cp.agents.ReportEvents,
    }[type(request_)]
    with pytest.raises(grpc.RpcError) as caught:
        method(request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def recorded(cp: Harness, execution_id: ExecutionIdentifier) -> tuple[object, ...]:
    """What the events decided: the closure and the nodes, without the execution's name
    and the moments the control plane itself chose."""
    closure = cp.get(execution_id).closure
    for name in ("created_at", "started_at", "updated_at"):
        closure.ClearField(name)
    nodes = cp.nodes(execution_id)
    for node in nodes:
        node.id.ClearField("execution_id")
    return closure, nodes


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), nodes=lifecycles)
def test_batches_in_any_order_reach_the_in_order_state(
    cp: Harness, data: st.DataObject, nodes: list[str]
) -> None:
    workflow = cp.register()
    agent = cp.agent()
    in_order, shuffled_ = (cp.create(workflow.id, x=int_literal(1)).id for _ in range(2))
    cut = len(data.draw(so_far(history(in_order, nodes))))
    for execution_id in (in_order, shuffled_):
        assert agent.claim().execution.id == execution_id
    agent.report(*history(in_order, nodes)[:cut])
    events = data.draw(shuffled(history(shuffled_, nodes)[:cut]))
    sizes = data.draw(st.lists(st.integers(1, 4), min_size=len(events), max_size=len(events)))
    start = 0
    for size in sizes:
        if start < len(events):
            agent.report(*events[start : start + size])
        start += size
    assert recorded(cp, shuffled_) == recorded(cp, in_order)
