"""The walk's scheduling rules without Ray: pipelining, retries, timeouts, terminate, lease
loss and the failure policies (the state machine driven by ``walk_support.Driver``)."""

from __future__ import annotations

import pytest
from dp_support import collection, node, promise, static, workflow_input
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from walk_support import Driver, Tasks, graph, literals, node_of

from graven.data_plane.outcomes import UpstreamFailed
from graven.data_plane.walk import Deadline, Retry
from graven.data_plane.walk_actions import Cancel, Finish, Submit, Timer
from graven.data_plane.walk_nodes import Backoff
from graven.v1 import execution_pb2 as pb
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    FAILURE_POLICY_UNSPECIFIED,
    FailurePolicy,
)

RUNNING, SUCCEEDED = pb.NODE_PHASE_RUNNING, pb.NODE_PHASE_SUCCEEDED
RETRYING, FAILED = pb.NODE_PHASE_RETRYING, pb.NODE_PHASE_FAILED
SKIPPED, TERMINATED = pb.NODE_PHASE_SKIPPED, pb.NODE_PHASE_TERMINATED
TIMED_OUT = pb.NODE_PHASE_TIMED_OUT


def chain(length: int, tasks: Tasks, *, retries: int = 0, timeout: float | None = None) -> Driver:
    inc = tasks.define("inc", {"x": int}, int, lambda x: x + 1, retries=retries, timeout=timeout)
    nodes = [node("n0", inc, x=workflow_input("x"))]
    nodes += [node(f"n{i}", inc, x=promise(f"n{i - 1}")) for i in range(1, length)]
    wf = graph(nodes, [inc], inputs={"x": int}, outputs={"o0": (promise(f"n{length - 1}"), int)})
    return Driver(wf, tasks, literals(x=(0, int)), backoff=Backoff(base=1.0, cap=4.0))


def attempt_of(submit: Submit) -> int:
    return LineageRecord.FromString(submit.request.producer).attempt


# --- pipelining ---------------------------------------------------------------------------


def test_a_chain_is_submitted_at_once_behind_in_flight_upstream_tokens() -> None:
    driver = chain(3, Tasks()).start()
    submits = [a for a in driver.log if isinstance(a, Submit)]
    assert [node_of(s) for s in submits] == ["n0", "n1", "n2"]
    assert [s.upstream for s in submits] == [(), (submits[0].token,), (submits[1].token,)]
    # Only the head is seen to run: the others wait for their upstream's success.
    assert driver.phases("n0") == [(1, RUNNING)]
    assert driver.phases("n1") == driver.phases("n2") == []
    driver.complete("n0")
    assert driver.phases("n1") == [(1, RUNNING)]
    assert driver.phases("n2") == []


def test_a_completion_before_its_upstreams_is_deferred_then_taken_up() -> None:
    driver = chain(3, Tasks()).start()
    tokens = {node_of(s): s.token for s in driver.submits}
    for node_id in ("n0", "n1", "n2"):
        driver.execute(tokens[node_id])
    assert driver.deliver(tokens["n2"]) == []
    assert driver.deliver(tokens["n1"]) == []
    actions = driver.deliver(tokens["n0"])
    order = [(e.node.id.node_id, e.node.phase) for e in driver.events if e.HasField("node")]
    assert order == [
        ("n0", RUNNING),
        ("n0", SUCCEEDED),
        ("n1", RUNNING),
        ("n1", SUCCEEDED),
        ("n2", RUNNING),
        ("n2", SUCCEEDED),
    ]
    assert isinstance(actions[-1], Finish)
    assert actions[-1].phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 3


@st.composite
def dags(draw: st.DrawFn) -> list[list[int]]:
    """Node i sums the outputs of some earlier nodes (its upstream) and adds i."""
    size = draw(st.integers(1, 7))
    return [
        draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        for i in range(size)
    ]


def dag_driver(upstream: list[list[int]]) -> tuple[Driver, dict[str, int]]:
    tasks = Tasks()
    add = tasks.define("add", {"xs": list[int], "i": int}, int, lambda xs, i: sum(xs) + i)
    nodes = [
        node(f"n{i}", add, xs=collection(*(promise(f"n{u}") for u in ups)), i=static(i, int))
        for i, ups in enumerate(upstream)
    ]
    values: dict[str, int] = {}
    for i, ups in enumerate(upstream):
        values[f"n{i}"] = sum(values[f"n{u}"] for u in ups) + i
    outputs = {f"o{i}": (promise(f"n{i}"), int) for i in range(len(upstream))}
    return Driver(graph(nodes, [add], outputs=outputs), tasks), values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(), st.data())
