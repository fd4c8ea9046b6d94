"""Map nodes in the walk, without Ray: elements under nested ids on zipped literal inputs, the
concurrency limit under every ordering, min_success_ratio, lists that do not zip, empty
lists, elements resumed from records, and cached elements asked about together."""

from __future__ import annotations

from dp_support import node, promise, static, workflow_input
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from walk_support import (
    Driver,
    MemoryReads,
    Tasks,
    entry,
    graph,
    hit,
    literals,
    map_node,
    node_of,
    outputs_uri,
    recorded_node,
    response,
    run_answer,
)

from graven.data_plane.cache_keys import cache_key, key_components
from graven.data_plane.walk_actions import Cancel
from graven.literals import to_literal, to_python
from graven.v1 import execution_pb2 as pb
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.workflow_pb2 import Node

SUCCEEDED, FAILED, RUNNING = pb.NODE_PHASE_SUCCEEDED, pb.NODE_PHASE_FAILED, pb.NODE_PHASE_RUNNING
TERMINATED = pb.NODE_PHASE_TERMINATED


def numbers_then_map(
    count: int,
    *,
    concurrency: int = 0,
    ratio: float | None = None,
    fails: frozenset[int] = frozenset(),
    flaky: frozenset[int] = frozenset(),
    cache: bool = False,
    reads: MemoryReads | None = None,
    recorded: list[pb.NodeExecution] | None = None,
) -> Driver:
    """n0 makes [0, count); n1 maps square over it (elements in ``fails`` always raise, in
    ``flaky`` on their first attempt); the workflow returns n1's list."""
    tasks = Tasks()
    numbers = tasks.define("numbers", {"n": int}, list[int], lambda n: list(range(n)))

    def square(x: int, attempt: int) -> int:
        if x in fails or (x in flaky and attempt == 1):
            raise ValueError(f"element {x} failed")
        return x * x

    out = list[int | None] if ratio is not None and ratio < 1 else list[int]
    step = tasks.define("square", {"x": int}, int, square, retries=1 if flaky else 0, cache=cache)
    nodes = [
        node("n0", numbers, n=workflow_input("n")),
        map_node(
            "n1", step, ["x"], concurrency=concurrency, min_success_ratio=ratio, x=promise("n0")
        ),
    ]
    wf = graph(nodes, [numbers, step], inputs={"n": int}, outputs={"o0": (promise("n1"), out)})
    return Driver(wf, tasks, literals(n=(count, int)), reads=reads, recorded=recorded or [])


def elements(driver: Driver) -> list[str]:
    return [node_of(s) for s in driver.submits if node_of(s).startswith("n1/")]


def test_elements_run_on_zipped_literal_inputs_under_nested_ids() -> None:
    tasks = Tasks()
    pair = tasks.define(
        "pair", {"x": int, "y": str, "sep": str}, str, lambda x, y, sep: f"{x}{sep}{y}"
    )
    nodes = [
        map_node(
            "n0",
            pair,
            ["x", "y"],
            x=workflow_input("xs"),
            y=workflow_input("ys"),
            sep=static("-", str),
        )
    ]
    wf = graph(
        nodes,
        [pair],
        inputs={"xs": list[int], "ys": list[str]},
        outputs={"o0": (promise("n0"), list[str])},
    )
    driver = Driver(wf, tasks, literals(xs=([1, 2, 3], list[int]), ys=(["a", "b", "c"], list[str])))
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(list[str]) == ["1-a", "2-b", "3-c"]
    assert [node_of(s) for s in driver.submits] == ["n0/0", "n0/1", "n0/2"]
    for index, submit in enumerate(driver.submits):
        bindings = {b.name: b.binding for b in Node.FromString(submit.request.bindings).inputs}
        assert all(b.WhichOneof("value") == "literal" for b in bindings.values())
        assert bindings["x"].literal == to_literal(index + 1, int)
        assert bindings["sep"].literal == to_literal("-", str)
        assert submit.upstream == ()
    for index in range(3):
        events = driver.node_events(f"n0/{index}")
        assert [e.phase for e in events] == [RUNNING, SUCCEEDED]
        assert {e.parent_node_id for e in events} == {"n0"}
    # The map node has a node execution of its own, its lists recorded as its outputs.
    assert [e.phase for e in driver.node_events("n0")] == [RUNNING, SUCCEEDED]
    (record,) = [r for r in driver.records if r.node_id == "n0"]
    assert to_python(record.outputs.literals["o0"], list[str]) == ["1-a", "2-b", "3-c"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 9),
    st.integers(1, 4),
    st.frozensets(st.integers(0, 9)),
    st.data(),
)
def test_at_most_concurrency_elements_are_in_flight_in_any_order(
    count: int, concurrency: int, flaky: frozenset[int], data: st.DataObject
) -> None:
    driver = numbers_then_map(count, concurrency=concurrency, flaky=flaky)
    finish = driver.run(lambda n: data.draw(st.integers(0, n - 1)))
    assert finish.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(list[int]) == [x * x for x in range(count)]
    assert driver.peak.get("n1", 0) == min(concurrency, count)
    retried = {f"n1/{x}" for x in flaky if x < count}
    assert sorted(elements(driver)) == sorted([f"n1/{x}" for x in range(count)] + list(retried))


