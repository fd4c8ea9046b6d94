"""Builders for the workflow language's node kinds, as protos (independent of the SDK)."""

from __future__ import annotations

from collections.abc import Sequence

from cp_support import node
from google.protobuf.duration_pb2 import Duration

from graven.v1.identifier_pb2 import Identifier
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import (
    LOGICAL_OPERATOR_AND,
    LOGICAL_OPERATOR_OR,
    UNARY_OPERATOR_IS_TRUE,
    ApproveCondition,
    ArrayNode,
    Binding,
    BindingData,
    BooleanExpression,
    BranchCase,
    BranchNode,
    ComparisonExpression,
    ConjunctionExpression,
    GateNode,
    Node,
    PromiseAttribute,
    SignalCondition,
    UnaryExpression,
    WorkflowNode,
)


def bindings(inputs: dict[str, BindingData]) -> list[Binding]:
    return [Binding(name=name, binding=data) for name, data in inputs.items()]


def compare(operator: int, left: BindingData, right: BindingData) -> BooleanExpression:
    return BooleanExpression(
        comparison=ComparisonExpression(operator=operator, left=left, right=right)
    )


def is_true(operand: BindingData) -> BooleanExpression:
    return BooleanExpression(
        unary=UnaryExpression(operator=UNARY_OPERATOR_IS_TRUE, operand=operand)
    )


def both(left: BooleanExpression, right: BooleanExpression) -> BooleanExpression:
    return BooleanExpression(
        conjunction=ConjunctionExpression(operator=LOGICAL_OPERATOR_AND, left=left, right=right)
    )


def either(left: BooleanExpression, right: BooleanExpression) -> BooleanExpression:
    return BooleanExpression(
        conjunction=ConjunctionExpression(operator=LOGICAL_OPERATOR_OR, left=left, right=right)
    )


def branch(
    node_id: str,
    cases: Sequence[tuple[BooleanExpression, Node]],
    else_node: Node | None = None,
    else_fail: str | None = None,
    upstream: Sequence[str] = (),
) -> Node:
    built = BranchNode(cases=[BranchCase(condition=c, then_node=n) for c, n in cases])
    if else_node is not None:
        built.else_node.CopyFrom(else_node)
    if else_fail is not None:
        built.else_fail = else_fail
    return Node(id=node_id, branch_node=built, upstream_node_ids=upstream)


def map_node(
    node_id: str,
    task: Identifier,
    mapped: Sequence[str],
    ratio: float | None = None,
    concurrency: int = 0,
    **inputs: BindingData,
) -> Node:
    array = ArrayNode(task_id=task, mapped_inputs=mapped, concurrency=concurrency)
    if ratio is not None:
        array.min_success_ratio = ratio
    return Node(id=node_id, array_node=array, inputs=bindings(inputs))


def sub_node(node_id: str, workflow: Identifier, **inputs: BindingData) -> Node:
    return Node(
        id=node_id, workflow_node=WorkflowNode(sub_workflow_id=workflow), inputs=bindings(inputs)
    )


def plan_node(node_id: str, launch_plan: Identifier, **inputs: BindingData) -> Node:
    return Node(
        id=node_id, workflow_node=WorkflowNode(launch_plan_id=launch_plan), inputs=bindings(inputs)
    )


def sleep_gate(node_id: str, seconds: int, nanos: int = 0) -> Node:
    return Node(id=node_id, gate_node=GateNode(sleep=Duration(seconds=seconds, nanos=nanos)))


def signal_gate(node_id: str, signal_id: str, type_: LiteralType | None) -> Node:
    return Node(
        id=node_id, gate_node=GateNode(signal=SignalCondition(signal_id=signal_id, type=type_))
    )


def approve_gate(node_id: str, signal_id: str, value: BindingData) -> Node:
    return Node(
        id=node_id,
        gate_node=GateNode(approve=ApproveCondition(signal_id=signal_id)),
        inputs=bindings({"value": value}),
    )


def attr(data: BindingData, *steps: str | int) -> BindingData:
    """``data`` with an attribute path: a name per str, an index per int."""
    with_path = BindingData()
    with_path.CopyFrom(data)
    for step in steps:
        if isinstance(step, int):
            with_path.attr_path.append(PromiseAttribute(index=step))
        else:
            with_path.attr_path.append(PromiseAttribute(name=step))
    return with_path


def the_error() -> BindingData:
    return BindingData(workflow_error=True)


def failure_task(task: Identifier, node_id: str = "on-failure", **inputs: BindingData) -> Node:
    return node(node_id, task, **inputs)
