"""``graven.conditional``: a branch in a workflow body.

    result = (
        graven.conditional("sign")
        .if_(x > 0).then(positive(x=x))
        .elif_(x < 0).then(negative(x=x))
        .else_().then(zero())          # or .else_().fail("x must not be 0")
    )

``if_``/``elif_`` open a case: the one node call made while it is open (a task, a map, a
subworkflow, a launch plan, a gate or a nested conditional) goes into the case instead of the
graph, and ``then`` closes it. The final ``then``/``fail`` gives the branch's outputs, shaped
as the case calls return them; every case must give the same output names and types. A
conditional left without ``else_`` may run nothing, so it has no outputs (it can still be
ordered with ``>>``).
"""

from __future__ import annotations

from typing import Any

from graven.conditions import ConditionError
from graven.errors import GravenCompileError
from graven.expressions import Condition
from graven.promise import Handle, Promise, ordering_ids
from graven.tracing import (
    NO_OUTPUTS,
    Scope,
    Trace,
    TracedBranch,
    TracedCase,
    TracedNode,
    require_trace,
)
from graven.types import describe_type
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import Node, NodeMetadata

_START, _CASE_OPEN, _AFTER_CASE, _ELSE_OPEN, _DONE = range(5)


def conditional(name: str) -> Conditional:
    """Start a branch named ``name`` (shown in the graph); see the module's docstring."""
    trace = require_trace("graven.conditional")
    if not isinstance(name, str) or not name:
        raise GravenCompileError(
            f"{trace.where()}: graven.conditional needs a non-empty name, got {name!r}"
        )
    return Conditional(trace, name)