def test_any_order_of_completions_gives_the_same_phases_and_outputs(
    upstream: list[list[int]], data: st.DataObject
) -> None:
    driver, values = dag_driver(upstream)
    finish = driver.run(lambda n: data.draw(st.integers(0, n - 1)))
    assert finish.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert [driver.outputs(int, f"o{i}") for i in range(len(values))] == list(values.values())
    seen: set[str] = set()
    for event in driver.events:
        if not event.HasField("node"):
            continue
        node_id, phase = event.node.id.node_id, event.node.phase
        if phase == RUNNING:
            # RUNNING only once every upstream node was seen to succeed.
            assert {f"n{u}" for u in upstream[int(node_id[1:])]} <= seen
        else:
            assert phase == SUCCEEDED
            seen.add(node_id)
    assert all(driver.phases(f"n{i}") == [(1, RUNNING), (1, SUCCEEDED)] for i in range(len(values)))
    # Every attempt ran once: pipelining never submits twice.
    assert len(driver.submits) == len(values)


# --- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "cap", "failures", "delay"),
    [(0.5, 30.0, 1, 0.5), (0.5, 30.0, 2, 1.0), (0.5, 30.0, 4, 4.0), (1.0, 5.0, 4, 5.0)],
)
def test_backoff_doubles_up_to_its_cap(
    base: float, cap: float, failures: int, delay: float
) -> None:
    assert Backoff(base, cap).delay(failures) == delay


def test_retries_wait_the_backoff_and_count_attempts() -> None:
    tasks = Tasks()

    def flaky(x: int, attempt: int) -> int:
        if attempt < 3:
            raise ValueError(f"attempt {attempt}")
        return x

    step = tasks.define("flaky", {"x": int}, int, flaky, retries=2)
    wf = graph(
        [node("n0", step, x=workflow_input("x"))],
        [step],
        inputs={"x": int},
        outputs={"o0": (promise("n0"), int)},
    )
    driver = Driver(wf, tasks, literals(x=(7, int)), backoff=Backoff(base=1.0, cap=10.0))
    start = driver.clock()
    finish = driver.run()
    assert finish.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 7
    assert driver.phases("n0") == [
        (1, RUNNING),
        (1, RETRYING),
        (2, RUNNING),
        (2, RETRYING),
        (3, RUNNING),
        (3, SUCCEEDED),
    ]
    retries = [a for a in driver.log if isinstance(a, Timer) and isinstance(a.payload, Retry)]
    assert [(t.payload, t.at - start) for t in retries] == [
        (Retry("n0", 1), 1.0),
        (Retry("n0", 2), 1.0 + 2.0),
    ]
    assert [attempt_of(s) for s in driver.submits] == [1, 2, 3]
    assert driver.node_events("n0")[1].error.message == "attempt 1"


def test_a_node_out_of_retries_fails_the_workflow_with_its_error() -> None:
    driver = chain(2, Tasks(), retries=1)
    driver.start()
    driver.fail("n0", "first")
    driver.fire()
    driver.fail("n0", "second")
    assert driver.phases("n0") == [(1, RUNNING), (1, RETRYING), (2, RUNNING), (2, FAILED)]
    assert driver.phase("n1") == SKIPPED
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED
    assert driver.finish.error is not None
    assert (driver.finish.error.node_id, driver.finish.error.message) == ("n0", "second")


def test_a_failed_upstream_attempt_withdraws_the_submissions_behind_it() -> None:
    driver = chain(3, Tasks(), retries=1).start()
    stale = {node_of(s): s.token for s in driver.submits}
    driver.fail("n0")
    # Nothing new is submitted until the retry: n1 and n2 wait for it.
    assert len(driver.submits) == 3
    assert driver.phases("n1") == driver.phases("n2") == []
    # The withdrawn attempts' workers return without running; the walk ignores them.
    for node_id in ("n1", "n2"):
        assert isinstance(driver.execute(stale[node_id]), UpstreamFailed)
        assert driver.deliver(stale[node_id]) == []
    driver.fire()
    again = driver.submits[3:]
    assert [node_of(s) for s in again] == ["n0", "n1", "n2"]
    assert [attempt_of(s) for s in again] == [2, 1, 1]
    assert again[1].upstream == (again[0].token,)
    assert again[2].upstream == (again[1].token,)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.phases("n2") == [(1, RUNNING), (1, SUCCEEDED)]


# --- timeouts -----------------------------------------------------------------------------