def test_min_success_ratio_lets_a_few_elements_fail() -> None:
    fails = frozenset(range(7, 1000, 200))
    driver = numbers_then_map(1000, concurrency=2, ratio=0.99, fails=fails)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.peak["n1"] == 2
    values = driver.outputs(list[int | None])
    assert values == [None if x in fails else x * x for x in range(1000)]
    failed = [f"n1/{x}" for x in sorted(fails)]
    for element in failed:
        (event,) = [e for e in driver.node_events(element) if e.phase == FAILED]
        assert event.error.traceback == "tb"
        assert event.error.message == f"element {element[3:]} failed"
    assert driver.phase("n1") == SUCCEEDED


def test_min_success_ratio_one_fails_the_map() -> None:
    fails = frozenset(range(7, 1000, 200))
    driver = numbers_then_map(1000, concurrency=2, ratio=1.0, fails=fails)
    finish = driver.run()
    assert finish.phase == pb.EXECUTION_PHASE_FAILED
    # The first failure leaves the ratio out of reach: no element after it starts, and the
    # one running beside it (concurrency 2) is stopped.
    started = elements(driver)
    assert "n1/7" in started
    assert len(started) <= 9
    assert driver.phase("n1/7") == FAILED
    assert all(driver.phase(e) in (SUCCEEDED, FAILED, TERMINATED) for e in started)
    error = driver.node_events("n1")[-1].error
    assert driver.phase("n1") == FAILED
    assert "1 of 1000 elements failed" in error.message
    assert "first: element n1/7" in error.message
    assert finish.error is not None
    assert finish.error.node_id == "n1"


def test_without_a_ratio_one_failed_element_fails_the_map() -> None:
    driver = numbers_then_map(4, fails=frozenset({2}))
    assert driver.run().phase == pb.EXECUTION_PHASE_FAILED
    assert driver.phase("n1/2") == FAILED
    assert driver.phase("n1") == FAILED


def test_lists_of_different_lengths_fail_the_map() -> None:
    tasks = Tasks()
    pair = tasks.define("pair", {"x": int, "y": str}, str, lambda x, y: f"{x}{y}")
    nodes = [map_node("n0", pair, ["x", "y"], x=workflow_input("xs"), y=workflow_input("ys"))]
    wf = graph(nodes, [pair], inputs={"xs": list[int], "ys": list[str]})
    driver = Driver(wf, tasks, literals(xs=([1, 2], list[int]), ys=(["a"], list[str])))
    assert driver.run().phase == pb.EXECUTION_PHASE_FAILED
    error = driver.node_events("n0")[-1].error
    assert (error.type, "differ in length" in error.message) == ("ValueError", True)
    assert "x: 2, y: 1" in error.message
    assert driver.submits == []


def test_an_empty_list_succeeds_with_empty_lists() -> None:
    driver = numbers_then_map(0, concurrency=3)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(list[int]) == []
    assert elements(driver) == []
    assert driver.phase("n1") == SUCCEEDED


