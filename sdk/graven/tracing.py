"""Recording a workflow body as a graph.

While a workflow is traced, a node call (a task, a map, a subworkflow, a launch plan, a gate,
a conditional) does not run anything: it records a node, binds each argument (a promise, a
static value, or a list or dict mixing both), type-checks every binding against what the node
takes, and returns promises for the node's outputs (or a ``NodeHandle`` when it has none).

Node ids are ``n0``, ``n1``, ... from one counter per trace, in call order, nodes inside
branch cases included. Nodes go into the innermost open *scope*: the workflow's own list, or
the case a conditional has open (which takes exactly one). A binding may only name a
top-level node: a case node's outputs reach the rest of the graph through its branch.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, NoReturn

from graven.errors import GravenCompileError, GravenTypeError, GravenValueError
from graven.interface import Outputs, Parameter
from graven.literals import to_literal
from graven.promise import NodeHandle, Promise
from graven.types import literal_type_of, type_name, type_problem
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, Identifier
from graven.v1.workflow_pb2 import (
    Binding,
    BindingCollection,
    BindingData,
    BindingMap,
    BooleanExpression,
    BranchCase,
    BranchNode,
    Node,
    NodeMetadata,
    TaskNode,
)

if TYPE_CHECKING:
    from graven.launch_plan import LaunchPlan
    from graven.task import Task
    from graven.workflow import Workflow

_current: ContextVar[Trace | None] = ContextVar("graven_trace", default=None)

NO_OUTPUTS = Outputs((), None)


@dataclass(eq=False)
class TracedCase:
    condition: BooleanExpression
    node: TracedNode | None = None


@dataclass(eq=False)
class TracedBranch:
    """A conditional's cases while they are being written; ``node_proto`` builds the
    ``BranchNode`` once they are all there."""

    name: str
    cases: list[TracedCase] = field(default_factory=list)
    else_node: TracedNode | None = None
    else_fail: str | None = None

    def proto(self) -> BranchNode:
        branch = BranchNode(
            cases=[
                BranchCase(condition=c.condition, then_node=c.node.proto())
                for c in self.cases
                if c.node is not None
            ]
        )
        if self.else_node is not None:
            branch.else_node.CopyFrom(self.else_node.proto())
        elif self.else_fail is not None:
            branch.else_fail = self.else_fail
        return branch

    def nodes(self) -> list[TracedNode]:
        found = [c.node for c in self.cases if c.node is not None]
        return found if self.else_node is None else [*found, self.else_node]


@dataclass(eq=False)
class TracedNode:
    """A recorded node and what it refers to by name (filled with versions at registration,
    run by a local run). A branch's ``node`` has no ``branch_node`` yet: ``proto()`` adds it."""

    node: Node
    outputs: Outputs
    what: str
    task: Task[..., object] | None = None
    workflow: Workflow[..., object] | None = None
    launch_plan: LaunchPlan | None = None
    branch: TracedBranch | None = None

    @property
    def id(self) -> str:
        return self.node.id

    def proto(self) -> Node:
        node = Node()
        node.CopyFrom(self.node)
        if self.branch is not None:
            node.branch_node.CopyFrom(self.branch.proto())
        return node

    def walk(self) -> Iterator[TracedNode]:
        """This node and every node nested in it (branch cases, at any depth)."""
        yield self
        if self.branch is not None:
            for nested in self.branch.nodes():
                yield from nested.walk()


@dataclass(eq=False)
class Scope:
    """Where the next node call goes: the workflow (no limit) or an open case (one node)."""

    label: str
    limit: int | None
    nodes: list[TracedNode] = field(default_factory=list)


