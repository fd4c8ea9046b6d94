"""Promises: the values a workflow body handles while it is traced.

A workflow body runs once, at registration, to record which task feeds which; the values do
not exist yet. A promise stands for one of them (a workflow input or a node's output) and can
only be passed to tasks or returned. Anything that needs the value itself (``if``, ``for``,
``==``, ``+``, ``f"{x}"``, ``x[0]``, ``x.field``) raises ``GravenCompileError`` at once,
because silently recording the wrong graph would be far worse.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NoReturn

from graven.errors import GravenCompileError
from graven.types import describe_type
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import BindingData, OutputReference


class Promise(ABC):
    """A value of ``literal_type`` that will exist when the workflow runs."""

    __slots__ = ("label", "literal_type", "owner")

    def __init__(self, owner: object, literal_type: LiteralType, label: str) -> None:
        # ``owner`` is the trace that made the promise: a promise kept from one workflow's
        # trace must not leak into another's graph.
        self.owner = owner
        self.literal_type = literal_type
        self.label = label

    @abstractmethod
    def binding(self) -> BindingData: ...

    def workflow_name(self) -> str:
        return str(getattr(self.owner, "workflow_name", "?"))

    def _misuse(self, what: str) -> NoReturn:
        raise GravenCompileError(
            f"workflow {self.workflow_name()!r}: {self.label} is used in {what}, but a workflow "
            "body only wires tasks together: it runs once at registration, before any value "
            "exists. Pass the value to a task and do this inside the task."
        )

    def __repr__(self) -> str:
        return f"<Promise {self.label}: {describe_type(self.literal_type)}>"

    __hash__ = object.__hash__

    def __bool__(self) -> NoReturn:
        self._misuse("a condition (if, while, and, or, not, bool())")

    def __iter__(self) -> NoReturn:
        self._misuse("iteration or unpacking (for, *, tuple unpacking)")

    def __len__(self) -> NoReturn:
        self._misuse("len()")

    def __contains__(self, item: object) -> NoReturn:
        self._misuse("a membership test (in)")

    def __getitem__(self, key: object) -> NoReturn:
        self._misuse("indexing (x[...])")

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(name)
        self._misuse(f"attribute access (.{name})")

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        self._misuse("a call")

    def __format__(self, spec: str) -> NoReturn:
        self._misuse("string formatting (f-string, format())")

    def __str__(self) -> NoReturn:
        self._misuse("string conversion (str())")

    def __int__(self) -> NoReturn:
        self._misuse("int()")

    def __float__(self) -> NoReturn:
        self._misuse("float()")

    def __index__(self) -> NoReturn:
        self._misuse("an index")

    def __eq__(self, other: object) -> NoReturn:
        self._misuse("a comparison (==)")

    def __ne__(self, other: object) -> NoReturn:
        self._misuse("a comparison (!=)")

    def __lt__(self, other: object) -> NoReturn:
        self._misuse("a comparison (<)")

    def __le__(self, other: object) -> NoReturn:
        self._misuse("a comparison (<=)")

    def __gt__(self, other: object) -> NoReturn:
        self._misuse("a comparison (>)")

    def __ge__(self, other: object) -> NoReturn:
        self._misuse("a comparison (>=)")

    def __add__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (+)")

    def __radd__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (+)")

    def __sub__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (-)")

    def __rsub__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (-)")

    def __mul__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (*)")

    def __rmul__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (*)")

    def __truediv__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (/)")

    def __rtruediv__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (/)")

    def __floordiv__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (//)")

    def __rfloordiv__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (//)")

    def __mod__(self, other: object) -> NoReturn:
        self._misuse("arithmetic or formatting (%)")

    def __rmod__(self, other: object) -> NoReturn:
        self._misuse("arithmetic or formatting (%)")

    def __pow__(self, other: object) -> NoReturn:
        self._misuse("arithmetic (**)")

    def __neg__(self) -> NoReturn:
        self._misuse("arithmetic (unary -)")

    def __abs__(self) -> NoReturn:
        self._misuse("abs()")

    def __and__(self, other: object) -> NoReturn:
        self._misuse("a bitwise operation (&)")

    def __or__(self, other: object) -> NoReturn:
        self._misuse("a bitwise operation (|)")


class NodeOutput(Promise):
    """The output ``output_name`` of the node ``node_id``."""

    __slots__ = ("node_id", "output_name")

    def __init__(
        self, owner: object, node_id: str, output_name: str, literal_type: LiteralType, task: str
    ) -> None:
        super().__init__(owner, literal_type, f"output {output_name!r} of node {node_id} ({task})")
        self.node_id = node_id
        self.output_name = output_name

    def binding(self) -> BindingData:
        return BindingData(
            promise=OutputReference(node_id=self.node_id, output_name=self.output_name)
        )


class WorkflowInput(Promise):
    """The workflow's input ``name``."""

    __slots__ = ("name",)

    def __init__(self, owner: object, name: str, literal_type: LiteralType) -> None:
        super().__init__(owner, literal_type, f"input {name!r}")
        self.name = name

    def binding(self) -> BindingData:
        return BindingData(workflow_input=self.name)
