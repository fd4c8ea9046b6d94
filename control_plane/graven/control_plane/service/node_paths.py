"""The nested node ids an execution of one workflow version can have, and their order.

A node execution id is a path of template ids and element indices joined by "/": a
top-level node ``n2``, a branch case ``n2/n3`` (the case node's template id), a map element
``n4/17``, a subworkflow's inner node ``n5/n0`` (nesting repeats: ``n5/n1/n0``), a failure
node ``on-failure`` (at the top or inside a subworkflow). Its parent is the path without its
last step.

Order (what ListNodeExecutions, watches and claims return): depth first, a node before the
nodes nested in it; siblings in their template's order (top level and subworkflows: the
closure's topological order, then the failure node; a branch: its cases in order, then the
else node; a map: element index).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from graven.v1.execution_pb2 import NodeExecution
from graven.v1.identifier_pb2 import Identifier
from graven.v1.workflow_pb2 import Node, Workflow, WorkflowTemplate

FAILURE_NODE_ID = "on-failure"
SEPARATOR = "/"

# Position of each child in its scope, and the child.
Scope = Mapping[str, tuple[int, Node]]
SortKey = tuple[int, ...]
UNKNOWN_KEY: SortKey = (sys.maxsize,)


@dataclass(frozen=True)
class ResolvedNode:
    """What a (nested) node execution id names."""

    # The template node; for a map element, the map node.
    node: Node
    # The task it runs, if it runs one (a task node, or a map element).
    task_id: Identifier | None
    parent_id: str
    key: SortKey


class NodePaths:
    """Resolves node execution ids against one workflow version (immutable, so a resolver is
    kept with the version)."""

    def __init__(self, workflow: Workflow) -> None:
        self._sub_workflows = {
            _version_key(sub.id): sub for sub in _all_sub_workflows(workflow.closure.sub_workflows)
        }
        self._top = _scope(workflow.spec.template, workflow.closure.node_order)
        self._scopes: dict[tuple[str, ...], Scope] = {}
        # Every event names a node: top-level ones, most of them, are one lookup.
        self._resolved_top = {
            node_id: ResolvedNode(
                node, node.task_node.task_id if node.HasField("task_node") else None, "", (i,)
            )
            for node_id, (i, node) in self._top.items()
        }

    def resolve(self, node_id: str) -> ResolvedNode | None:
        """The node ``node_id`` names, or None when this workflow has no such node."""
        if SEPARATOR not in node_id:
            return self._resolved_top.get(node_id)
        steps = node_id.split(SEPARATOR)
        scope: Scope | None = self._top
        key: list[int] = []
        found: ResolvedNode | None = None
        for depth, step in enumerate(steps):
            if scope is None:
                if found is None or not _is_element(found.node, step):
                    return None
                if depth != len(steps) - 1:
                    return None
                parent = SEPARATOR.join(steps[:depth])
                element = found.node
                return ResolvedNode(element, element.array_node.task_id, parent, (*key, int(step)))
            entry = scope.get(step)
            if entry is None:
                return None
            position, node = entry
            key.append(position)
            task = node.task_node.task_id if node.HasField("task_node") else None
            found = ResolvedNode(node, task, SEPARATOR.join(steps[:depth]), tuple(key))
            scope = self._children(node)
        return found

    def sort_key(self, node_id: str) -> SortKey | None:
        resolved = self.resolve(node_id)
        return None if resolved is None else resolved.key

    def _children(self, node: Node) -> Scope | None:
        """The scope of the nodes nested in ``node``; None for a map (its children are element
        indices) and for nodes with no children (which a map node's check tells apart)."""
        kind = node.WhichOneof("target")
        if kind == "branch_node":
            branch = node.branch_node
            cases = [case.then_node for case in branch.cases]
            if branch.HasField("else_node"):
                cases.append(branch.else_node)
            return {case.id: (i, case) for i, case in enumerate(cases)}
        if kind == "workflow_node" and node.workflow_node.HasField("sub_workflow_id"):
            sub_key = _version_key(node.workflow_node.sub_workflow_id)
            scope = self._scopes.get(sub_key)
            if scope is None:
                sub = self._sub_workflows.get(sub_key)
                scope = {} if sub is None else _scope(sub.spec.template, sub.closure.node_order)
                self._scopes[sub_key] = scope
            return scope
        return None


def in_order(paths: NodePaths, nodes: Iterable[NodeExecution]) -> list[NodeExecution]:
    """``nodes`` in the documented order (one the workflow does not know, which events never
    record, last)."""
    return sorted(nodes, key=lambda node: paths.sort_key(node.id.node_id) or UNKNOWN_KEY)


def _is_element(node: Node, step: str) -> bool:
    # Canonical decimal indices only, so one element has one id.
    return (
        node.HasField("array_node")
        and step.isdigit()
        and step.isascii()
        and (step == "0" or not step.startswith("0"))
    )


def _scope(template: WorkflowTemplate, order: Iterable[str]) -> Scope:
    by_id = {node.id: node for node in template.nodes}
    ids = [node_id for node_id in order if node_id in by_id] or list(by_id)
    scope = {node_id: (i, by_id[node_id]) for i, node_id in enumerate(ids)}
    if template.HasField("failure_node"):
        scope[template.failure_node.id or FAILURE_NODE_ID] = (len(ids), template.failure_node)
    return scope


def _all_sub_workflows(workflows: Iterable[Workflow]) -> Iterable[Workflow]:
    """The closure lists every inlined workflow at any depth; their own closures may too."""
    for workflow in workflows:
        yield workflow
        yield from _all_sub_workflows(workflow.closure.sub_workflows)


def _version_key(identifier: Identifier) -> tuple[str, str, str, str]:
    return (identifier.project, identifier.domain, identifier.name, identifier.version)
