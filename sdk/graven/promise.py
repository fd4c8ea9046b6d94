"""Promises: the values a workflow body handles while it is traced.

A workflow body runs once, at registration, to record the graph; the values do not exist yet.
A promise stands for one of them (a workflow input or a node's output, or a part of one taken
with ``p.field``, ``p[0]`` or ``p["key"]``) and can be passed to nodes, returned, compared
into a branch condition (``p > 0``, ``p.is_none()``), or ordered with ``>>``. Anything that
needs the value itself (``if``, ``for``, ``+``, ``f"{x}"``) raises ``GravenCompileError`` at
once, because silently recording the wrong graph would be far worse.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, NoReturn

from graven.attributes import AttributePathError, attribute_type, describe_path
from graven.errors import GravenCompileError
from graven.types import describe_type
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import BindingData, OutputReference, PromiseAttribute

if TYPE_CHECKING:
    from graven.expressions import Condition

_TASK_HINT = "Pass the value to a task and do this inside the task."
_CONDITIONAL_HINT = (
    "Use graven.conditional(...) to branch on it, or pass the value to a task and do this "
    "inside the task."
)
_MAP_HINT = (
    "Use graven.map(task)(...) to run a task on each element, or pass the value to a task and "
    "do this inside the task."
)


class Handle:
    """The result of a node call that can be ordered with ``>>``: ``a >> b`` runs ``b`` after
    ``a`` even when no data flows between them, and gives ``b`` back so chains read left to
    right. A tuple of results works on either side of a handle or promise (not between two
    tuples: Python gives a tuple no ``>>``)."""

    __slots__ = ()

    def ordering_ids(self) -> list[str]:
        raise NotImplementedError

    def ordering_owner(self) -> object:
        raise NotImplementedError

    def __rshift__(self, other: object) -> object:
        _order(self.ordering_owner(), self, other)
        return other

    def __rrshift__(self, other: object) -> object:
        _order(self.ordering_owner(), other, self)
        return self


class NodeHandle(Handle):
    """What a call of a node with no outputs returns (a task returning None, a sleep)."""

    __slots__ = ("label", "node_id", "owner")

    def __init__(self, owner: object, node_id: str, label: str) -> None:
        self.owner = owner
        self.node_id = node_id
        self.label = label

    def ordering_ids(self) -> list[str]:
        return [self.node_id]

    def ordering_owner(self) -> object:
        return self.owner

    def __repr__(self) -> str:
        return f"<node {self.node_id} ({self.label})>"


class Promise(Handle):
    """A value of ``literal_type`` (Python ``python_type``) that will exist when the workflow
    runs: the part ``path`` of a workflow input or of a node's output."""

    __slots__ = ("base_label", "literal_type", "node_id", "owner", "path", "python_type", "source")

    def __init__(
        self,
        owner: object,
        source: BindingData,
        node_id: str | None,
        literal_type: LiteralType,
        python_type: object,
        base_label: str,
        path: tuple[PromiseAttribute, ...] = (),
    ) -> None:
        # ``owner`` is the trace that made the promise: a promise kept from one workflow's
        # trace must not leak into another's graph.
        self.owner = owner
        self.source = source
        self.node_id = node_id
        self.literal_type = literal_type
        self.python_type = python_type
        self.base_label = base_label
        self.path = path

    @classmethod
    def node_output(
        cls,
        owner: object,
        node_id: str,
        output_name: str,
        literal_type: LiteralType,
        python_type: object,
        what: str,
    ) -> Promise:
        """The output ``output_name`` of the node ``node_id``, which runs ``what``."""
        source = BindingData(promise=OutputReference(node_id=node_id, output_name=output_name))
        label = f"output {output_name!r} of node {node_id} ({what})"
        return cls(owner, source, node_id, literal_type, python_type, label)

    @classmethod
    def workflow_input(
        cls, owner: object, name: str, literal_type: LiteralType, python_type: object
    ) -> Promise:
        source = BindingData(workflow_input=name)
        return cls(owner, source, None, literal_type, python_type, f"input {name!r}")

    @property
    def label(self) -> str:
        return self.base_label + describe_path(self.path)

    def binding(self) -> BindingData:
        binding = BindingData()
        binding.CopyFrom(self.source)
        binding.attr_path.extend(self.path)
        return binding

    def workflow_name(self) -> str:
        return str(getattr(self.owner, "workflow_name", "?"))

    def ordering_ids(self) -> list[str]:
        if self.node_id is None:
            raise GravenCompileError(
                f"workflow {self.workflow_name()!r}: {self.label} is a workflow input, not a "
                "node: there is nothing to order with >>"
            )
        return [self.node_id]

    def ordering_owner(self) -> object:
        return self.owner

    def __repr__(self) -> str:
        return f"<Promise {self.label}: {describe_type(self.literal_type)}>"

    __hash__ = object.__hash__

    # --- attribute paths ------------------------------------------------------------------

    def _step(self, step: PromiseAttribute) -> Promise:
        path = (*self.path, step)
        try:
            literal_type = attribute_type(self.literal_type, [step])
        except AttributePathError as exc:
            raise GravenCompileError(
                f"workflow {self.workflow_name()!r}: {self.base_label}: no attribute path "
                f"{describe_path(path)}: {exc}"
            ) from None
        python_type = python_part_type(self.python_type, [step])
        return Promise(
            self.owner,
            self.source,
            self.node_id,
            literal_type,
            python_type,
            self.base_label,
            path,
        )

    def __getattr__(self, name: str) -> Promise:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._step(PromiseAttribute(name=name))

    def __getitem__(self, key: object) -> Promise:
        if isinstance(key, str):
            return self._step(PromiseAttribute(name=key))
        if isinstance(key, int) and not isinstance(key, bool) and key >= 0:
            return self._step(PromiseAttribute(index=key))
        self._misuse(f"indexing with {key!r} (an attribute path takes a str or an int >= 0)")

    # --- conditions -----------------------------------------------------------------------

    def __eq__(self, other: object) -> Condition:  # type: ignore[override]
        return _comparison("==", self, other)

    def __ne__(self, other: object) -> Condition:  # type: ignore[override]
        return _comparison("!=", self, other)

    def __lt__(self, other: object) -> Condition:
        return _comparison("<", self, other)

    def __le__(self, other: object) -> Condition:
        return _comparison("<=", self, other)

    def __gt__(self, other: object) -> Condition:
        return _comparison(">", self, other)

    def __ge__(self, other: object) -> Condition:
        return _comparison(">=", self, other)

    def is_true(self) -> Condition:
        from graven.expressions import Unary

        return Unary("is_true", self)

    def is_false(self) -> Condition:
        from graven.expressions import Unary

        return Unary("is_false", self)

    def is_none(self) -> Condition:
        from graven.expressions import Unary

        return Unary("is_none", self)

    # --- everything else needs the value --------------------------------------------------

    def _misuse(self, what: str, hint: str = _TASK_HINT) -> NoReturn:
        raise GravenCompileError(
            f"workflow {self.workflow_name()!r}: {self.label} is used in {what}, but a workflow "
            f"body only wires nodes together: it runs once at registration, before any value "
            f"exists. {hint}"
        )

    def __bool__(self) -> NoReturn:
        self._misuse("a condition (if, while, and, or, not, bool())", _CONDITIONAL_HINT)

    def __iter__(self) -> NoReturn:
        self._misuse("iteration or unpacking (for, *, tuple unpacking)", _MAP_HINT)

    def __len__(self) -> NoReturn:
        self._misuse("len()")

    def __contains__(self, item: object) -> NoReturn:
        self._misuse("a membership test (in)")

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
        self._misuse("a bitwise operation (&)", "& combines conditions: (p > 0) & (q > 0).")

    def __or__(self, other: object) -> NoReturn:
        self._misuse("a bitwise operation (|)", "| combines conditions: (p > 0) | (q > 0).")


