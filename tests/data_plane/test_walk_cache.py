"""The walk's cache conversation without Ray or a control plane: RUN / HIT / WAIT answers, a
hit whose objects are gone, guessed keys that come true or not, answers out of order across
questions, and a cache that fails."""

from __future__ import annotations

import grpc
from dp_support import collection, node, promise, static, workflow_input
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from walk_support import (
    Driver,
    MemoryCache,
    MemoryReads,
    Tasks,
    entry,
    graph,
    hit,
    literals,
    node_of,
    response,
    rpc_error,
    run_answer,
    wait_answer,
)

from graven.data_plane.cache_hits import output_hashes
from graven.data_plane.cache_keys import cache_key, key_components
from graven.data_plane.walk import CACHE_BACKOFF, AskAgain
from graven.data_plane.walk_actions import Remember, Timer
from graven.literals import to_literal
from graven.v1 import execution_pb2 as pb
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.task_pb2 import Task

SUCCEEDED, FAILED = pb.NODE_PHASE_SUCCEEDED, pb.NODE_PHASE_FAILED


def key_of(task: Task, **inputs: int) -> str:
    values = {name: to_literal(value, int) for name, value in inputs.items()}
    return cache_key(key_components(task, values))


def ints(value: int) -> LiteralMap:
    return LiteralMap(literals={"o0": to_literal(value, int)})


def cached_chain(length: int) -> tuple[Driver, Task]:
    """c0 (x) → c1 → … → a plain node ``n`` after the last: x + length + 1."""
    tasks = Tasks()
    inc = tasks.define("inc", {"x": int}, int, lambda x: x + 1, cache=True)
    plain = tasks.define("plain", {"x": int}, int, lambda x: x + 1)
    nodes = [node("c0", inc, x=workflow_input("x"))]
    nodes += [node(f"c{i}", inc, x=promise(f"c{i - 1}")) for i in range(1, length)]
    nodes.append(node("n", plain, x=promise(f"c{length - 1}")))
    wf = graph(nodes, [inc, plain], inputs={"x": int}, outputs={"o0": (promise("n"), int)})
    return Driver(wf, tasks, literals(x=(1, int))), inc


def questions(driver: Driver) -> list[list[str]]:
    return [[r.node_id for r in asked.requests] for asked in driver.asked]


def test_run_submits_and_populates() -> None:
    driver, inc = cached_chain(1)
    driver.start()
    assert questions(driver) == [["c0"]]
    assert driver.asked[0].requests[0].key == key_of(inc, x=1)
    assert driver.submits == []
    driver.answer(1, response(run_answer("c0")))
    driver.complete("c0")
    (event,) = [e for e in driver.node_events("c0") if e.phase == SUCCEEDED]
    assert event.cache_status == pb.CACHE_STATUS_POPULATED
    assert event.cache_key == key_of(inc, x=1)
    assert Remember(key_of(inc, x=1), output_hashes(ints(2))) in driver.log
    driver.complete("n")
    assert driver.outputs(int) == 3


def test_a_hit_succeeds_without_ray_and_feeds_downstream() -> None:
    driver, inc = cached_chain(1)
    driver.reads.keep(ints(2))
    driver.start()
    driver.answer(1, response(hit("c0", entry(key_of(inc, x=1), ints(2)))))
    assert [node_of(s) for s in driver.submits] == ["n"]
    # A hit has no attempt in Ray: the downstream attempt takes its outputs' bytes.
    assert driver.submits[0].upstream == (ints(2).SerializeToString(deterministic=True),)
    (event,) = driver.node_events("c0")
    assert (event.phase, event.cache_status) == (SUCCEEDED, pb.CACHE_STATUS_HIT)
    assert event.source_execution_id.name == "earlier"
    (record,) = driver.records
    assert record.producer is not None
    assert record.producer.cache_source.node_id == "elsewhere"
    driver.complete("n")
    assert driver.outputs(int) == 3


def test_a_hit_whose_objects_are_gone_is_asked_again_as_an_overwrite() -> None:
    driver, inc = cached_chain(1)
    driver.reads.lost.add(key_of(inc, x=1))
    driver.start()
    driver.answer(1, response(hit("c0", entry(key_of(inc, x=1), ints(2)))))
    assert questions(driver) == [["c0"], ["c0"]]
    assert driver.asked[1].overwrite
    assert driver.submits == []
    driver.answer(2, response(run_answer("c0")))
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 3


