"""Recording a workflow body as a graph.

While a workflow is traced, a task call does not run the task: it appends a node, binds each
argument (a promise, a static value, or a list or dict mixing both), type-checks every binding
against the task's interface, and returns promises for the node's outputs. Node ids are
``n0``, ``n1``, ... in call order; each node's metadata name is the task's function name.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from graven.errors import GravenCompileError, GravenTypeError, GravenValueError
from graven.literals import to_literal
from graven.promise import NodeOutput, Promise
from graven.types import literal_type_of, type_name, type_problem
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, Identifier
from graven.v1.workflow_pb2 import (
    Binding,
    BindingCollection,
    BindingData,
    BindingMap,
    Node,
    NodeMetadata,
    TaskNode,
)

if TYPE_CHECKING:
    from graven.task import Task

_current: ContextVar[Trace | None] = ContextVar("graven_trace", default=None)


@dataclass(frozen=True)
class TracedNode:
    """A node of the graph and the task it runs (its id is filled in at registration)."""

    node: Node
    task: Task[..., object]


class Trace:
    def __init__(self, workflow_name: str) -> None:
        self.workflow_name = workflow_name
        self.nodes: list[TracedNode] = []

    def call_task(
        self, task: Task[..., object], args: Sequence[object], kwargs: Mapping[str, object]
    ) -> object:
        node_id = f"n{len(self.nodes)}"
        where = f"workflow {self.workflow_name!r}: node {node_id} (task {task.name!r})"
        try:
            arguments = task.interface.bind(args, kwargs)
        except TypeError as exc:
            raise GravenCompileError(f"{where}: {exc}") from None
        inputs = [
            Binding(
                name=name,
                binding=self.bind(
                    value, task.interface.input(name).python_type, f"{where}: input {name!r}"
                ),
            )
            for name, value in arguments.items()
        ]
        node = Node(
            id=node_id,
            metadata=NodeMetadata(name=task.fn.__name__),
            inputs=inputs,
            task_node=TaskNode(
                task_id=Identifier(resource_type=RESOURCE_TYPE_TASK, name=task.name)
            ),
        )
        self.nodes.append(TracedNode(node, task))
        outputs = {
            p.name: NodeOutput(self, node_id, p.name, p.literal_type, task.name)
            for p in task.interface.outputs
        }
        return task.interface.assemble(outputs)

    def bind(self, value: object, tp: object, where: str) -> BindingData:
        """How ``value`` feeds a node input or workflow output (``where``) of type ``tp``."""
        try:
            return self._bind(value, tp)
        except (GravenCompileError, GravenTypeError, GravenValueError) as exc:
            raise GravenCompileError(f"{where}: {exc}") from None

    def _bind(self, value: object, tp: object) -> BindingData:
        if isinstance(value, Promise):
            if value.owner is not self:
                raise GravenCompileError(
                    f"{value.label} belongs to workflow {value.workflow_name()!r}, not this one"
                )
            problem = type_problem(value.literal_type, literal_type_of(tp))
            if problem is not None:
                raise GravenCompileError(f"{value.label}: {problem}")
            return value.binding()
        if not _holds_promise(value):
            return BindingData(literal=to_literal(value, tp))
        if isinstance(value, list | tuple):
            item_type = _arm(tp, list)
            return BindingData(
                collection=BindingCollection(bindings=[self._bind(v, item_type) for v in value])
            )
        if isinstance(value, dict):
            value_type = _arm(tp, dict)
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


def _arm(tp: object, container: type) -> object:
    """The item type of the list (or value type of the dict) that ``tp`` accepts."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        return _arm(args[0], container)
    if origin is container:
        return args[-1]
    for variant in args if origin is typing.Union or origin is types.UnionType else ():
        if typing.get_origin(variant) is container:
            return typing.get_args(variant)[-1]
    raise GravenCompileError(f"a {container.__name__} cannot bind to {type_name(tp)}")


def _holds_promise(value: object) -> bool:
    if isinstance(value, Promise):
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


@contextmanager
def tracing(trace: Trace) -> Iterator[Trace]:
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)
