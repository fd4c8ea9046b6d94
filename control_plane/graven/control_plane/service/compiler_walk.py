"""Walking a workflow template's nodes at every depth (branch cases included), before any
type is known: where each node is, which ids it names, which entities it references."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from graven.shown import shown
from graven.v1.identifier_pb2 import Identifier
from graven.v1.workflow_pb2 import BindingData, BooleanExpression, Node, WorkflowTemplate

FAILURE_NODE_ID = "on-failure"
# No "/": nested node execution ids ("n2/n3", "n4/17") use it as their separator.
NODE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class Located:
    """A node with its request path (``field``) and how messages name it (``label``).
    ``branch`` is the top-level branch a case node is nested in (None at the top level and
    for the failure node): only that branch's id is visible to other nodes."""

    node: Node
    field: str
    label: str
    branch: str | None = None


def each_node(template: WorkflowTemplate, at: str) -> Iterator[Located]:
    """Every node of the template, parents before their case nodes, the failure node last."""
    for i, node in enumerate(template.nodes):
        yield from _with_cases(Located(node, f"{at}.nodes[{i}]", f"node {shown(node.id)}"))
    if template.HasField("failure_node"):
        failure = template.failure_node
        yield Located(failure, f"{at}.failure_node", f"failure node {shown(failure.id)}")


def _with_cases(place: Located) -> Iterator[Located]:
    yield place
    for _, inner in case_places(place):
        yield from _with_cases(inner)


def case_places(place: Located) -> list[tuple[int | None, Located]]:
    """A branch's case nodes that are set, each with its case index (None: the else)."""
    node = place.node
    if node.WhichOneof("target") != "branch_node":
        return []
    top = place.branch or node.id
    branch = node.branch_node
    cases: list[tuple[int | None, Node, str]] = [
        (k, case.then_node, f"cases[{k}].then_node")
        for k, case in enumerate(branch.cases)
        if case.HasField("then_node")
    ]
    if branch.HasField("else_node"):
        cases.append((None, branch.else_node, "else_node"))
    return [
        (
            k,
            Located(
                inner,
                f"{place.field}.branch_node.{path}",
                f"node {shown(inner.id)} ({'the else' if k is None else f'case {k}'} of branch "
                f"{shown(node.id)})",
                top,
            ),
        )
        for k, inner, path in cases
    ]


def condition_operands(expression: BooleanExpression) -> Iterator[BindingData]:
    which = expression.WhichOneof("expression")
    if which == "conjunction":
        yield from condition_operands(expression.conjunction.left)
        yield from condition_operands(expression.conjunction.right)
    elif which == "comparison":
        yield expression.comparison.left
        yield expression.comparison.right
    elif which == "unary":
        yield expression.unary.operand


def named_nodes(node: Node) -> set[str]:
    """The ids a node (with its case nodes) names in promises and upstream_node_ids: what it
    waits for, whether or not those nodes exist (the type check reports those that do not)."""
    named = set(node.upstream_node_ids)
    for binding in node.inputs:
        named |= _promised(binding.binding)
    if node.WhichOneof("target") == "branch_node":
        for case in node.branch_node.cases:
            for operand in condition_operands(case.condition):
                named |= _promised(operand)
        for _, inner in case_places(Located(node, "", "")):
            named |= named_nodes(inner.node)
    return named


def _promised(data: BindingData) -> set[str]:
    kind = data.WhichOneof("value")
    if kind == "promise":
        return {data.promise.node_id}
    if kind == "collection":
        return set().union(*(_promised(item) for item in data.collection.bindings))
    if kind == "map":
        return set().union(*(_promised(item) for item in data.map.bindings.values()))
    return set()


def entity_references(template: WorkflowTemplate) -> Iterator[Identifier]:
    """The workflows and launch plans the template's workflow nodes name, at any depth."""
    for place in each_node(template, ""):
        if place.node.WhichOneof("target") == "workflow_node":
            workflow_node = place.node.workflow_node
            reference = workflow_node.WhichOneof("reference")
            if reference is not None:
                identifier: Identifier = getattr(workflow_node, reference)
                yield identifier