def test_wait_asks_again_after_a_backoff() -> None:
    driver, inc = cached_chain(1)
    driver.reads.keep(ints(2))
    driver.start()
    start = driver.clock()
    driver.answer(1, response(wait_answer("c0")))
    timer = driver.log[-1]
    assert isinstance(timer, Timer)
    assert timer.payload == AskAgain(("c0",), False)
    assert timer.at == start + CACHE_BACKOFF.delay(1)
    driver.fire()
    driver.answer(2, response(wait_answer("c0")))
    second = driver.log[-1]
    assert isinstance(second, Timer)
    assert second.at == driver.clock() + CACHE_BACKOFF.delay(2)
    driver.fire()
    driver.answer(3, response(hit("c0", entry(key_of(inc, x=1), ints(2)))))
    assert driver.phase("c0") == SUCCEEDED
    assert questions(driver) == [["c0"]] * 3


def test_a_foreseen_hit_asks_the_chain_below_in_one_question() -> None:
    driver, inc = cached_chain(3)
    for value in (2, 3, 4):
        driver.reads.keep(ints(value))
    driver.reads.foresight = {key_of(inc, x=1): ints(2), key_of(inc, x=2): ints(3)}
    driver.start()
    assert questions(driver) == [["c0", "c1", "c2"]]
    assert [r.key for r in driver.asked[0].requests] == [key_of(inc, x=v) for v in (1, 2, 3)]
    driver.answer(
        1,
        response(*(hit(f"c{i}", entry(key_of(inc, x=i + 1), ints(i + 2))) for i in range(3))),
    )
    assert [node_of(s) for s in driver.submits] == ["n"]
    assert all(driver.phase(f"c{i}") == SUCCEEDED for i in range(3))
    driver.complete("n")
    assert driver.outputs(int) == 5


def test_a_guess_that_does_not_come_true_is_asked_again_with_the_real_key() -> None:
    driver, inc = cached_chain(2)
    driver.reads.keep(ints(2))
    # The agent remembers c0's key giving 50, but the entry now gives 2.
    driver.reads.foresight = {key_of(inc, x=1): ints(50)}
    driver.start()
    assert [r.key for r in driver.asked[0].requests] == [key_of(inc, x=1), key_of(inc, x=50)]
    driver.answer(
        1,
        response(
            hit("c0", entry(key_of(inc, x=1), ints(2))),
            run_answer("c1"),
        ),
    )
    # c1's RUN was for a key it does not have: it is asked about again, not run.
    assert driver.submits == []
    assert questions(driver)[1] == ["c1"]
    assert driver.asked[1].requests[0].key == key_of(inc, x=2)
    driver.answer(2, response(run_answer("c1")))
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(int) == 4
    assert driver.node_events("c1")[-1].cache_key == key_of(inc, x=2)


def test_answers_out_of_order_across_questions() -> None:
    """a and b are asked together; b must wait. a runs; the question about c (below a) and
    the second one about b are out at once, and are answered in reverse order."""
    tasks = Tasks()
    inc = tasks.define("inc", {"x": int}, int, lambda x: x + 1, cache=True)
    nodes = [
        node("a", inc, x=static(1, int)),
        node("b", inc, x=static(10, int)),
        node("c", inc, x=promise("a")),
    ]
    outputs = {"b": (promise("b"), int), "c": (promise("c"), int)}
    driver = Driver(graph(nodes, [inc], outputs=outputs), tasks)
    driver.reads.keep(ints(11))
    driver.start()
    driver.answer(1, response(run_answer("a"), wait_answer("b")))
    driver.complete("a")
    assert questions(driver) == [["a", "b"], ["c"]]
    driver.fire()
    assert questions(driver) == [["a", "b"], ["c"], ["b"]]
    driver.answer(3, response(hit("b", entry(key_of(inc, x=10), ints(11)))))
    assert driver.finish is None
    driver.answer(2, response(run_answer("c")))
    driver.complete("c")
    assert driver.finish is not None
    assert (driver.outputs(int, "b"), driver.outputs(int, "c")) == (11, 3)
    assert [node_of(s) for s in driver.submits] == ["a", "c"]


