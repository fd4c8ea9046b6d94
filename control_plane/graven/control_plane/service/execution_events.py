"""How an agent's events fold into the recorded state of an execution.

Agents send events in batches, retry them after a network error and, after a lease changes
hands, two agents may have reported on one node. So folding is idempotent and monotonic:
a phase only moves forward (by attempt, then by phase rank), a terminal phase never changes,
and the derived fields (first start, attempt boundaries) are the same whatever order the
events arrive in.
"""

from __future__ import annotations

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.execution_phases import (
    EXECUTION_TERMINAL,
    NODE_TERMINAL,
    execution_rank,
    node_rank,
)
from graven.control_plane.persistence.execution_nodes import NodeState
from graven.control_plane.persistence.execution_repository import ExecutionState
from graven.v1 import execution_pb2 as pb

# Node phases that close an attempt, and the phase the attempt itself ends in.
ATTEMPT_ENDS = {
    pb.NODE_PHASE_SUCCEEDED: pb.NODE_PHASE_SUCCEEDED,
    pb.NODE_PHASE_FAILED: pb.NODE_PHASE_FAILED,
    pb.NODE_PHASE_TIMED_OUT: pb.NODE_PHASE_TIMED_OUT,
    pb.NODE_PHASE_TERMINATED: pb.NODE_PHASE_TERMINATED,
    # The attempt failed and another is due; the error says whether it timed out.
    pb.NODE_PHASE_RETRYING: pb.NODE_PHASE_FAILED,
}


def apply_execution_event(state: ExecutionState, event: pb.ExecutionEvent, now: Timestamp) -> None:
    closure = state.execution.closure
    if closure.phase in EXECUTION_TERMINAL:
        return
    if execution_rank(event.phase) <= execution_rank(closure.phase):
        return
    at = event.occurred_at if event.HasField("occurred_at") else now
    closure.phase = event.phase
    if not closure.HasField("started_at"):
        closure.started_at.CopyFrom(at)
    if event.phase in EXECUTION_TERMINAL:
        closure.finished_at.CopyFrom(at)
        if event.HasField("error"):
            closure.error.CopyFrom(event.error)
        elif event.phase == pb.EXECUTION_PHASE_TERMINATED:
            closure.error.CopyFrom(
                pb.ExecutionError(kind=pb.ERROR_KIND_TERMINATED, message=state.terminate_reason)
            )
        closure.outputs_uri = event.outputs_uri


def apply_node_event(state: ExecutionState, event: pb.NodeEvent, now: Timestamp) -> None:
    node_id = event.id.node_id
    current = state.nodes.get(node_id)
    if current is None:
        current = NodeState(pb.NodeExecution(id=event.id), attempt=-1)
        state.nodes[node_id] = current
    node = current.node
    at = event.occurred_at if event.HasField("occurred_at") else now

    advances = node.phase not in NODE_TERMINAL and (event.attempt, node_rank(event.phase)) > (
        current.attempt,
        node_rank(node.phase),
    )
    if advances:
        node.phase = event.phase
        current.attempt = event.attempt
        if event.HasField("error"):
            node.error.CopyFrom(event.error)
        else:
            node.ClearField("error")
        if event.phase in NODE_TERMINAL:
            node.finished_at.CopyFrom(at)
    if event.phase != pb.NODE_PHASE_QUEUED:
        _keep_earliest(node, "started_at", at)
    # References describe the node, not a phase: the newest event sets them, an older one
    # only fills what is still missing.
    for name in ("inputs_uri", "outputs_uri", "cache_key", "cache_status"):
        value = getattr(event, name)
        if value and (advances or not getattr(node, name)):
            setattr(node, name, value)
    for name in ("task_id", "source_execution_id", "cache_key_components", "child_execution_id"):
        if event.HasField(name) and (advances or not node.HasField(name)):
            getattr(node, name).CopyFrom(getattr(event, name))
    if event.lineage and (advances or not node.output_hashes):
        node.output_hashes.clear()
        node.output_hashes.update({record.name: record.artifact_hash for record in event.lineage})
    ran = event.phase in ATTEMPT_ENDS or event.phase == pb.NODE_PHASE_RUNNING
    if ran and event.cache_status != pb.CACHE_STATUS_HIT:
        _apply_attempt(node, event, at)


def _apply_attempt(node: pb.NodeExecution, event: pb.NodeEvent, at: Timestamp) -> None:
    attempt = _attempt(node, event.attempt)
    if event.phase == pb.NODE_PHASE_RUNNING:
        _keep_earliest(attempt, "started_at", at)
        if attempt.phase == pb.NODE_PHASE_UNSPECIFIED:
            attempt.phase = pb.NODE_PHASE_RUNNING
        return
    if attempt.phase in NODE_TERMINAL:
        return
    ended = ATTEMPT_ENDS[event.phase]
    if event.error.kind == pb.ERROR_KIND_TIMEOUT and ended == pb.NODE_PHASE_FAILED:
        ended = pb.NODE_PHASE_TIMED_OUT
    attempt.phase = ended
    attempt.finished_at.CopyFrom(at)
    if event.HasField("error"):
        attempt.error.CopyFrom(event.error)


def _attempt(node: pb.NodeExecution, number: int) -> pb.NodeAttempt:
    """The record of attempt ``number``, created in its place when it is new."""
    for attempt in node.attempts:
        if attempt.attempt == number:
            return attempt
    attempt = node.attempts.add(attempt=number)
    node.attempts.sort(key=lambda a: a.attempt)
    return attempt


def _keep_earliest(message: Message, name: str, at: Timestamp) -> None:
    recorded: Timestamp = getattr(message, name)
    if not message.HasField(name) or (at.seconds, at.nanos) < (recorded.seconds, recorded.nanos):
        recorded.CopyFrom(at)
