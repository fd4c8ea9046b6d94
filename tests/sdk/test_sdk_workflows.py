"""@workflow: tracing into a graph, binding checks, misuse of promises, local runs, launch plans."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple, Optional

import pytest
from google.protobuf.json_format import MessageToDict
from sdk_support import Color, Point

from graven import LaunchPlan, task, workflow
from graven.errors import GravenCompileError, GravenDefinitionError
from graven.literals import to_literal, to_python
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, Identifier
from graven.v1.workflow_pb2 import BindingData
from graven.workflow import Workflow


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int], bonus: Optional[int] = None) -> int:  # noqa: UP045
    return sum(xs) + (bonus or 0)


@task
def as_float(x: int) -> float:
    return float(x)


@task
def scale(x: float, by: float) -> float:
    return x * by


@task
def describe(scores: dict[str, int], point: Point, color: Color) -> str:
    return f"{sorted(scores.items())} {point} {color.value}"


class Pair(NamedTuple):
    low: int
    high: int


@task
def order(a: int, b: int) -> Pair:
    return Pair(min(a, b), max(a, b))


@workflow
def pipeline(a: int, b: int = 5) -> tuple[int, str]:
    pair = order(a=a, b=b)
    doubled = double(pair.high)
    summed = total(xs=[pair.low, doubled, 7], bonus=a)
    text = describe(scores={"a": a, "sum": summed}, point=Point(1, 2.0), color=Color.GREEN)
    return summed, text


def binding(b: BindingData) -> dict[str, object]:
    return MessageToDict(b, preserving_proto_field_name=True)


def test_tracing_records_nodes_in_call_order() -> None:
    template = pipeline.compile().template
    assert [(n.id, n.metadata.name, n.task_node.task_id.name) for n in template.nodes] == [
        ("n0", "order", "test_sdk_workflows.order"),
        ("n1", "double", "test_sdk_workflows.double"),
        ("n2", "total", "test_sdk_workflows.total"),
        ("n3", "describe", "test_sdk_workflows.describe"),
    ]
    assert [t.name for t in pipeline.compile().tasks] == [
        "test_sdk_workflows.order",
        "test_sdk_workflows.double",
        "test_sdk_workflows.total",
        "test_sdk_workflows.describe",
    ]


def test_bindings_are_promises_inputs_literals_and_collections() -> None:
    nodes = {
        n.id: {b.name: binding(b.binding) for b in n.inputs}
        for n in pipeline.compile().template.nodes
    }
    assert nodes["n0"] == {"a": {"workflow_input": "a"}, "b": {"workflow_input": "b"}}
    # A positional argument binds by the parameter's name.
    assert nodes["n1"] == {"x": {"promise": {"node_id": "n0", "output_name": "high"}}}
    xs = nodes["n2"]["xs"]["collection"]["bindings"]
    assert xs[0] == {"promise": {"node_id": "n0", "output_name": "low"}}
    assert xs[1] == {"promise": {"node_id": "n1", "output_name": "o0"}}
    assert xs[2]["literal"]["primitive"] == {"integer": "7"}
    assert nodes["n2"]["bonus"] == {"workflow_input": "a"}
    scores = nodes["n3"]["scores"]["map"]["bindings"]
    assert scores == {
        "a": {"workflow_input": "a"},
        "sum": {"promise": {"node_id": "n2", "output_name": "o0"}},
    }
    assert "structured" in nodes["n3"]["point"]["literal"]
    assert nodes["n3"]["color"]["literal"]["primitive"] == {"string_value": "green"}


def test_workflow_interface_and_outputs() -> None:
    template = pipeline.compile().template
    assert [v.name for v in template.interface.inputs] == ["a", "b"]
    assert to_python(template.interface.inputs[1].default, int) == 5
    assert [(o.name, binding(o.binding)) for o in template.outputs] == [
        ("o0", {"promise": {"node_id": "n2", "output_name": "o0"}}),
        ("o1", {"promise": {"node_id": "n3", "output_name": "o0"}}),
    ]


def test_static_values_bind_as_literals_with_their_hash() -> None:
    node = pipeline.compile().template.nodes[3]
    point = next(b for b in node.inputs if b.name == "point").binding.literal
    assert point.hash == to_literal(Point(1, 2.0), Point).hash


def test_workflow_runs_locally_as_plain_python() -> None:
    summed, text = pipeline(3)
    assert summed == 3 + 10 + 7 + 3
    assert text == "[('a', 3), ('sum', 23)] Point(x=1, y=2.0) green"


def test_compiling_twice_gives_the_same_graph() -> None:
    assert pipeline.compile() is pipeline.compile()
    again = Workflow(pipeline.fn).compile().template
    assert again == pipeline.compile().template


def compile_error(fn: Callable[..., object]) -> str:
    with pytest.raises(GravenCompileError) as info:
        workflow(fn).compile()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_an_int_output_does_not_feed_a_float_input() -> None:
    def wf(x: int) -> float:
        return scale(x=double(x=x), by=2.0)

    assert compile_error(wf) == (
        "workflow 'test_sdk_workflows.wf': node n1 (task 'test_sdk_workflows.scale'): input 'x': "
        "output 'o0' of node n0 (test_sdk_workflows.double): expected float, got int (int does "
        "not widen to float implicitly: declare float, or convert in a task)"
    )


def test_a_workflow_input_of_the_wrong_type_is_named() -> None:
    def wf(name: str) -> int:
        return double(x=name)  # type: ignore[arg-type]

    assert "input 'x': input 'name': expected int, got str" in compile_error(wf)


def test_an_optional_output_does_not_feed_a_required_input() -> None:
    def wf(x: Optional[int]) -> int:  # noqa: UP045
        return double(x=x)  # type: ignore[arg-type]

    assert "expected int, got Optional[int] (the value may be None)" in compile_error(wf)


def test_a_static_value_of_the_wrong_type_is_named() -> None:
    def wf(x: int) -> float:
        return scale(x=as_float(x=x), by="two")  # type: ignore[arg-type]

    assert (
        "node n1 (task 'test_sdk_workflows.scale'): input 'by': expected float, got str 'two'"
        in (compile_error(wf))
    )


def test_wrong_arguments_are_named() -> None:
    def missing(x: int) -> float:
        return scale(x=as_float(x=x))  # type: ignore[call-arg]

    def unknown(x: int) -> int:
        return double(x=x, y=1)  # type: ignore[call-arg]

    assert "node n1 (task 'test_sdk_workflows.scale'): missing a required argument: 'by'" in (
        compile_error(missing)
    )
    assert "node n0 (task 'test_sdk_workflows.double'): got an unexpected keyword argument 'y'" in (
        compile_error(unknown)
    )


def test_a_wrong_return_type_is_named() -> None:
    def wf(x: int) -> str:
        return double(x=x)  # type: ignore[return-value]

    assert "workflow 'test_sdk_workflows.wf': output 'o0': output 'o0' of node n0" in compile_error(
        wf
    )


def if_on_promise(x: int) -> int:
    y = double(x=x)
    if y:
        return double(x=y)
    return y


def loop_over_promise(xs: list[int]) -> int:
    return total(xs=[double(x=v) for v in xs])


def compare_promise(x: int) -> int:
    return double(x=x) if double(x=x) > 3 else x


def arithmetic_on_promise(x: int) -> int:
    return double(x=x + 1)


def format_promise(x: int) -> str:
    return describe(scores={f"{x}": 1}, point=Point(0, 0.0), color=Color.RED)


@pytest.mark.parametrize(
    ("fn", "what"),
    [
        (
            if_on_promise,
            "output 'o0' of node n0 (test_sdk_workflows.double) is used in a condition",
        ),
        (loop_over_promise, "input 'xs' is used in iteration or unpacking"),
        (compare_promise, "is used in a comparison (>)"),
        (arithmetic_on_promise, "input 'x' is used in arithmetic (+)"),
        (format_promise, "input 'x' is used in string formatting"),
    ],
)
def test_promises_refuse_python_control_flow(fn: Callable[..., object], what: str) -> None:
    message = compile_error(fn)
    assert message.startswith(f"workflow 'test_sdk_workflows.{fn.__name__}': ")
    assert what in message
    assert "do this inside the task" in message


def test_promise_misuse_is_also_caught_on_equality() -> None:
    def wf(x: int) -> int:
        return double(x=1) if x == 2 else double(x=x)

    assert "is used in a comparison (==)" in compile_error(wf)


def test_a_workflow_without_tasks_is_an_error() -> None:
    def wf(x: int) -> int:
        return x

    assert compile_error(wf) == (
        "workflow 'test_sdk_workflows.wf': calls no task; a workflow needs at least one"
    )


def test_other_exceptions_in_the_body_are_reported_as_compile_errors() -> None:
    def wf(x: int) -> int:
        raise KeyError("boom")

    assert "its body raised KeyError: 'boom' while it was traced" in compile_error(wf)


def test_a_dataclass_built_from_promises_is_refused() -> None:
    def wf(x: int) -> str:
        return describe(scores={}, point=Point(x, 1.0), color=Color.RED)

    assert "a Point built from promises cannot be bound" in compile_error(wf)


def test_workflow_definition_errors() -> None:
    with pytest.raises(
        GravenDefinitionError, match=re.escape("parameter 'x' has no type annotation")
    ):

        @workflow
        def untyped(x) -> int:  # type: ignore[no-untyped-def]
            return double(x=x)  # type: ignore[no-any-return]


@workflow
def squares(n: int, label: str = "sq") -> int:
    return double(x=n)


def test_launch_plan_checks_and_spec() -> None:
    plan = LaunchPlan(
        "squares.nightly", squares, default_inputs={"n": 4}, fixed_inputs={"label": "x"}
    )
    assert to_python(plan.default_inputs["n"], int) == 4
    assert to_python(plan.fixed_inputs["label"], str) == "x"
    workflow_id = Identifier(resource_type=RESOURCE_TYPE_WORKFLOW, name=squares.name, version="v1")
    spec = plan.spec(workflow_id)
    assert spec.workflow_id == workflow_id
    assert set(spec.fixed_inputs.literals) == {"label"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"default_inputs": {"m": 1}},
            "default input 'm' is not an input of the workflow (inputs: n, label)",
        ),
        ({"fixed_inputs": {"n": "four"}}, "fixed input 'n': expected int, got str 'four'"),
        (
            {"default_inputs": {"n": 1}, "fixed_inputs": {"n": 2}},
            "input 'n' is both a default and a fixed input",
        ),
    ],
)
def test_launch_plan_errors(kwargs: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(GravenDefinitionError) as info:
        LaunchPlan("squares.bad", squares, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(
        "launch plan 'squares.bad' (workflow 'test_sdk_workflows.squares'): "
    )
    assert message in str(info.value)


def test_launch_plan_name_must_follow_the_pattern() -> None:
    with pytest.raises(
        GravenDefinitionError, match="launch plan 'Nightly': name 'Nightly' must match"
    ):
        LaunchPlan("Nightly", squares)