def test_a_transient_cache_error_asks_again_later() -> None:
    driver, _ = cached_chain(1)
    driver.start()
    driver.answer(1, rpc_error(grpc.StatusCode.UNAVAILABLE, "down"))
    timer = driver.log[-1]
    assert isinstance(timer, Timer)
    assert timer.payload == AskAgain(("c0",), False)
    driver.fire()
    assert questions(driver) == [["c0"], ["c0"]]
    driver.answer(2, response(run_answer("c0")))
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED


def test_a_cache_that_refuses_fails_the_node() -> None:
    driver, _ = cached_chain(1)
    driver.start()
    driver.answer(1, rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "bad key"))
    (event,) = driver.node_events("c0")
    assert event.phase == FAILED
    assert event.error.type == "CacheError"
    assert "bad key" in event.error.message
    assert driver.phase("n") == pb.NODE_PHASE_SKIPPED
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED


def test_an_answer_that_names_no_decision_for_a_node_fails_it() -> None:
    driver, _ = cached_chain(1)
    driver.start()
    driver.answer(1, response())
    assert driver.node_events("c0")[-1].error.type == "CacheError"


# --- every order, guesses right and wrong -------------------------------------------------


def cached_dag(upstream: list[list[int]], reads: MemoryReads) -> Driver:
    tasks = Tasks()
    add = tasks.define(
        "add", {"xs": list[int], "i": int}, int, lambda xs, i: sum(xs) + i, cache=True
    )
    nodes = [
        node(f"n{i}", add, xs=collection(*(promise(f"n{u}") for u in ups)), i=static(i, int))
        for i, ups in enumerate(upstream)
    ]
    outputs = {f"o{i}": (promise(f"n{i}"), int) for i in range(len(upstream))}
    wf = graph(nodes, [add], outputs=outputs)
    return Driver(wf, tasks, reads=reads, cache=MemoryCache(reads))


@st.composite
def dags(draw: st.DrawFn) -> list[list[int]]:
    size = draw(st.integers(1, 6))
    return [
        draw(st.lists(st.integers(0, i - 1), unique=True, max_size=2)) if i else []
        for i in range(size)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(), st.data())
def test_any_answer_order_with_any_guesses_gives_the_first_runs_outputs(
    upstream: list[list[int]], data: st.DataObject
) -> None:
    reads = MemoryReads()
    first = cached_dag(upstream, reads)
    assert isinstance(first.cache, MemoryCache)
    assert first.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    expected = [first.outputs(int, f"o{i}") for i in range(len(upstream))]
    keys = {
        e.node.id.node_id: e.node.cache_key
        for e in first.events
        if e.HasField("node") and e.node.phase == SUCCEEDED
    }
    first.cache.populate(first)
    # The second run: some entries evicted, and the agent foreseeing some keys rightly,
    # some wrongly (a value no entry holds).
    kept = data.draw(st.sets(st.sampled_from(sorted(keys))), "kept")
    second = cached_dag(upstream, reads)
    assert isinstance(second.cache, MemoryCache)
    second.cache.entries = {keys[n]: first.cache.entries[keys[n]] for n in kept}
    for node_id, key in keys.items():
        guess = data.draw(st.sampled_from(["none", "right", "wrong"]), f"guess {node_id}")
        value = expected[int(node_id[1:])]
        assert isinstance(value, int)
        if guess != "none":
            foreseen = ints(value if guess == "right" else value + 1000)
            second.reads.keep(foreseen)
            second.reads.foresight[key] = foreseen
    finish = second.run(lambda n: data.draw(st.integers(0, n - 1)))
    assert finish.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert [second.outputs(int, f"o{i}") for i in range(len(upstream))] == expected
    # Exactly the evicted nodes ran, once each, with the key the first run had.
    assert sorted(node_of(s) for s in second.submits) == sorted(set(keys) - kept)
    for node_id, key in keys.items():
        assert second.node_events(node_id)[-1].cache_key == key
        assert second.phase(node_id) == SUCCEEDED