class Conditional(Handle):
    """A branch being written. ``if_``, then ``elif_`` any number of times, then optionally
    ``else_``; each case closed by ``then``."""

    def __init__(self, trace: Trace, name: str) -> None:
        self._trace = trace
        self._name = name
        self._branch = TracedBranch(name)
        self._node = TracedNode(
            Node(id=trace.next_id(f"conditional {name!r}"), metadata=NodeMetadata(name=name)),
            NO_OUTPUTS,
            f"conditional {name!r}",
            branch=self._branch,
        )
        self._state = _START
        self._scope: Scope | None = None
        self._where = f"{trace.where()}: conditional {name!r} (node {self._node.id})"
        trace.pending.append(self._unfinished)

    def ordering_ids(self) -> list[str]:
        return [self._node.id]

    def ordering_owner(self) -> object:
        return self._trace

    def __repr__(self) -> str:
        return f"<conditional {self._name!r} (node {self._node.id})>"

    # A comparison in a workflow body is a Condition when traced, but a type checker sees
    # the task outputs as their values (an int), so to it the comparison is a bool.
    def if_(self, condition: Condition | bool) -> _Case:
        if self._state != _START:
            raise GravenCompileError(f"{self._where}: if_ comes once, first; use elif_")
        return self._open_case(condition)

    def elif_(self, condition: Condition | bool) -> _Case:
        if self._state != _AFTER_CASE:
            raise GravenCompileError(f"{self._where}: elif_ follows if_(...).then(...)")
        return self._open_case(condition)

    def else_(self) -> _Else:
        if self._state != _AFTER_CASE:
            raise GravenCompileError(f"{self._where}: else_ follows if_(...).then(...)")
        self._state = _ELSE_OPEN
        self._scope = self._trace.open_scope(f"the else of conditional {self._name!r}")
        return _Else(self)

    def _open_case(self, condition: object) -> _Case:
        index = len(self._branch.cases)
        here = f"{self._where}: case {index}"
        if isinstance(condition, Promise):
            raise GravenCompileError(
                f"{here}: {condition.label} is not a condition; write {condition.label}"
                ".is_true() for a bool, or compare it"
            )
        if not isinstance(condition, Condition):
            raise GravenCompileError(
                f"{here}: expected a condition on promises (e.g. x > 0, p.is_none()), got "
                f"{type(condition).__qualname__} {condition!r}: a comparison of plain values is "
                "decided before the workflow runs"
            )
        if condition.owner() is not self._trace:
            raise GravenCompileError(f"{here}: the condition uses another workflow's promises")
        try:
            for promise in condition.promises():
                self._trace.check_promise(promise)
            condition.check()
        except (ConditionError, GravenCompileError) as exc:
            raise GravenCompileError(f"{here} ({condition.describe()}): {exc}") from None
        self._branch.cases.append(TracedCase(condition.proto()))
        self._state = _CASE_OPEN
        self._scope = self._trace.open_scope(f"case {index} of conditional {self._name!r}")
        return _Case(self)

    def _close(self, result: object, what: str) -> TracedNode:
        assert self._scope is not None
        traced = self._trace.close_scope(self._scope)
        self._scope = None
        if traced is None:
            raise GravenCompileError(
                f"{self._where}: {what} ran no node; call exactly one task, map, subworkflow, "
                "launch plan, gate or conditional inside .then(...)"
            )
        if set(ordering_ids(self._trace, result)) != {traced.id}:
            raise GravenCompileError(
                f"{self._where}: {what}: .then(...) takes the result of the node called in it "
                f"(node {traced.id}, {traced.what})"
            )
        return traced

    def _then(self, result: object) -> Conditional:
        case = self._branch.cases[-1]
        case.node = self._close(result, f"case {len(self._branch.cases) - 1}")
        if self._state == _CASE_OPEN and len(self._branch.cases) == 1:
            self._trace.record(self._node)
        self._state = _AFTER_CASE
        return self

    def _finish(self) -> object:
        nodes = self._branch.nodes()
        first = nodes[0].outputs
        expected = [(p.name, p.literal_type) for p in first.params]
        for i, traced in enumerate(nodes[1:], start=1):
            got = [(p.name, p.literal_type) for p in traced.outputs.params]
            if got != expected:
                which = "the else" if traced is self._branch.else_node else f"case {i}"
                raise GravenCompileError(
                    f"{self._where}: {which} gives outputs {_describe(got)}, but case 0 gives "
                    f"{_describe(expected)}; every case must give the same outputs"
                )
        self._node.outputs = first
        self._state = _DONE
        return self._trace.results(self._node)

    def _unfinished(self) -> str | None:
        if self._state == _CASE_OPEN:
            return f"{self._where}: a case is never closed with .then(...)"
        if self._state == _ELSE_OPEN:
            return f"{self._where}: else_() is never followed by .then(...) or .fail(...)"
        if self._state == _START:
            return f"{self._where}: has no if_(...)"
        return None


def _describe(outputs: list[tuple[str, LiteralType]]) -> str:
    if not outputs:
        return "none"
    return ", ".join(f"{name}: {describe_type(t)}" for name, t in outputs)


class _Case:
    """An open ``if_``/``elif_``: make one node call inside ``then``."""

    def __init__(self, conditional: Conditional) -> None:
        self._conditional = conditional

    def then(self, result: object) -> Conditional:
        return self._conditional._then(result)


class _Else:
    """An open ``else_``: one node call inside ``then``, or ``fail`` with a message."""

    def __init__(self, conditional: Conditional) -> None:
        self._conditional = conditional

    # Any: the branch's outputs are what its cases return, which only the trace knows.
    def then(self, result: object) -> Any:
        c = self._conditional
        c._branch.else_node = c._close(result, "the else")
        return c._finish()

    def fail(self, message: str) -> Any:
        c = self._conditional
        if not isinstance(message, str) or not message:
            raise GravenCompileError(f"{c._where}: .fail(...) needs a message")
        assert c._scope is not None
        stray = c._trace.close_scope(c._scope)
        c._scope = None
        if stray is not None:
            raise GravenCompileError(
                f"{c._where}: node {stray.id} ({stray.what}) was called in else_() before "
                ".fail(...); a failing else runs nothing"
            )
        c._branch.else_fail = message
        return c._finish()
