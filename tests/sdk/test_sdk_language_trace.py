"""The workflow language as traced: the proto each construct records, and trace-time errors."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Optional

import pytest
from google.protobuf.json_format import MessageToDict

import graven
from graven import LaunchPlan, WorkflowError, task, workflow
from graven.errors import GravenCompileError, GravenDefinitionError
from graven.literals import to_python
from graven.types import literal_type_of
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_GT,
    COMPARISON_OPERATOR_LT,
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    FAILURE_POLICY_UNSPECIFIED,
    LOGICAL_OPERATOR_AND,
    UNARY_OPERATOR_IS_NONE,
    BindingData,
    Node,
)

M = "test_sdk_language_trace"


@dataclass
class Stats:
    mean: float
    counts: dict[str, int]
    values: list[int]


class Split(NamedTuple):
    train: list[int]
    test: list[int]


class Single(NamedTuple):
    only: int


@task
def stats(xs: list[int]) -> Stats:
    return Stats(sum(xs) / max(len(xs), 1), {"n": len(xs)}, xs)


@task
def split(xs: list[int]) -> Split:
    return Split(xs[::2], xs[1::2])


@task
def single(x: int) -> Single:
    return Single(x)


@task
def pair(x: int) -> tuple[int, str]:
    return x, str(x)


@task
def double(x: int) -> int:
    return 2 * x


@task
def negate(x: int) -> int:
    return -x


@task
def as_text(x: int) -> str:
    return str(x)


@task
def scale(x: float, by: float) -> float:
    return x * by


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def side_effect() -> None:
    return None


@task
def cleanup(x: int, error: WorkflowError) -> None:
    return None


def binding(b: BindingData) -> dict[str, object]:
    return MessageToDict(b, preserving_proto_field_name=True)


def inputs(node: Node) -> dict[str, dict[str, object]]:
    return {b.name: binding(b.binding) for b in node.inputs}


def compile_error(fn: Callable[..., object], **options: object) -> str:
    with pytest.raises(GravenCompileError) as info:
        workflow(**options)(fn).compile()  # type: ignore[call-overload]
    message = str(info.value)
    assert "\n" not in message
    return message


# --- branches -----------------------------------------------------------------------------


@workflow
def branchy(x: int) -> int:
    d = double(x=x)
    return (
        graven.conditional("sign")
        .if_(d > 0)
        .then(double(x=d))
        .elif_((d < 0) & (x < 10))
        .then(negate(x=d))
        .else_()
        .then(add(x=x, y=d))
    )


def test_a_branch_records_its_cases_with_ids_from_one_counter() -> None:
    template = branchy.compile().template
    assert [n.id for n in template.nodes] == ["n0", "n1"]
    branch = template.nodes[1]
    assert branch.WhichOneof("target") == "branch_node"
    assert branch.metadata.name == "sign"
    assert list(branch.inputs) == []
    cases = branch.branch_node.cases
    assert [c.then_node.id for c in cases] == ["n2", "n3"]
    assert branch.branch_node.else_node.id == "n4"
    assert cases[0].then_node.task_node.task_id.name == f"{M}.double"
    first = cases[0].condition.comparison
    assert first.operator == COMPARISON_OPERATOR_GT
    assert binding(first.left) == {"promise": {"node_id": "n0", "output_name": "o0"}}
    assert first.right.literal.primitive.integer == 0
    second = cases[1].condition.conjunction
    assert second.operator == LOGICAL_OPERATOR_AND
    assert second.right.comparison.operator == COMPARISON_OPERATOR_LT
    assert binding(second.right.comparison.left) == {"workflow_input": "x"}
    assert inputs(cases[1].then_node) == {"x": {"promise": {"node_id": "n0", "output_name": "o0"}}}
    # Downstream (here the workflow's output) binds to the branch node, not a case node.
    assert binding(template.outputs[0].binding) == {
        "promise": {"node_id": "n1", "output_name": "o0"}
    }


@workflow
def nested(x: int) -> str:
    return (
        graven.conditional("outer")
        .if_(x > 0)
        .then(graven.conditional("inner").if_(x > 10).then(as_text(x=x)).else_().then(as_text(x=x)))
        .else_()
        .fail("x must be positive")
    )


def test_a_nested_branch_is_a_case_node_and_else_fail_is_recorded() -> None:
    template = nested.compile().template
    assert [n.id for n in template.nodes] == ["n0"]
    outer = template.nodes[0].branch_node
    assert outer.else_fail == "x must be positive"
    inner = outer.cases[0].then_node
    assert (inner.id, inner.metadata.name) == ("n1", "inner")
    assert [c.then_node.id for c in inner.branch_node.cases] == ["n2"]
    assert inner.branch_node.else_node.id == "n3"
    assert [t.name for t in nested.compile().tasks] == [f"{M}.as_text"]


def test_unary_conditions_and_optional_operands() -> None:
    @task
    def maybe(x: int) -> Optional[int]:  # noqa: UP045
        return x or None

    def wf(x: int) -> int:
        m = maybe(x=x)
        return graven.conditional("c").if_(m.is_none()).then(double(x=x)).else_().then(negate(x=x))

    template = workflow(wf).compile().template
    condition = template.nodes[1].branch_node.cases[0].condition.unary
    assert condition.operator == UNARY_OPERATOR_IS_NONE
    assert binding(condition.operand) == {"promise": {"node_id": "n0", "output_name": "o0"}}


def test_a_branch_without_else_has_no_outputs_and_orders_with_rshift() -> None:
    def wf(x: int) -> int:
        maybe = graven.conditional("c").if_(x > 0).then(side_effect())
        last = double(x=x)
        maybe >> last
        return last

    template = workflow(wf).compile().template
    assert [n.id for n in template.nodes] == ["n0", "n2"]
    assert list(template.nodes[1].upstream_node_ids) == ["n0"]
    assert template.nodes[0].branch_node.WhichOneof("otherwise") is None


def test_branch_outputs_keep_the_case_shape() -> None:
    def wf(x: int) -> tuple[int, str]:
        a, b = graven.conditional("c").if_(x > 0).then(pair(x=x)).else_().then(pair(x=-1))
        return a, b

    template = workflow(wf).compile().template
    assert [binding(o.binding)["promise"] for o in template.outputs] == [
        {"node_id": "n0", "output_name": "o0"},
        {"node_id": "n0", "output_name": "o1"},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            lambda x: double(x=x) if double(x=x) > 0 else x,
            "is used in a comparison (>) inside a Python condition",
        ),
        (lambda x: [double(x=v) for v in x], "Use graven.map(task)(...)"),
        (lambda x: double(x=x) if x else x, "Use graven.conditional(...)"),
        (
            lambda x: graven.conditional("c").if_(x > "a").then(double(x=x)).else_().then(x),
            "case 0 (input 'x' > 'a'): int > str: the two sides are of different types",
        ),
        (
            lambda x: graven.conditional("c").if_(x > 0).then(double(x=double(x=x))),
            "case 0 of conditional 'c' already runs node n1 (test_sdk_language_trace.double), "
            "then node n2 (test_sdk_language_trace.double) is called too",
        ),
        (
            lambda x: graven.conditional("c").if_(x > 0).then(x),
            "case 0 ran no node; call exactly one task",
        ),
        (
            lambda x: (
                graven.conditional("c").if_(x > 0).then(double(x=x)).else_().then(as_text(x=x))
            ),
            "the else gives outputs o0: str, but case 0 gives o0: int",
        ),
        (lambda x: graven.conditional("c").if_(x > 0), "a case is never closed"),
        (lambda x: graven.conditional("c").if_(x), "input 'x' is not a condition"),
        (lambda x: graven.conditional("c").if_(True), "expected a condition on promises"),
        (lambda x: graven.conditional("c").if_(x > [1]), "a condition compares promises"),
    ],
)
def test_branch_errors_at_trace_time(body: Callable[..., object], message: str) -> None:
    def wf(x: int) -> object:
        return body(x)

    wf.__annotations__ = {"x": int, "return": None}
    assert message in compile_error(wf)


def test_a_case_node_output_cannot_be_used_outside_its_case() -> None:
    def wf(x: int) -> int:
        graven.conditional("c").if_(x > 0).then(kept := double(x=x))
        return negate(x=kept)

    assert "output 'o0' of node n1" in compile_error(wf)
    assert "inside a conditional's case" in compile_error(wf)


def test_conditional_outside_a_workflow_is_an_error() -> None:
    with pytest.raises(GravenCompileError, match="call it inside a @workflow body"):
        graven.conditional("c")


# --- maps ---------------------------------------------------------------------------------


def test_a_map_decides_mapped_inputs_by_type() -> None:
    def wf(xs: list[int], ys: list[int], y: int) -> tuple[list[int], list[Optional[int]]]:  # noqa: UP045
        zipped = graven.map(add, concurrency=2)(x=xs, y=ys)
        fixed = graven.map(add, min_success_ratio=0.5)(x=zipped, y=y)
        return zipped, fixed

    template = workflow(wf).compile().template
    zipped, fixed = template.nodes
    assert zipped.WhichOneof("target") == "array_node"
    assert zipped.array_node.task_id.name == f"{M}.add"
    assert list(zipped.array_node.mapped_inputs) == ["x", "y"]
    assert zipped.array_node.concurrency == 2
    assert not zipped.array_node.HasField("min_success_ratio")
    assert list(fixed.array_node.mapped_inputs) == ["x"]
    assert fixed.array_node.min_success_ratio == pytest.approx(0.5)
    assert inputs(fixed) == {
        "x": {"promise": {"node_id": "n0", "output_name": "o0"}},
        "y": {"workflow_input": "y"},
    }
    outputs = workflow(wf).compile().template.interface.outputs
    assert outputs[1].type == literal_type_of(list[Optional[int]])  # noqa: UP045


def test_a_partial_gives_fixed_values() -> None:
    def wf(xs: list[float]) -> list[float]:
        return graven.map(functools.partial(scale, by=2.0))(x=xs)

    node = workflow(wf).compile().template.nodes[0]
    assert list(node.array_node.mapped_inputs) == ["x"]
    assert to_python(node.inputs[1].binding.literal, float) == 2.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda xs: graven.map(double)(x=1), "maps over nothing"),
        (lambda xs: graven.map(as_text)(x=["a"]), "expected int, got str"),
        (lambda xs: graven.map(double)(x=xs, y=xs), "unexpected keyword argument 'y'"),
        (
            lambda xs: graven.map(functools.partial(add, y=1))(x=xs, y=xs),
            "input 'y' is already given by the partial",
        ),
    ],
)
def test_map_errors(body: Callable[..., object], message: str) -> None:
    def wf(xs: list[int]) -> object:
        return body(xs)

    wf.__annotations__ = {"xs": list[int], "return": None}
    assert message in compile_error(wf)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: graven.map(double, concurrency=-1), "concurrency must be a non-negative int"),
        (lambda: graven.map(double, min_success_ratio=1.5), "min_success_ratio must be"),
        (lambda: graven.map(len), "expected a @task"),  # type: ignore[arg-type]
        (lambda: graven.map(functools.partial(add, 1)), "by keyword"),
        (lambda: graven.map(functools.partial(add, z=1)), "'z', not an input"),
    ],
)
def test_map_definition_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(GravenDefinitionError, match=message):
        call()


# --- subworkflows and launch plans --------------------------------------------------------


@workflow
def inner(x: int, k: int = 3) -> Split:
    return split(xs=[x, double(x=x), k])


@workflow
def outer(x: int) -> list[int]:
    parts = inner(x=double(x=x))
    return parts.train


inner_plan = LaunchPlan(f"{M}.inner-plan", inner, fixed_inputs={"k": 5})


@workflow
def uses_plan(x: int) -> list[int]:
    return inner_plan(x=x).test


def test_a_subworkflow_is_a_workflow_node_with_output_promises() -> None:
    template = outer.compile().template
    node = template.nodes[1]
    assert node.workflow_node.sub_workflow_id.name == f"{M}.inner"
    assert not node.workflow_node.sub_workflow_id.version
    assert inputs(node) == {"x": {"promise": {"node_id": "n0", "output_name": "o0"}}}
    assert binding(template.outputs[0].binding) == {
        "promise": {"node_id": "n1", "output_name": "train"}
    }
    assert outer.compile().sub_workflows == (inner,)
    assert [t.name for t in outer.compile().tasks] == [f"{M}.double"]


def test_a_launch_plan_is_a_workflow_node() -> None:
    compiled = uses_plan.compile()
    node = compiled.template.nodes[0]
    assert node.workflow_node.launch_plan_id.name == f"{M}.inner-plan"
    assert node.metadata.name == f"{M}.inner-plan"
    assert compiled.launch_plans == (inner_plan,)
    assert binding(compiled.template.outputs[0].binding)["promise"] == {
        "node_id": "n0",
        "output_name": "test",
    }


def test_a_launch_plan_node_cannot_set_a_fixed_input() -> None:
    def wf(x: int) -> list[int]:
        return inner_plan(x=x, k=1).test

    assert "input 'k' is fixed by the launch plan" in compile_error(wf)


@workflow
def ping(x: int) -> int:
    return pong(x=double(x=x))


@workflow
def pong(x: int) -> int:
    return ping(x=x)


def test_recursion_between_workflows_is_refused() -> None:
    with pytest.raises(GravenCompileError) as info:
        ping.compile()
    assert str(info.value) == (
        f"workflow '{M}.ping': recursion between workflows ({M}.ping -> {M}.pong -> {M}.ping): "
        "a workflow cannot call itself, directly or through others"
    )


# --- gates --------------------------------------------------------------------------------


def test_gates_record_sleep_signal_and_approval() -> None:
    def wf(x: int) -> int:
        pause = graven.sleep(datetime.timedelta(minutes=5))
        given = graven.wait_for_input("factor", timeout=60, expected_type=int)
        pause >> given
        approved = graven.approve(double(x=x), "publish", timeout=datetime.timedelta(hours=1))
        return add(x=given, y=approved)

    template = workflow(wf).compile().template
    sleep, signal, doubled, approve, _ = template.nodes
    assert sleep.gate_node.sleep.seconds == 300
    assert list(sleep.inputs) == []
    assert signal.gate_node.signal.signal_id == "factor"
    assert signal.gate_node.signal.type == literal_type_of(int)
    assert signal.gate_node.timeout.seconds == 60
    assert list(signal.upstream_node_ids) == [sleep.id]
    assert approve.gate_node.approve.signal_id == "publish"
    assert approve.gate_node.timeout.seconds == 3600
    assert inputs(approve) == {"value": {"promise": {"node_id": doubled.id, "output_name": "o0"}}}
    assert inputs(template.nodes[4]) == {
        "x": {"promise": {"node_id": signal.id, "output_name": "o0"}},
        "y": {"promise": {"node_id": approve.id, "output_name": "o0"}},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda x: graven.approve(3, "ok"), "approves a promise"),
        (lambda x: graven.wait_for_input("Bad Name", expected_type=int), "signal name"),
        (lambda x: graven.sleep(-1), "timeout must be positive"),
        (lambda x: graven.wait_for_input("w", expected_type=object), "expected_type"),
    ],
)
def test_gate_errors(body: Callable[..., object], message: str) -> None:
    def wf(x: int) -> object:
        return body(x)

    wf.__annotations__ = {"x": int, "return": None}
    assert message in compile_error(wf)


# --- failure handling ---------------------------------------------------------------------


def test_on_failure_is_the_failure_node_with_the_error_binding() -> None:
    def wf(x: int, y: int = 1) -> int:
        return double(x=x)

    compiled = workflow(on_failure=cleanup, failure_policy="fail_after_executable_nodes_complete")(
        wf
    ).compile()
    template = compiled.template
    failure = template.failure_node
    assert (failure.id, failure.task_node.task_id.name) == ("on-failure", f"{M}.cleanup")
    assert inputs(failure) == {"x": {"workflow_input": "x"}, "error": {"workflow_error": True}}
    assert template.metadata.failure_policy == FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
    assert [t.name for t in compiled.tasks] == [f"{M}.double", f"{M}.cleanup"]
    assert branchy.compile().template.metadata.failure_policy == FAILURE_POLICY_UNSPECIFIED
    assert not branchy.compile().template.HasField("failure_node")


def test_on_failure_with_an_input_the_workflow_lacks_is_refused() -> None:
    def wf(y: int) -> int:
        return double(x=y)

    assert compile_error(wf, on_failure=cleanup) == (
        f"workflow '{M}.wf': on_failure '{M}.cleanup': input 'x' is neither an input of the "
        "workflow (inputs: y) nor a graven.WorkflowError, and has no default"
    )


def test_workflow_options_are_checked_at_decoration() -> None:
    def wf() -> None:
        side_effect()

    with pytest.raises(GravenDefinitionError, match="failure_policy must be one of"):
        workflow(failure_policy="later")(wf)
    with pytest.raises(GravenDefinitionError, match="on_failure must be a @task"):
        workflow(on_failure=print)(wf)  # type: ignore[arg-type]


# --- ordering and attribute paths ---------------------------------------------------------


def test_rshift_adds_upstream_ids_and_chains() -> None:
    def wf(x: int) -> int:
        a = side_effect()
        b = side_effect()
        c = double(x=x)
        a >> b >> c
        (b, c) >> side_effect()
        return c

    template = workflow(wf).compile().template
    assert [list(n.upstream_node_ids) for n in template.nodes] == [[], ["n0"], ["n1"], ["n1", "n2"]]


def test_a_cycle_of_orderings_is_refused() -> None:
    def wf(x: int) -> int:
        a = double(x=x)
        b = double(x=a)
        b >> a
        return b

    assert "nodes n0, n1 wait for each other" in compile_error(wf)


def test_a_workflow_input_has_nothing_to_order() -> None:
    def wf(x: int) -> int:
        y = double(x=x)
        x >> y
        return y

    assert "input 'x' is a workflow input, not a node" in compile_error(wf)


def test_attribute_paths_bind_with_their_type() -> None:
    def wf(xs: list[int], s: Stats) -> tuple[float, int, int, int]:
        st = stats(xs=xs)
        return (
            scale(x=st.mean, by=2.0),
            double(x=st.counts["n"]),
            double(x=st.values[0]),
            double(x=s.values[1]),
        )

    template = workflow(wf).compile().template
    assert binding(template.nodes[1].inputs[0].binding) == {
        "promise": {"node_id": "n0", "output_name": "o0"},
        "attr_path": [{"name": "mean"}],
    }
    assert binding(template.nodes[2].inputs[0].binding)["attr_path"] == [
        {"name": "counts"},
        {"name": "n"},
    ]
    assert binding(template.nodes[3].inputs[0].binding)["attr_path"] == [
        {"name": "values"},
        {"index": 0},
    ]
    assert binding(template.nodes[4].inputs[0].binding) == {
        "workflow_input": "s",
        "attr_path": [{"name": "values"}, {"index": 1}],
    }


def test_a_wrong_attribute_path_names_the_workflow_node_and_path() -> None:
    def wf(xs: list[int]) -> float:
        return stats(xs=xs).median

    assert compile_error(wf) == (
        f"workflow '{M}.wf': output 'o0' of node n0 ({M}.stats): no attribute path .median: the "
        f"value is a {M}.Stats, which has no field 'median' (fields: mean, counts, values)"
    )


def test_an_attribute_of_the_wrong_type_is_named() -> None:
    def wf(xs: list[int]) -> int:
        return double(x=stats(xs=xs).mean)

    assert "input 'x': output 'o0' of node n0 (" in compile_error(wf)
    assert ".mean: expected int, got float" in compile_error(wf)


def test_named_tuple_and_tuple_outputs() -> None:
    def wf(x: int) -> Split:
        one = single(x=x)
        n, _ = pair(x=one.only)
        parts = split(xs=[one[0], n])
        return Split(train=parts.train, test=parts[1])

    compiled = workflow(wf).compile()
    template = compiled.template
    assert [v.name for v in template.interface.outputs] == ["train", "test"]
    assert inputs(template.nodes[1]) == {"x": {"promise": {"node_id": "n0", "output_name": "only"}}}
    assert [binding(o.binding)["promise"]["output_name"] for o in template.outputs] == [
        "train",
        "test",
    ]


def test_a_task_without_outputs_returns_a_handle() -> None:
    def wf(x: int) -> None:
        side_effect() >> double(x=x)

    template = workflow(wf).compile().template
    assert list(template.nodes[1].upstream_node_ids) == ["n0"]