def test_elements_on_record_are_not_run_again() -> None:
    reads = MemoryReads()
    reads.by_uri[outputs_uri("n0")] = LiteralMap(
        literals={"o0": to_literal([0, 1, 2, 3], list[int])}
    )
    recorded = [recorded_node("n0", SUCCEEDED, outputs_uri=outputs_uri("n0"))]
    for index in (0, 2):
        reads.by_uri[outputs_uri(f"n1/{index}")] = LiteralMap(
            literals={"o0": to_literal(100 + index, int)}
        )
        recorded.append(
            recorded_node(f"n1/{index}", SUCCEEDED, outputs_uri=outputs_uri(f"n1/{index}"))
        )
    driver = numbers_then_map(4, concurrency=1, reads=reads, recorded=recorded)
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert elements(driver) == ["n1/1", "n1/3"]
    assert driver.submits[0] is not None
    # The recorded elements' outputs are theirs, whatever running them again would give.
    assert driver.outputs(list[int]) == [100, 1, 102, 9]


def test_a_failure_on_record_that_leaves_the_ratio_out_of_reach_fails_the_map_unrun() -> None:
    reads = MemoryReads()
    reads.by_uri[outputs_uri("n0")] = LiteralMap(
        literals={"o0": to_literal([0, 1, 2, 3], list[int])}
    )
    recorded = [
        recorded_node("n0", SUCCEEDED, outputs_uri=outputs_uri("n0")),
        recorded_node("n1/2", FAILED, attempts=[(1, FAILED)], error_type="ValueError"),
    ]
    driver = numbers_then_map(4, ratio=1.0, reads=reads, recorded=recorded)
    assert driver.run().phase == pb.EXECUTION_PHASE_FAILED
    # A resumed walk does not run the elements of a map that can no longer succeed.
    assert elements(driver) == []
    assert driver.phase("n1") == FAILED
    assert "first: element n1/2" in driver.node_events("n1")[-1].error.message


def test_cached_elements_are_asked_about_in_one_question() -> None:
    driver = numbers_then_map(4, cache=True)
    driver.start()
    driver.complete("n0")
    (question,) = driver.asked
    assert [r.node_id for r in question.requests] == ["n1/0", "n1/1", "n1/2", "n1/3"]
    step = driver.walk._graph["n1"].task  # the map's task, as the walk holds it
    assert step is not None
    keys = [cache_key(key_components(step, {"x": to_literal(x, int)})) for x in range(4)]
    # Each element has its own key, made of its own element's value.
    assert [r.key for r in question.requests] == keys
    nine = LiteralMap(literals={"o0": to_literal(9, int)})
    driver.reads.keep(nine)
    driver.answer(
        1,
        response(
            run_answer("n1/0"),
            run_answer("n1/1"),
            run_answer("n1/2"),
            hit("n1/3", entry(keys[3], nine)),
        ),
    )
    assert elements(driver) == ["n1/0", "n1/1", "n1/2"]
    assert driver.run().phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert driver.outputs(list[int]) == [0, 1, 4, 9]
    assert driver.node_events("n1/3")[-1].cache_status == pb.CACHE_STATUS_HIT


def test_a_concurrency_limit_asks_about_the_released_elements_only() -> None:
    driver = numbers_then_map(5, cache=True, concurrency=2)
    driver.start()
    driver.complete("n0")
    assert [[r.node_id for r in q.requests] for q in driver.asked] == [["n1/0", "n1/1"]]


def test_terminate_cancels_the_elements_in_flight_and_releases_no_more() -> None:
    driver = numbers_then_map(6, concurrency=2)
    driver.start()
    driver.complete("n0")
    driver.complete("n1/0")
    in_flight = [s.token for s in driver.submits if s.token in driver.pending]
    assert [node_of(s) for s in driver.submits if s.token in in_flight] == ["n1/1", "n1/2"]
    actions = driver.terminate()
    assert sorted(a.token for a in actions if isinstance(a, Cancel)) == sorted(in_flight)
    assert driver.phase("n1/1") == driver.phase("n1/2") == TERMINATED
    assert driver.phase("n1") == TERMINATED
    assert elements(driver) == ["n1/0", "n1/1", "n1/2"]
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_TERMINATED