class Trace:
    def __init__(self, workflow_name: str, parent: Trace | None = None) -> None:
        self.workflow_name = workflow_name
        # The trace that was running when this one started: a workflow node compiles its
        # subworkflow inside its caller's trace, which is how recursion is found.
        self.parent = parent
        self.scopes = [Scope(f"workflow {workflow_name!r}", None)]
        self.nested_ids: set[str] = set()
        self.by_id: dict[str, TracedNode] = {}
        # Checks run when the body returns: each names a construct left half-written.
        self.pending: list[Callable[[], str | None]] = []
        self._count = 0

    @property
    def nodes(self) -> list[TracedNode]:
        return self.scopes[0].nodes

    def where(self) -> str:
        return f"workflow {self.workflow_name!r}"

    def chain(self) -> list[str]:
        """The workflows being traced, outermost first, ending with this one."""
        names = [] if self.parent is None else self.parent.chain()
        return [*names, self.workflow_name]

    def next_id(self, what: str) -> str:
        """The id of the node ``what`` about to be recorded. A full case is refused here,
        before the node's arguments are bound, so the error names the real mistake."""
        node_id = f"n{self._count}"
        scope = self.scopes[-1]
        if scope.limit is not None and len(scope.nodes) >= scope.limit:
            self._refuse(scope, node_id, what)
        self._count += 1
        return node_id

    def _refuse(self, scope: Scope, node_id: str, what: str) -> NoReturn:
        first = scope.nodes[0]
        raise GravenCompileError(
            f"{self.where()}: {scope.label} already runs node {first.id} ({first.what}), "
            f"then node {node_id} ({what}) is called too; a case takes exactly one "
            "node call (a task, map, subworkflow, launch plan, gate or conditional)"
        )

    # --- scopes ---------------------------------------------------------------------------

    def open_scope(self, label: str) -> Scope:
        scope = Scope(label, 1)
        self.scopes.append(scope)
        return scope

    def close_scope(self, scope: Scope) -> TracedNode | None:
        if self.scopes[-1] is not scope:
            raise GravenCompileError(
                f"{self.where()}: {self.scopes[-1].label} is still open when {scope.label} "
                "closes; finish the inner conditional with .then(...) or .fail(...) first"
            )
        self.scopes.pop()
        return scope.nodes[0] if scope.nodes else None

    def record(self, traced: TracedNode) -> None:
        scope = self.scopes[-1]
        if scope.limit is not None and len(scope.nodes) >= scope.limit:
            self._refuse(scope, traced.id, traced.what)
        scope.nodes.append(traced)
        if len(self.scopes) > 1:
            for nested in traced.walk():
                self.nested_ids.add(nested.id)
        self.by_id[traced.id] = traced

    def add(self, traced: TracedNode) -> object:
        """Record ``traced`` and give its outputs as the caller receives them."""
        self.record(traced)
        return self.results(traced)

    def results(self, traced: TracedNode) -> object:
        if not traced.outputs.params:
            return NodeHandle(self, traced.id, traced.what)
        promises = {
            p.name: Promise.node_output(
                self, traced.id, p.name, p.literal_type, p.python_type, traced.what
            )
            for p in traced.outputs.params
        }
        return traced.outputs.assemble(promises)

    # --- ordering -------------------------------------------------------------------------

    def order(self, upstream: Sequence[str], downstream: Sequence[str]) -> None:
        """``a >> b``: every node of ``downstream`` waits for every node of ``upstream``."""
        for node_id in (*upstream, *downstream):
            if node_id in self.nested_ids or node_id not in self.by_id:
                raise GravenCompileError(
                    f"{self.where()}: node {node_id} is inside a conditional's case; >> orders "
                    "top-level nodes (order the conditional itself)"
                )
        for down in downstream:
            node = self.by_id[down].node
            for up in upstream:
                if up == down:
                    raise GravenCompileError(f"{self.where()}: node {up} >> itself")
                if up not in node.upstream_node_ids:
                    node.upstream_node_ids.append(up)

    # --- nodes ----------------------------------------------------------------------------

    def call_task(
        self, task: Task[..., object], args: Sequence[object], kwargs: Mapping[str, object]
    ) -> object:
        node_id = self.next_id(task.name)
        where = f"{self.where()}: node {node_id} (task {task.name!r})"
        try:
            arguments = task.interface.bind(args, kwargs)
        except TypeError as exc:
            raise GravenCompileError(f"{where}: {exc}") from None
        node = Node(
            id=node_id,
            metadata=NodeMetadata(name=task.fn.__name__),
            inputs=self.bind_inputs(task.interface.inputs, arguments, where),
            task_node=TaskNode(
                task_id=Identifier(resource_type=RESOURCE_TYPE_TASK, name=task.name)
            ),
        )
        return self.add(TracedNode(node, task.interface.output_set, task.name, task=task))

    def bind_inputs(
        self, params: Sequence[Parameter], arguments: Mapping[str, object], where: str
    ) -> list[Binding]:
        by_name = {p.name: p for p in params}
        return [
            Binding(
                name=name,
                binding=self.bind(value, by_name[name].python_type, f"{where}: input {name!r}"),
            )
            for name, value in arguments.items()
        ]

    def bind(self, value: object, tp: object, where: str) -> BindingData:
        """How ``value`` feeds a node input or workflow output (``where``) of type ``tp``."""
        try:
            return self._bind(value, tp)
        except (GravenCompileError, GravenTypeError, GravenValueError) as exc:
            raise GravenCompileError(f"{where}: {exc}") from None

    def check_promise(self, value: Promise) -> None:
        """``value`` may be bound here: it is this trace's, and not inside a case."""
        if value.owner is not self:
            raise GravenCompileError(
                f"{value.label} belongs to workflow {value.workflow_name()!r}, not this one"
            )
        if value.node_id is not None and value.node_id in self.nested_ids:
            raise GravenCompileError(
                f"{value.label} is inside a conditional's case, which may not run; use the "
                "outputs the conditional returns instead"
            )

    def _bind(self, value: object, tp: object) -> BindingData:
        if isinstance(value, Promise):
            self.check_promise(value)
            problem = type_problem(value.literal_type, literal_type_of(tp))
            if problem is not None:
                raise GravenCompileError(f"{value.label}: {problem}")
            return value.binding()
        if isinstance(value, NodeHandle):
            raise GravenCompileError(
                f"node {value.node_id} ({value.label}) has no outputs to bind; order it with >> "
                "instead"
            )
        if not _holds_promise(value):
            return BindingData(literal=to_literal(value, tp))
        if isinstance(value, list | tuple):
            item_type = item_type_of(tp, list)
            return BindingData(
                collection=BindingCollection(bindings=[self._bind(v, item_type) for v in value])
            )
        if isinstance(value, dict):
            value_type = item_type_of(tp, dict)
            bad = [k for k in value if not isinstance(k, str)]
            if bad:
                raise GravenCompileError(f"dict key {bad[0]!r} is not a str")
            return BindingData(
                map=BindingMap(bindings={k: self._bind(v, value_type) for k, v in value.items()})
            )
        raise GravenCompileError(
            f"a {type(value).__qualname__} built from promises cannot be bound: the workflow "
            "body has no values to build it with; build it inside a task"
        )


def item_type_of(tp: object, container: type) -> object:
    """The item type of the list (or value type of the dict) that ``tp`` accepts."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        return item_type_of(args[0], container)
    if origin is container:
        return args[-1]
    for variant in args if origin is typing.Union or origin is types.UnionType else ():
        if typing.get_origin(variant) is container:
            return typing.get_args(variant)[-1]
    raise GravenCompileError(f"a {container.__name__} cannot bind to {type_name(tp)}")


def _holds_promise(value: object) -> bool:
    if isinstance(value, Promise | NodeHandle):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_promise(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_promise(v) for v in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_holds_promise(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def current_trace() -> Trace | None:
    return _current.get()


def require_trace(what: str) -> Trace:
    """The running trace; ``what`` (e.g. "graven.sleep") is only meaningful inside one."""
    trace = current_trace()
    if trace is None:
        raise GravenCompileError(
            f"{what} adds a node to a workflow: call it inside a @workflow body"
        )
    return trace


@contextmanager
def tracing(trace: Trace) -> Iterator[Trace]:
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)
