"""Realistic event histories of one execution, for property tests of event folding.

Each node follows one lifecycle an agent can produce; the history lists the events in the
order they happened, with increasing timestamps. Replaying any permutation of it (with
repeats) must reach the state that replaying it in order reaches.
"""

from __future__ import annotations

from collections.abc import Sequence

from execution_support import NODES, execution_event, node_event
from hypothesis import strategies as st

from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier

# (phase, attempt, fields) steps of one node's life.
Step = tuple[pb.NodePhase, int, dict[str, object]]

FAILURE = pb.ExecutionError(kind=pb.ERROR_KIND_USER, type="ValueError", message="boom")
TIMEOUT = pb.ExecutionError(kind=pb.ERROR_KIND_TIMEOUT, message="too slow")
SOURCE = ExecutionIdentifier(project="other", domain="dev", name="producer")

LIFECYCLES: dict[str, list[Step]] = {
    "succeeds": [
        (pb.NODE_PHASE_QUEUED, 1, {}),
        (pb.NODE_PHASE_RUNNING, 1, {"inputs_uri": "file:///in", "cache_key": "k"}),
        (pb.NODE_PHASE_SUCCEEDED, 1, {"outputs_uri": "file:///out", "cache_key": "k"}),
    ],
    "retries": [
        (pb.NODE_PHASE_RUNNING, 1, {"inputs_uri": "file:///in"}),
        (pb.NODE_PHASE_RETRYING, 1, {"error": FAILURE}),
        (pb.NODE_PHASE_RUNNING, 2, {}),
        (pb.NODE_PHASE_RETRYING, 2, {"error": TIMEOUT}),
        (pb.NODE_PHASE_RUNNING, 3, {}),
        (pb.NODE_PHASE_SUCCEEDED, 3, {"outputs_uri": "file:///out"}),
    ],
    "fails": [
        (pb.NODE_PHASE_RUNNING, 1, {"inputs_uri": "file:///in"}),
        (pb.NODE_PHASE_FAILED, 1, {"error": FAILURE}),
    ],
    "times out": [
        (pb.NODE_PHASE_RUNNING, 1, {}),
        (pb.NODE_PHASE_TIMED_OUT, 1, {"error": TIMEOUT}),
    ],
    "hits the cache": [
        (
            pb.NODE_PHASE_SUCCEEDED,
            1,
            {
                "cache_status": pb.CACHE_STATUS_HIT,
                "cache_key": "k",
                "outputs_uri": "file:///cached",
                "source_execution_id": SOURCE,
            },
        ),
    ],
    "is skipped": [(pb.NODE_PHASE_SKIPPED, 0, {})],
}


def history(execution_id: ExecutionIdentifier, lifecycles: Sequence[str]) -> list[pb.Event]:
    """The events of an execution whose nodes live ``lifecycles``, in the order they happen."""
    events = [execution_event(execution_id, pb.EXECUTION_PHASE_RUNNING)]
    clock = 1000
    for node_id, lifecycle in zip(NODES, lifecycles, strict=True):
        for phase, attempt, fields in LIFECYCLES[lifecycle]:
            clock += 1
            events.append(node_event(execution_id, node_id, phase, attempt, at=clock, **fields))
    clock += 1
    final = execution_event(execution_id, pb.EXECUTION_PHASE_FAILED, error=FAILURE)
    final.execution.occurred_at.seconds = clock
    events.append(final)
    return events


lifecycles = st.lists(st.sampled_from(sorted(LIFECYCLES)), min_size=3, max_size=3)


@st.composite
def so_far(draw: st.DrawFn, events: list[pb.Event]) -> list[pb.Event]:
    """The events up to some moment: all of them, or those of an execution in flight."""
    return events[: draw(st.integers(1, len(events)))]


@st.composite
def shuffled(draw: st.DrawFn, events: list[pb.Event]) -> list[pb.Event]:
    """``events`` in any order, some of them repeated."""
    repeats = draw(st.lists(st.sampled_from(events), max_size=4))
    return draw(st.permutations([*events, *repeats]))
