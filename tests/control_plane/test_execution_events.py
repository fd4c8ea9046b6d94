"""Folding agent events into recorded state: the order they arrive in does not matter."""

from __future__ import annotations

from execution_lifecycles import history, lifecycles, shuffled, so_far
from hypothesis import given
from hypothesis import strategies as st

from graven.control_plane.persistence.execution_repository import ExecutionState
from graven.control_plane.service.execution_events import apply_execution_event, apply_node_event
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier

EXECUTION_ID = ExecutionIdentifier(project="p", domain="d", name="e")


def fold(events: list[pb.Event]) -> ExecutionState:
    execution = pb.Execution(id=EXECUTION_ID)
    execution.closure.phase = pb.EXECUTION_PHASE_RUNNING
    execution.closure.started_at.seconds = 1
    state = ExecutionState(execution=execution, terminate_reason="", nodes={})
    now = pb.ExecutionEvent().occurred_at
    for event in events:
        if event.HasField("execution"):
            apply_execution_event(state, event.execution, now)
        else:
            apply_node_event(state, event.node, now)
    return state


@given(st.data(), lifecycles)
def test_any_order_with_repeats_folds_to_the_in_order_state(
    data: st.DataObject, nodes: list[str]
) -> None:
    events = data.draw(so_far(history(EXECUTION_ID, nodes)))
    expected = fold(events)
    actual = fold(data.draw(shuffled(events)))
    assert actual.execution == expected.execution
    assert actual.nodes == expected.nodes


def test_a_retried_node_records_each_attempt() -> None:
    state = fold(history(EXECUTION_ID, ["retries", "fails", "is skipped"]))
    retried = state.nodes["inc1"].node
    assert retried.phase == pb.NODE_PHASE_SUCCEEDED
    assert [(a.attempt, a.phase, a.error.kind) for a in retried.attempts] == [
        (1, pb.NODE_PHASE_FAILED, pb.ERROR_KIND_USER),
        (2, pb.NODE_PHASE_TIMED_OUT, pb.ERROR_KIND_TIMEOUT),
        (3, pb.NODE_PHASE_SUCCEEDED, pb.ERROR_KIND_UNSPECIFIED),
    ]
    assert not retried.HasField("error")
    # The node started with its first attempt, and finished with its last.
    assert retried.started_at == retried.attempts[0].started_at
    assert retried.finished_at == retried.attempts[-1].finished_at
    failed = state.nodes["inc2"].node
    assert failed.phase == pb.NODE_PHASE_FAILED
    assert failed.error.message == "boom"
    assert state.nodes["fmt"].node.attempts == []
    assert state.execution.closure.phase == pb.EXECUTION_PHASE_FAILED


def test_a_terminal_node_stays_terminal_whatever_comes_after() -> None:
    events = history(EXECUTION_ID, ["succeeds", "fails", "is skipped"])
    late = history(EXECUTION_ID, ["retries", "retries", "retries"])
    state = fold(events + late)
    assert {node_id: s.node.phase for node_id, s in state.nodes.items()} == {
        "inc1": pb.NODE_PHASE_SUCCEEDED,
        "inc2": pb.NODE_PHASE_FAILED,
        "fmt": pb.NODE_PHASE_SKIPPED,
    }
