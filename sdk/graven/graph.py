"""A workflow template's dependency edges and an order that respects them.

A node depends on every node its bindings name (inputs, branch conditions and the nodes of
its cases, at any depth) and on its ``upstream_node_ids`` (``>>``). Bindings only ever name
top-level nodes, so the edges are between top-level nodes.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence

from graven.errors import GravenCompileError
from graven.v1.workflow_pb2 import BindingData, BooleanExpression, Node


def _binding_nodes(binding: BindingData) -> Iterator[str]:
    which = binding.WhichOneof("value")
    if which == "promise":
        yield binding.promise.node_id
    elif which == "collection":
        for item in binding.collection.bindings:
            yield from _binding_nodes(item)
    elif which == "map":
        for item in binding.map.bindings.values():
            yield from _binding_nodes(item)


def _condition_nodes(expression: BooleanExpression) -> Iterator[str]:
    which = expression.WhichOneof("expression")
    if which == "comparison":
        yield from _binding_nodes(expression.comparison.left)
        yield from _binding_nodes(expression.comparison.right)
    elif which == "unary":
        yield from _binding_nodes(expression.unary.operand)
    elif which == "conjunction":
        yield from _condition_nodes(expression.conjunction.left)
        yield from _condition_nodes(expression.conjunction.right)


def dependencies(node: Node) -> set[str]:
    """The ids of the nodes ``node`` waits for."""
    found = set(node.upstream_node_ids)
    for binding in node.inputs:
        found.update(_binding_nodes(binding.binding))
    if node.WhichOneof("target") == "branch_node":
        branch = node.branch_node
        for case in branch.cases:
            found.update(_condition_nodes(case.condition))
            found.update(dependencies(case.then_node))
        if branch.WhichOneof("otherwise") == "else_node":
            found.update(dependencies(branch.else_node))
    return found


def topological_order(nodes: Sequence[Node], where: str) -> list[str]:
    """Node ids, each after the nodes it waits for, otherwise in the given (call) order;
    ``GravenCompileError`` naming the nodes of a cycle (only ``>>`` can make one)."""
    position = {node.id: i for i, node in enumerate(nodes)}
    waits = {node.id: dependencies(node) & position.keys() for node in nodes}
    users: dict[str, list[str]] = {node.id: [] for node in nodes}
    for node_id, deps in waits.items():
        for dep in deps:
            users[dep].append(node_id)
    remaining = {node_id: len(deps) for node_id, deps in waits.items()}
    ready = [(position[n], n) for n, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node_id = heapq.heappop(ready)
        order.append(node_id)
        for user in users[node_id]:
            remaining[user] -= 1
            if remaining[user] == 0:
                heapq.heappush(ready, (position[user], user))
    if len(order) < len(nodes):
        stuck = sorted((n for n, count in remaining.items() if count), key=position.__getitem__)
        raise GravenCompileError(
            f"{where}: nodes {', '.join(stuck)} wait for each other (a cycle of >> and "
            "bindings); remove one of the orderings"
        )
    return order
