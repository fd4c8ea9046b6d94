"""The graph a walk runs: a workflow's nodes, flattened, with nested ids.

Registration keeps the workflow language nested (a branch holds its case nodes, a workflow
node names a subworkflow); the walk wants one flat set of nodes it can schedule. This module
builds that set, with no I/O:

- A subworkflow is inlined: its nodes become nodes of this walk under ``<node id>/``, their
  bindings rewritten so that the subworkflow's inputs read what the workflow node binds to
  them. The workflow node itself stays as the node that settles once its inner nodes have,
  with the subworkflow's outputs.
- A branch's case nodes become nodes under ``<branch id>/``, disabled until the branch
  decides which one runs.
- A map's elements are not known until its lists are: the walk adds them (``element``).
- The failure node (``on-failure``) is disabled until the workflow fails.

Ids of inlined nodes carry their scope's prefix, so a reference inside a subworkflow to its
own node ``n1`` becomes ``<node id>/n1``; "/" never appears in a registered id, so a nested
id can not collide with a top-level one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from graven.attributes import follow_path
from graven.data_plane.bindings import BindingError, promised_nodes
from graven.v1.identifier_pb2 import Identifier
from graven.v1.literals_pb2 import Literal
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import (
    Binding,
    BindingCollection,
    BindingData,
    BindingMap,
    BooleanExpression,
    Node,
    TaskNode,
    Workflow,
)

FAILURE_NODE_ID = "on-failure"


class Kind(Enum):
    TASK = "task"
    BRANCH = "branch"
    MAP = "map"
    SUBWORKFLOW = "subworkflow"
    LAUNCH_PLAN = "launch plan"
    GATE = "gate"


@dataclass(eq=False)
class GraphNode:
    """One node of the walk, as fixed by the spec (its run state is the walk's)."""

    id: str
    kind: Kind
    # The spec node, its bindings rewritten into this walk's ids (inlined subworkflows).
    node: Node
    parent: str = ""
    task: Task | None = None
    # The nodes that must succeed before this one can start (by id).
    upstream: tuple[str, ...] = ()
    # Disabled nodes wait to be enabled: case nodes by their branch, the failure node by
    # the workflow's failure.
    enabled: bool = True
    # BRANCH: (condition, case node id) in order, then the else node's id or message.
    cases: tuple[tuple[BooleanExpression, str], ...] = ()
    else_id: str = ""
    else_fail: str | None = None
    # SUBWORKFLOW: its inner nodes (direct children) and its outputs.
    children: tuple[str, ...] = ()
    outputs: tuple[Binding, ...] = ()
    downstream: list[str] = field(default_factory=list)


class Graph:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.nodes: dict[str, GraphNode] = {}
        self._tasks = {_task_key(t.id): t for t in workflow.closure.tasks}
        self._workflows = {_task_key(w.id): w for w in _sub_workflows(workflow)}
        template = workflow.spec.template
        # The top-level scope: workflow inputs stay workflow inputs.
        self.top = self._scope(template.nodes, prefix="", parent="", inputs=None, enabled=True)
        self.failure: str | None = None
        if template.HasField("failure_node"):
            failure = self._add(template.failure_node, "", "", None, enabled=False)
            self.failure = failure.id
        for graph_node in self.nodes.values():
            for up in graph_node.upstream:
                self.nodes[up].downstream.append(graph_node.id)

    def __getitem__(self, node_id: str) -> GraphNode:
        return self.nodes[node_id]

    def __iter__(self) -> Iterator[GraphNode]:
        return iter(self.nodes.values())

    def subtree(self, node_id: str) -> Iterator[GraphNode]:
        """The node and every node nested in it (case nodes, inner nodes), parents first."""
        graph_node = self.nodes[node_id]
        yield graph_node
        for child in (*graph_node.children, *(case for _, case in graph_node.cases)):
            yield from self.subtree(child)
        if graph_node.else_id:
            yield from self.subtree(graph_node.else_id)

    def element(self, map_id: str, index: int, inputs: Mapping[str, Literal]) -> GraphNode:
        """Element ``index`` of a map: its task on these inputs (constants by now)."""
        parent = self.nodes[map_id]
        node = Node(
            id=f"{map_id}/{index}",
            metadata=parent.node.metadata,
            inputs=[
                Binding(name=name, binding=BindingData(literal=literal))
                for name, literal in inputs.items()
            ],
            task_node=TaskNode(task_id=parent.node.array_node.task_id),
        )
        graph_node = GraphNode(node.id, Kind.TASK, node, parent=map_id, task=parent.task)
        self.nodes[node.id] = graph_node
        return graph_node

    # Building.

    def _scope(
        self,
        nodes: Iterable[Node],
        prefix: str,
        parent: str,
        inputs: Mapping[str, BindingData] | None,
        enabled: bool,
        after: tuple[str, ...] = (),
    ) -> tuple[str, ...]:
        return tuple(self._add(node, prefix, parent, inputs, enabled, after).id for node in nodes)

    def _add(
        self,
        spec: Node,
        prefix: str,
        parent: str,
        inputs: Mapping[str, BindingData] | None,
        enabled: bool,
        after: tuple[str, ...] = (),
        node_id: str | None = None,
    ) -> GraphNode:
        """Add ``spec`` (and what it nests) as ``node_id`` (default: prefix + its own id);
        ``inputs`` is how the enclosing subworkflow's inputs are bound (None at the top)."""
        node = Node()
        node.CopyFrom(spec)
        node.id = node_id or prefix + spec.id
        del node.inputs[:]
        node.inputs.extend(
            Binding(name=b.name, binding=_rewrite(b.binding, prefix, inputs)) for b in spec.inputs
        )
        del node.upstream_node_ids[:]
        node.upstream_node_ids.extend(prefix + up for up in spec.upstream_node_ids)
        upstream = dict.fromkeys(after)
        upstream.update(dict.fromkeys(node.upstream_node_ids))
        for binding in node.inputs:
            upstream.update(dict.fromkeys(promised_nodes(binding.binding)))
        target = spec.WhichOneof("target")
        graph_node = GraphNode(node.id, Kind.TASK, node, parent=parent, enabled=enabled)
        self.nodes[node.id] = graph_node
        if target == "task_node":
            graph_node.task = self._tasks[_task_key(spec.task_node.task_id)]
        elif target == "array_node":
            graph_node.kind = Kind.MAP
            graph_node.task = self._tasks[_task_key(spec.array_node.task_id)]
        elif target == "gate_node":
            graph_node.kind = Kind.GATE
        elif target == "branch_node":
            graph_node.kind = Kind.BRANCH
            cases = []
            for case in spec.branch_node.cases:
                condition = _rewrite_condition(case.condition, prefix, inputs)
                upstream.update(dict.fromkeys(_condition_nodes(condition)))
                child = self._add(
                    case.then_node,
                    prefix,
                    node.id,
                    inputs,
                    False,
                    after,
                    node_id=f"{node.id}/{case.then_node.id}",
                )
                cases.append((condition, child.id))
            graph_node.cases = tuple(cases)
            otherwise = spec.branch_node.WhichOneof("otherwise")
            if otherwise == "else_node":
                else_node = spec.branch_node.else_node
                graph_node.else_id = self._add(
                    else_node,
                    prefix,
                    node.id,
                    inputs,
                    False,
                    after,
                    node_id=f"{node.id}/{else_node.id}",
                ).id
            elif otherwise == "else_fail":
                graph_node.else_fail = spec.branch_node.else_fail
        elif target == "workflow_node" and spec.workflow_node.HasField("sub_workflow_id"):
            graph_node.kind = Kind.SUBWORKFLOW
            sub = self._workflows[_task_key(spec.workflow_node.sub_workflow_id)]
            template = sub.spec.template
            bound = {b.name: b.binding for b in node.inputs}
            for variable in template.interface.inputs:
                if variable.name not in bound and variable.HasField("default"):
                    bound[variable.name] = BindingData(literal=variable.default)
            inner = f"{node.id}/"
            # The inner nodes wait for what the workflow node waits for beyond its data.
            explicit = tuple(dict.fromkeys([*after, *node.upstream_node_ids]))
            graph_node.children = self._scope(
                template.nodes, inner, node.id, bound, enabled, explicit
            )
            graph_node.outputs = tuple(
                Binding(name=b.name, binding=_rewrite(b.binding, inner, bound))
                for b in template.outputs
            )
            # It settles once its inner nodes have; its data dependencies are theirs.
            upstream = dict.fromkeys(explicit)
        elif target == "workflow_node":
            graph_node.kind = Kind.LAUNCH_PLAN
        else:
            raise BindingError(f"node {node.id!r} has no target this agent knows ({target})")
        graph_node.upstream = tuple(upstream)
        return graph_node


def _sub_workflows(workflow: Workflow) -> Iterator[Workflow]:
    for sub in workflow.closure.sub_workflows:
        yield sub
        yield from _sub_workflows(sub)


def _rewrite(
    data: BindingData, prefix: str, inputs: Mapping[str, BindingData] | None
) -> BindingData:
    """``data`` as seen from the enclosing walk: promises of inlined nodes carry their
    prefix, and a subworkflow's inputs are replaced by what its workflow node binds."""
    if not prefix and inputs is None:
        return data
    kind = data.WhichOneof("value")
    if kind == "promise":
        rewritten = BindingData()
        rewritten.CopyFrom(data)
        rewritten.promise.node_id = prefix + data.promise.node_id
        return rewritten
    if kind == "workflow_input" and inputs is not None:
        if data.workflow_input not in inputs:
            raise BindingError(f"the subworkflow input {data.workflow_input!r} is not bound")
        return _with_path(inputs[data.workflow_input], data)
    if kind == "collection":
        return BindingData(
            collection=BindingCollection(
                bindings=[_rewrite(b, prefix, inputs) for b in data.collection.bindings]
            )
        )
    if kind == "map":
        return BindingData(
            map=BindingMap(
                bindings={k: _rewrite(b, prefix, inputs) for k, b in data.map.bindings.items()}
            )
        )
    return data


def _with_path(outer: BindingData, inner: BindingData) -> BindingData:
    """The outer binding of a subworkflow input, followed by the inner attribute path."""
    if not inner.attr_path:
        return outer
    if outer.WhichOneof("value") == "literal":
        return BindingData(literal=follow_path(outer.literal, inner.attr_path))
    if outer.WhichOneof("value") in ("promise", "workflow_input"):
        combined = BindingData()
        combined.CopyFrom(outer)
        combined.attr_path.extend(inner.attr_path)
        return combined
    raise BindingError(
        f"input {inner.workflow_input!r} is bound to a list or dict built in the workflow: "
        "an attribute path into it is not supported"
    )


def _rewrite_condition(
    expression: BooleanExpression, prefix: str, inputs: Mapping[str, BindingData] | None
) -> BooleanExpression:
    rewritten = BooleanExpression()
    rewritten.CopyFrom(expression)
    for operand in _operands(rewritten):
        operand.CopyFrom(_rewrite(operand, prefix, inputs))
    return rewritten


def _operands(expression: BooleanExpression) -> Iterator[BindingData]:
    which = expression.WhichOneof("expression")
    if which == "comparison":
        yield expression.comparison.left
        yield expression.comparison.right
    elif which == "unary":
        yield expression.unary.operand
    elif which == "conjunction":
        yield from _operands(expression.conjunction.left)
        yield from _operands(expression.conjunction.right)


def _condition_nodes(expression: BooleanExpression) -> Iterator[str]:
    for operand in _operands(expression):
        yield from promised_nodes(operand)


def _task_key(identifier: Identifier) -> tuple[str, str, str, str]:
    return (identifier.project, identifier.domain, identifier.name, identifier.version)
