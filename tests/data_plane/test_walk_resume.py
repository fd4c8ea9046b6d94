"""A walk that resumes an execution another agent began: what is on record is not run again,
committed outputs whose success was never reported are adopted, and an attempt its agent
did not live to finish runs again at no cost to its retries."""

from __future__ import annotations

from dp_support import node, promise, workflow_input
from walk_support import (
    Driver,
    MemoryReads,
    Tasks,
    graph,
    literals,
    node_of,
    outputs_uri,
    recorded_node,
)

from graven.data_plane.walk import AGENT_LOST
from graven.literals import to_literal
from graven.v1 import execution_pb2 as pb
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import LiteralMap

RUNNING, SUCCEEDED = pb.NODE_PHASE_RUNNING, pb.NODE_PHASE_SUCCEEDED
RETRYING, FAILED = pb.NODE_PHASE_RETRYING, pb.NODE_PHASE_FAILED


def ints(value: int) -> LiteralMap:
    return LiteralMap(literals={"o0": to_literal(value, int)})


def chain(reads: MemoryReads, recorded: list[pb.NodeExecution], retries: int = 0) -> Driver:
    """n0 (x) → n1 → n2, each adding one."""
    tasks = Tasks()
    inc = tasks.define("inc", {"x": int}, int, lambda x: x + 1, retries=retries)
    nodes = [node("n0", inc, x=workflow_input("x"))]
    nodes += [node(f"n{i}", inc, x=promise(f"n{i - 1}")) for i in (1, 2)]
    wf = graph(nodes, [inc], inputs={"x": int}, outputs={"o0": (promise("n2"), int)})
    return Driver(wf, tasks, literals(x=(0, int)), reads=reads, recorded=recorded)


def test_recorded_successes_are_not_run_again() -> None:
    reads = MemoryReads()
    reads.by_uri[outputs_uri("n0")] = ints(1)
    reads.by_uri[outputs_uri("n1")] = ints(2)
    recorded = [
        recorded_node("n0", SUCCEEDED, outputs_uri=outputs_uri("n0")),
        recorded_node("n1", pb.NODE_PHASE_RECOVERED, outputs_uri=outputs_uri("n1")),
    ]
    driver = chain(reads, recorded).start()
    assert [node_of(s) for s in driver.submits] == ["n2"]
    # The recorded outputs travel as bytes: there is no attempt in Ray to pass on.
    assert driver.submits[0].upstream == (ints(2).SerializeToString(deterministic=True),)
    assert driver.phases("n0") == driver.phases("n1") == []
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 3


def test_committed_but_unreported_outputs_are_adopted_with_their_records() -> None:
    reads = MemoryReads()
    records = [LineageRecord(node_id="n0", attempt=1, code_digest="code-of-inc")]
    uri = reads.commit("n0", ints(1), records)
    recorded = [recorded_node("n0", RUNNING, attempts=[(1, RUNNING)])]
    driver = chain(reads, recorded).start()
    (event,) = driver.node_events("n0")
    assert (event.phase, event.attempt, event.outputs_uri) == (SUCCEEDED, 1, uri)
    assert list(event.lineage) == records
    assert [node_of(s) for s in driver.submits] == ["n1", "n2"]
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 3


def test_an_interrupted_attempt_runs_again_without_costing_a_retry() -> None:
    recorded = [recorded_node("n0", RUNNING, attempts=[(1, RUNNING)])]
    driver = chain(MemoryReads(), recorded, retries=0).start()
    lost = driver.node_events("n0")[0]
    assert (lost.phase, lost.attempt, lost.error.type) == (RETRYING, 1, AGENT_LOST)
    (submit,) = [s for s in driver.submits if node_of(s) == "n0"]
    # A retry adopts what the lost attempt may have committed after all.
    assert submit.request.adopt_committed
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.phases("n0")[1:] == [(2, RUNNING), (2, SUCCEEDED)]


def test_only_real_failures_count_against_retries() -> None:
    """One real failure and one lost attempt on record, one retry allowed: the next failure
    is the last."""
    recorded = [
        recorded_node("n0", RUNNING, attempts=[(1, FAILED), (2, RUNNING)], error_type="ValueError"),
    ]
    driver = chain(MemoryReads(), recorded, retries=1).start()
    driver.fail("n0")
    assert driver.phases("n0") == [(2, RETRYING), (3, RUNNING), (3, FAILED)]
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED


def test_lost_attempts_on_record_cost_nothing() -> None:
    recorded = [
        recorded_node("n0", RUNNING, attempts=[(1, FAILED), (2, RUNNING)], error_type=AGENT_LOST),
    ]
    driver = chain(MemoryReads(), recorded, retries=1).start()
    driver.fail("n0")
    # Attempt 1 ended with its agent too: the one retry allowed is still unspent.
    assert driver.phases("n0") == [(2, RETRYING), (3, RUNNING), (3, RETRYING)]