def test_a_timeout_counts_from_the_workers_real_start() -> None:
    driver = chain(1, Tasks(), timeout=5.0).start()
    (submit,) = driver.submits
    assert submit.request.started_key
    deadlines = [a for a in driver.log if isinstance(a, Timer)]
    assert [(t.at, t.payload) for t in deadlines] == [(driver.clock() + 5.0, Deadline("n0", 1))]
    driver.fire()
    # Not started yet (waiting for resources): look again soon, nothing is cancelled.
    poll = driver.log[-1]
    assert isinstance(poll, Timer)
    assert poll.at == driver.clock() + 0.5
    driver.reads.started[("n0", 1)] = driver.clock() + 0.2
    driver.fire()
    later = driver.log[-1]
    assert isinstance(later, Timer)
    assert later.at == driver.reads.started[("n0", 1)] + 5.0
    assert not driver.cancelled
    actions = driver.fire()
    assert Cancel(submit.token) in actions
    assert driver.phases("n0") == [(1, RUNNING), (1, TIMED_OUT)]
    assert driver.node_events("n0")[-1].error.kind == pb.ERROR_KIND_TIMEOUT
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_TIMED_OUT


def test_a_timed_out_attempt_with_retries_left_runs_again() -> None:
    driver = chain(1, Tasks(), timeout=5.0, retries=1).start()
    driver.reads.started[("n0", 1)] = driver.clock()
    driver.fire()
    assert driver.phases("n0") == [(1, RUNNING), (1, RETRYING)]
    driver.fire()
    assert [attempt_of(s) for s in driver.submits] == [1, 2]
    # The cancelled attempt's late word changes nothing.
    assert driver.deliver(driver.submits[0].token) == []
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED


def test_an_attempt_that_finishes_in_time_is_not_timed_out() -> None:
    driver = chain(1, Tasks(), timeout=5.0).start()
    driver.complete("n0")
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert not driver.cancelled


# --- terminate and lease loss -------------------------------------------------------------


def test_terminate_cancels_what_is_in_flight() -> None:
    driver = chain(3, Tasks()).start()
    tokens = [s.token for s in driver.submits]
    actions = driver.terminate()
    assert [a.token for a in actions if isinstance(a, Cancel)] == tokens
    assert driver.phases("n0") == [(1, RUNNING), (1, TERMINATED)]
    # n1 and n2 were never seen to run: there is nothing of theirs to end.
    assert driver.phases("n1") == driver.phases("n2") == []
    assert driver.finish == Finish(pb.EXECUTION_PHASE_TERMINATED)
    assert driver.execution_phases() == [pb.EXECUTION_PHASE_RUNNING]


def test_terminate_ends_a_node_waiting_for_its_retry() -> None:
    driver = chain(1, Tasks(), retries=3).start()
    driver.fail("n0")
    driver.terminate()
    assert driver.phases("n0") == [(1, RUNNING), (1, RETRYING), (1, TERMINATED)]
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_TERMINATED
    # The retry's timer falls due after the end: no attempt follows.
    assert driver.walk.timer(Retry("n0", 1)) == []


def test_a_lost_lease_cancels_and_reports_nothing() -> None:
    driver = chain(2, Tasks()).start()
    before = len(driver.events)
    actions = driver.lease_lost()
    assert {a.token for a in actions if isinstance(a, Cancel)} == {s.token for s in driver.submits}
    assert len(driver.events) == before
    assert driver.finish == Finish(pb.EXECUTION_PHASE_UNSPECIFIED)


# --- failure policies ---------------------------------------------------------------------


def two_lanes(policy: FailurePolicy) -> Driver:
    """n0 → n3, and an independent lane n1 → n2."""
    tasks = Tasks()
    inc = tasks.define("inc", {"x": int}, int, lambda x: x + 1)
    nodes = [
        node("n0", inc, x=static(0, int)),
        node("n1", inc, x=static(10, int)),
        node("n2", inc, x=promise("n1")),
        node("n3", inc, x=promise("n0")),
    ]
    return Driver(graph(nodes, [inc], failure_policy=policy), tasks)


def test_by_default_a_failure_stops_everything_at_once() -> None:
    driver = two_lanes(FAILURE_POLICY_UNSPECIFIED).start()
    driver.fail("n0")
    assert driver.phase("n0") == FAILED
    assert driver.phase("n3") == SKIPPED
    assert driver.phases("n1") == [(1, RUNNING), (1, TERMINATED)]
    cancelled = {node_of(s) for s in driver.submits if s.token in driver.cancelled}
    # n3 was submitted behind n0's attempt: withdrawn, not cancelled (its worker returns).
    assert cancelled == {"n1", "n2"}
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED
    assert driver.finish.error is not None
    assert driver.finish.error.node_id == "n0"


def test_fail_after_executable_nodes_complete_runs_the_independent_lane() -> None:
    driver = two_lanes(FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE).start()
    driver.fail("n0")
    assert driver.phase("n3") == SKIPPED
    assert driver.finish is None
    driver.complete("n1")
    driver.complete("n2")
    assert driver.phase("n2") == SUCCEEDED
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED
    assert driver.finish.error is not None
    assert driver.finish.error.node_id == "n0"
    assert not driver.cancelled
