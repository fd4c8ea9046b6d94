"""AgentService.ReserveCache over a real gRPC server: HIT, RUN and WAIT, reservations given
back when nodes or executions settle or die, and concurrent reservers of one key."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from execution_support import WAIT, node_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lineage_support import NODE_TASKS, LineageHarness, Run, lineage_plane

from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier

HIT = ag.CACHE_DECISION_HIT
RUN = ag.CACHE_DECISION_RUN
WAITS = ag.CACHE_DECISION_WAIT
LEASE = 2.0


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[LineageHarness]:
    with lineage_plane(tmp_path, database_url) as harness:
        yield harness


def fresh_key() -> str:
    return sha256_hex(uuid.uuid4().bytes)


def started(cp: LineageHarness, count: int, x: int = 1) -> list[Run]:
    """``count`` running executions of the test workflow, each held by its own agent."""
    workflow = cp.register()
    return [cp.start(cp.create(workflow.id, x=int_literal(x))) for _ in range(count)]


def decisions(answers: list[ag.CacheAnswer]) -> list[int]:
    return [answer.decision for answer in answers]


def test_a_key_runs_once_and_is_then_a_hit(cp: LineageHarness) -> None:
    first, second = started(cp, 2)
    assert decisions(first.reserve("inc1")) == [RUN]
    # Asking again (a resumed agent) keeps the reservation; another execution waits.
    assert decisions(first.reserve("inc1")) == [RUN]
    assert decisions(second.reserve("inc1")) == [WAITS]

    first.succeed("inc1", cached=True)
    (answer,) = second.reserve("inc1")
    assert answer.decision == HIT
    entry = answer.entry
    assert entry.key == first.records["inc1"][0].cache_key
    assert dict(entry.outputs) == {"o": first.output_hash("inc1")}
    assert list(entry.artifact_hashes) == [first.output_hash("inc1")]
    assert entry.source == first.node("inc1")
    assert entry.task_id.name == "inc"
    assert entry.task_id.version == "v1"
    assert entry.components == first.components("inc1")
    # Overwriting never hits: it reserves.
    assert decisions(second.reserve("inc1", overwrite=True)) == [RUN]


def test_a_settled_node_gives_its_key_back(cp: LineageHarness) -> None:
    first, second = started(cp, 2)
    assert decisions(first.reserve("inc1")) == [RUN]
    failure = pb.ExecutionError(kind=pb.ERROR_KIND_USER, message="boom")
    first.agent.report(node_event(first.id, "inc1", pb.NODE_PHASE_RETRYING, error=failure))
    assert decisions(second.reserve("inc1")) == [WAITS]
    first.agent.report(node_event(first.id, "inc1", pb.NODE_PHASE_FAILED, attempt=2))
    assert decisions(second.reserve("inc1")) == [RUN]


def test_a_settled_execution_gives_every_key_back(cp: LineageHarness) -> None:
    first, second = started(cp, 2)
    keys = [("inc1", fresh_key()), ("inc2", fresh_key())]
    assert decisions(first.ask(keys)) == [RUN, RUN]
    assert decisions(second.ask(keys)) == [WAITS, WAITS]
    first.finish(pb.EXECUTION_PHASE_TERMINATED)
    assert decisions(second.ask(keys)) == [RUN, RUN]


def test_two_nodes_of_one_execution_with_one_key_run_it_once(cp: LineageHarness) -> None:
    (run,) = started(cp, 1)
    key = fresh_key()
    assert decisions(run.ask([("inc1", key), ("inc2", key)])) == [RUN, WAITS]
    assert decisions(run.ask([("inc2", key)])) == [WAITS]


def test_the_key_of_an_execution_whose_lease_ran_out_is_taken_over(
    tmp_path: Path, database_url: str
) -> None:
    with lineage_plane(tmp_path, database_url, lease_seconds=LEASE) as cp:
        dead, heir = started(cp, 2)
        claimed_until = datetime.now(UTC).timestamp() + LEASE
        key = fresh_key()
        assert decisions(dead.ask([("inc1", key)])) == [RUN]
        assert decisions(heir.ask([("inc1", key)])) == [WAITS]
        # The first agent goes silent; the heir keeps its own lease.
        deadline = time.monotonic() + WAIT
        while datetime.now(UTC).timestamp() <= claimed_until + 0.1:
            assert time.monotonic() < deadline
            heir.agent.heartbeat(heir.id)
            time.sleep(0.05)
        assert decisions(heir.ask([("inc1", key)])) == [RUN]
        # Taken over for good: the dead execution no longer holds it.
        heir.agent.heartbeat(heir.id)
        assert decisions(heir.ask([("inc1", key)])) == [RUN]


def test_concurrent_reservers_of_one_key_run_it_exactly_once(cp: LineageHarness) -> None:
    runs = started(cp, 6)
    barrier = threading.Barrier(len(runs))
    for _ in range(4):
        key = fresh_key()

        def ask(run: Run, key: str = key) -> int:
            barrier.wait(timeout=WAIT)
            (answer,) = run.ask([("inc1", key)])
            return answer.decision

        with ThreadPoolExecutor(len(runs)) as pool:
            answers = list(pool.map(ask, runs))
        assert sorted(answers) == [RUN] + [WAITS] * (len(runs) - 1)


node_keys = st.lists(
    st.tuples(st.sampled_from(sorted(NODE_TASKS)), st.integers(0, 3)), min_size=1, max_size=8
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first_asks=node_keys, second_asks=node_keys)
def test_every_key_has_one_holder_whatever_is_asked(
    cp: LineageHarness,
    first_asks: list[tuple[str, int]],
    second_asks: list[tuple[str, int]],
) -> None:
    first, second = started(cp, 2)
    pool = [fresh_key() for _ in range(4)]
    holders: dict[str, tuple[str, str]] = {}
    for run, asks in ((first, first_asks), (second, second_asks)):
        keys = [(node_id, pool[i]) for node_id, i in asks]
        for (node_id, key), decision in zip(keys, decisions(run.ask(keys)), strict=True):
            holder = holders.setdefault(key, (run.id.name, node_id))
            assert decision == (RUN if holder == (run.id.name, node_id) else WAITS)
    # Asking again changes nothing.
    for run, asks in ((first, first_asks), (second, second_asks)):
        keys = [(node_id, pool[i]) for node_id, i in asks]
        again = decisions(run.ask(keys))
        assert again == [
            RUN if holders[key] == (run.id.name, node_id) else WAITS for node_id, key in keys
        ]
    first.finish()
    second.finish()


def test_bad_reserve_requests_get_the_right_status(cp: LineageHarness) -> None:
    (run,) = started(cp, 1)

    def rejected(request: ag.ReserveCacheRequest, code: grpc.StatusCode, named: str) -> None:
        with pytest.raises(grpc.RpcError) as caught:
            cp.agents.ReserveCache(request)
        assert caught.value.code() == code
        assert named in (caught.value.details() or "")

    def request(**fields: object) -> ag.ReserveCacheRequest:
        base: dict[str, object] = {
            "agent_id": run.agent.agent_id,
            "execution_id": run.id,
            "requests": [ag.CacheRequest(node_id="inc1", key=fresh_key())],
        }
        return ag.ReserveCacheRequest(**{**base, **fields})  # type: ignore[arg-type]

    invalid = grpc.StatusCode.INVALID_ARGUMENT
    bad_key = [ag.CacheRequest(node_id="inc1", key="k")]
    rejected(request(requests=bad_key), invalid, "requests[0].key")
    unknown_node = [ag.CacheRequest(node_id="nope", key=fresh_key())]
    rejected(request(requests=unknown_node), invalid, "requests[0].node_id")
    rejected(request(agent_id=""), invalid, "agent_id")
    rejected(request(execution_id=ExecutionIdentifier()), invalid, "execution_id")
    missing = ExecutionIdentifier(project=run.id.project, domain=run.id.domain, name="missing")
    rejected(request(execution_id=missing), grpc.StatusCode.NOT_FOUND, "missing")
    rejected(request(agent_id="stranger"), grpc.StatusCode.FAILED_PRECONDITION, "stranger")
    run.finish()
    rejected(request(), grpc.StatusCode.FAILED_PRECONDITION, run.agent.agent_id)
    # The server keeps serving.
    (other,) = started(cp, 1)
    assert decisions(other.ask([("inc1", fresh_key())])) == [RUN]
