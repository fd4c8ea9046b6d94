"""Branch nodes in the walk, without Ray: the case taken by conditions over workflow inputs
and task outputs, nesting, else / else_fail, the cases not taken SKIPPED under nested ids,
and the branch's outputs consumed downstream."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from dp_support import node, promise, static, workflow_input
from walk_support import (
    Driver,
    Tasks,
    both,
    branch,
    compare,
    either,
    graph,
    is_false,
    is_none,
    is_true,
    literals,
    node_of,
)

from graven.v1 import execution_pb2 as pb
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_EQ,
    COMPARISON_OPERATOR_GE,
    COMPARISON_OPERATOR_GT,
    COMPARISON_OPERATOR_LT,
    COMPARISON_OPERATOR_NE,
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    FAILURE_POLICY_UNSPECIFIED,
    BooleanExpression,
    FailurePolicy,
    Node,
)

SUCCEEDED, SKIPPED, FAILED = pb.NODE_PHASE_SUCCEEDED, pb.NODE_PHASE_SKIPPED, pb.NODE_PHASE_FAILED
INPUTS = {"x": int, "y": float, "s": str, "flag": bool, "maybe": int | None}


class Steps:
    def __init__(self) -> None:
        self.tasks = Tasks()
        self.double = self.tasks.define("double", {"x": int}, int, lambda x: 2 * x)
        self.fmt = self.tasks.define(
            "fmt", {"v": int, "tag": str}, str, lambda v, tag: f"{tag}:{v}"
        )
        self.shout = self.tasks.define("shout", {"s": str}, str, lambda s: s.upper())
        self.defined = {"double": self.double, "fmt": self.fmt, "shout": self.shout}

    def define(self, name: str, fn: Callable[..., object]) -> Task:
        """A task of one int input ``v`` and a str output."""
        self.defined[name] = self.tasks.define(name, {"v": int}, str, fn)
        return self.defined[name]

    def case(self, node_id: str, tag: str) -> Node:
        """A case node reading the upstream task's output."""
        return node(node_id, self.fmt, v=promise("n0"), tag=static(tag, str))

    @property
    def all(self) -> list[Task]:
        return list(self.defined.values())


def run(
    steps: Steps,
    decision: Node,
    x: int = 6,
    y: float = 1.5,
    s: str = "go",
    flag: bool = True,
    maybe: int | None = None,
    *,
    consume: bool = True,
    policy: FailurePolicy = FAILURE_POLICY_UNSPECIFIED,
) -> Driver:
    """n0 = double(x), then ``decision`` (n1), then n9 = shout(n1) as the output."""
    nodes = [node("n0", steps.double, x=workflow_input("x")), decision]
    outputs = {}
    if consume:
        nodes.append(node("n9", steps.shout, s=promise("n1")))
        outputs = {"o0": (promise("n9"), str)}
    wf = graph(nodes, steps.all, inputs=INPUTS, outputs=outputs, failure_policy=policy)
    inputs = literals(
        x=(x, int), y=(y, float), s=(s, str), flag=(flag, bool), maybe=(maybe, int | None)
    )
    driver = Driver(wf, steps.tasks, inputs)
    driver.run()
    return driver


X, Y, S = workflow_input("x"), workflow_input("y"), workflow_input("s")
FLAG, MAYBE, N0 = workflow_input("flag"), workflow_input("maybe"), promise("n0")
CONDITIONS: list[tuple[str, Callable[[], BooleanExpression], dict[str, object], bool]] = [
    ("task output > int", lambda: compare(N0, COMPARISON_OPERATOR_GT, static(10, int)), {}, True),
    (
        "task output > int, false",
        lambda: compare(N0, COMPARISON_OPERATOR_GT, static(12, int)),
        {},
        False,
    ),
    ("int < float", lambda: compare(X, COMPARISON_OPERATOR_LT, Y), {"x": 1, "y": 1.5}, True),
    (
        "int < float, false",
        lambda: compare(X, COMPARISON_OPERATOR_LT, Y),
        {"x": 2, "y": 1.5},
        False,
    ),
    ("int == float", lambda: compare(X, COMPARISON_OPERATOR_EQ, Y), {"x": 2, "y": 2.0}, True),
    ("float >= literal", lambda: compare(Y, COMPARISON_OPERATOR_GE, static(1.5, float)), {}, True),
    ("str ==", lambda: compare(S, COMPARISON_OPERATOR_EQ, static("go", str)), {}, True),
    ("str !=", lambda: compare(S, COMPARISON_OPERATOR_NE, static("go", str)), {"s": "stop"}, True),
    ("str <", lambda: compare(S, COMPARISON_OPERATOR_LT, static("b", str)), {"s": "a"}, True),
    ("is_true", lambda: is_true(FLAG), {"flag": True}, True),
    ("is_true, false", lambda: is_true(FLAG), {"flag": False}, False),
    ("is_false", lambda: is_false(FLAG), {"flag": False}, True),
    ("is_none", lambda: is_none(MAYBE), {"maybe": None}, True),
    ("is_none, false", lambda: is_none(MAYBE), {"maybe": 3}, False),
    (
        "optional == int",
        lambda: compare(MAYBE, COMPARISON_OPERATOR_EQ, static(3, int)),
        {"maybe": 3},
        True,
    ),
    ("none == int", lambda: compare(MAYBE, COMPARISON_OPERATOR_EQ, static(3, int)), {}, False),
    (
        "and",
        lambda: both(is_true(FLAG), compare(X, COMPARISON_OPERATOR_GT, static(5, int))),
        {},
        True,
    ),
    (
        "and, false",
        lambda: both(is_true(FLAG), compare(X, COMPARISON_OPERATOR_GT, static(7, int))),
        {},
        False,
    ),
    (
        "or",
        lambda: either(is_false(FLAG), compare(X, COMPARISON_OPERATOR_GT, static(5, int))),
        {},
        True,
    ),
]