def _comparison(symbol: str, left: Promise, right: object) -> Condition:
    from graven.expressions import Comparison

    return Comparison(symbol, left, right)


def python_part_type(tp: object, path: Sequence[PromiseAttribute]) -> object:
    """The Python type at the end of ``path`` into a value of ``tp``; the path was checked on
    the literal type already (``attribute_type``), which is the rule."""
    for step in path:
        while typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        args = typing.get_args(tp)
        if step.WhichOneof("value") == "index" or typing.get_origin(tp) is dict:
            tp = args[-1]
        else:
            assert isinstance(tp, type)
            assert dataclasses.is_dataclass(tp)
            tp = typing.get_type_hints(tp, include_extras=True)[step.name]
    return tp


def ordering_ids(owner: object, value: object) -> list[str]:
    """The node ids of a node result (a promise, a handle, or a tuple of them) for ``>>``."""
    if isinstance(value, Handle):
        if value.ordering_owner() is not owner:
            raise GravenCompileError(
                f"{value!r} belongs to another workflow's trace; >> orders nodes of one workflow"
            )
        return value.ordering_ids()
    if isinstance(value, tuple) and value:
        return [node_id for item in value for node_id in ordering_ids(owner, item)]
    raise GravenCompileError(
        f"workflow {getattr(owner, 'workflow_name', '?')!r}: >> orders node results (promises, "
        f"the handle a call returns, or tuples of them), not {type(value).__qualname__}"
    )


def _order(owner: object, upstream: object, downstream: object) -> None:
    from graven.tracing import Trace

    assert isinstance(owner, Trace)
    owner.order(ordering_ids(owner, upstream), ordering_ids(owner, downstream))