@pytest.mark.parametrize(
    ("condition", "inputs", "holds"),
    [pytest.param(c, i, h, id=name) for name, c, i, h in CONDITIONS],
)
def test_the_case_taken_follows_the_condition(
    condition: Callable[[], BooleanExpression], inputs: dict[str, object], holds: bool
) -> None:
    steps = Steps()
    decision = branch(
        "n1", [(condition(), steps.case("n2", "then"))], else_node=steps.case("n3", "else")
    )
    driver = run(steps, decision, **inputs)  # type: ignore[arg-type]
    taken, other = ("n1/n2", "n1/n3") if holds else ("n1/n3", "n1/n2")
    assert driver.phase(taken) == SUCCEEDED
    assert driver.phases(other) == [(0, SKIPPED)]
    assert [node_of(s) for s in driver.submits] == ["n0", taken, "n9"]
    x = inputs.get("x", 6)
    assert isinstance(x, int)
    assert driver.outputs(str) == f"{'then' if holds else 'else'}:{2 * x}".upper()
    assert {e.parent_node_id for e in driver.node_events(taken)} == {"n1"}
    assert driver.phase("n1") == SUCCEEDED


def test_the_first_case_that_holds_is_taken() -> None:
    steps = Steps()
    decision = branch(
        "n1",
        [
            (is_false(FLAG), steps.case("n2", "a")),
            (is_true(FLAG), steps.case("n3", "b")),
            (is_true(FLAG), steps.case("n4", "c")),
        ],
        else_node=steps.case("n5", "d"),
    )
    driver = run(steps, decision)
    assert {n: driver.phase(f"n1/{n}") for n in ("n2", "n3", "n4", "n5")} == {
        "n2": SKIPPED,
        "n3": SUCCEEDED,
        "n4": SKIPPED,
        "n5": SKIPPED,
    }
    assert driver.outputs(str) == "B:12"


@pytest.mark.parametrize(
    ("x", "taken", "expected"),
    [(20, "n1/n2/n3", "BIG:40"), (3, "n1/n2/n4", "SMALL:6"), (-1, "n1/n5", "NEG:-2")],
)
def test_nested_branches(x: int, taken: str, expected: str) -> None:
    steps = Steps()
    inner = branch(
        "n2",
        [(compare(X, COMPARISON_OPERATOR_GT, static(10, int)), steps.case("n3", "big"))],
        else_node=steps.case("n4", "small"),
    )
    outer = branch(
        "n1",
        [(compare(X, COMPARISON_OPERATOR_GT, static(0, int)), inner)],
        else_node=steps.case("n5", "neg"),
    )
    driver = run(steps, outer, x=x)
    assert driver.outputs(str) == expected
    every = ["n1/n2", "n1/n2/n3", "n1/n2/n4", "n1/n5"]
    ran = {node_of(s) for s in driver.submits}
    assert ran == {"n0", taken, "n9"}
    for node_id in every:
        on_path = taken.startswith(node_id)
        assert driver.phase(node_id) == (SUCCEEDED if on_path else SKIPPED), node_id
    if x > 0:
        # The inner branch's cases name it as their parent.
        assert driver.node_events(taken)[-1].parent_node_id == "n1/n2"


def test_else_fail_fails_the_branch_and_the_workflow() -> None:
    steps = Steps()
    decision = branch("n1", [(is_false(FLAG), steps.case("n2", "a"))], else_fail="no case for you")
    driver = run(steps, decision)
    (event,) = [e for e in driver.node_events("n1") if e.phase == FAILED]
    assert (event.error.type, event.error.message) == ("BranchFailed", "no case for you")
    assert driver.phase("n1/n2") == SKIPPED
    assert driver.phase("n9") == SKIPPED
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED
    assert driver.finish.error is not None
    assert driver.finish.error.node_id == "n1"


def test_a_branch_without_else_may_run_nothing() -> None:
    steps = Steps()
    decision = branch("n1", [(is_false(FLAG), steps.case("n2", "a"))])
    driver = run(steps, decision, consume=False)
    assert driver.phase("n1") == SUCCEEDED
    assert driver.phase("n1/n2") == SKIPPED
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_SUCCEEDED


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(FAILURE_POLICY_UNSPECIFIED, id="fail-immediately"),
        pytest.param(FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE, id="fail-after"),
    ],
)
def test_a_failing_case_fails_the_branch(policy: FailurePolicy) -> None:
    steps = Steps()
    boom = steps.define("boom", lambda v: 1 / 0)
    decision = branch("n1", [(is_true(FLAG), node("n2", boom, v=promise("n0")))])
    driver = run(steps, decision, policy=policy)
    assert driver.phase("n1/n2") == FAILED
    assert driver.finish is not None
    assert driver.finish.error is not None
    assert driver.finish.error.node_id == "n1/n2"
    assert driver.phase("n9") == SKIPPED
    assert driver.phase("n1") == FAILED
    assert driver.node_events("n1")[-1].error.type == "ZeroDivisionError"


def test_a_condition_that_cannot_be_evaluated_fails_the_branch() -> None:
    steps = Steps()
    decision = branch("n1", [(is_true(S), steps.case("n2", "a"))], else_node=steps.case("n3", "b"))
    driver = run(steps, decision)
    assert driver.node_events("n1")[-1].error.type == "ConditionError"
    assert driver.phases("n1/n2") == driver.phases("n1/n3") == []
    assert [node_of(s) for s in driver.submits] == ["n0"]
    assert driver.finish is not None
    assert driver.finish.phase == pb.EXECUTION_PHASE_FAILED
