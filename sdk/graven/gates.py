"""Gates: nodes that wait. ``sleep`` for a while, ``wait_for_input`` for a typed value, and
``approve`` for a yes before passing a value on.

Signals are named by the gate (``name``, unique per execution) and set through the
SignalService (``graven signal set``, ``graven approve``, the console). ``timeout`` (seconds
or a timedelta) fails the node when no value came in time; without one a gate waits as long
as it takes.

Locally (a workflow called as plain Python) nothing waits: ``sleep`` returns at once, and the
values of ``wait_for_input`` and ``approve`` come from ``graven.local_signals``.
"""

from __future__ import annotations

import datetime
from typing import TypeVar

from google.protobuf.duration_pb2 import Duration

from graven.errors import GravenCompileError, GravenDefinitionError, GravenTypeError
from graven.interface import Outputs, Parameter
from graven.names import name_problem
from graven.options import timeout_duration
from graven.promise import Promise
from graven.tracing import Trace, TracedNode, require_trace
from graven.types import literal_type_of
from graven.v1.workflow_pb2 import (
    ApproveCondition,
    Binding,
    GateNode,
    Node,
    NodeMetadata,
    SignalCondition,
)

T = TypeVar("T")


def _duration(trace: Trace, what: str, value: float | datetime.timedelta | None) -> Duration:
    try:
        delta = timeout_duration(value)
    except GravenDefinitionError as exc:
        raise GravenCompileError(f"{trace.where()}: {what}: {exc}") from None
    duration = Duration()
    if delta is not None:
        duration.FromTimedelta(delta)
    return duration


def _signal_name(trace: Trace, what: str, name: object) -> str:
    problem = name_problem("name", name) if isinstance(name, str) else "name must be a str"
    if problem is not None:
        raise GravenCompileError(f"{trace.where()}: {what}: signal {problem}")
    assert isinstance(name, str)
    return name


def sleep(duration: float | datetime.timedelta) -> object:
    """A node that waits ``duration`` (seconds or a timedelta) before its downstream nodes
    start (order them with ``>>``). A local run does not sleep."""
    trace = require_trace("graven.sleep")
    gate = GateNode(sleep=_duration(trace, "graven.sleep", duration))
    node = Node(id=trace.next_id("sleep"), metadata=NodeMetadata(name="sleep"), gate_node=gate)
    return trace.add(TracedNode(node, Outputs((), None), "sleep"))


def wait_for_input(
    name: str, timeout: float | datetime.timedelta | None = None, *, expected_type: type[T]
) -> T:
    """A node that waits for the signal ``name`` and gives its value, of ``expected_type``."""
    trace = require_trace("graven.wait_for_input")
    what = f"wait_for_input({name!r})"
    name = _signal_name(trace, what, name)
    try:
        literal_type = literal_type_of(expected_type)
    except GravenTypeError as exc:
        raise GravenCompileError(f"{trace.where()}: {what}: expected_type: {exc}") from None
    gate = GateNode(
        signal=SignalCondition(signal_id=name, type=literal_type),
        timeout=_duration(trace, what, timeout) if timeout is not None else None,
    )
    node_id = trace.next_id(f"signal {name!r}")
    node = Node(id=node_id, metadata=NodeMetadata(name=name), gate_node=gate)
    outputs = Outputs((Parameter("o0", expected_type, literal_type),), None)
    return trace.add(TracedNode(node, outputs, f"signal {name!r}"))  # type: ignore[return-value]


def approve(value: T, name: str, timeout: float | datetime.timedelta | None = None) -> T:
    """A node that waits for the approval ``name`` (a bool signal: true approves, false
    rejects and fails the node), then passes ``value`` (a promise) on unchanged."""
    trace = require_trace("graven.approve")
    what = f"approve({name!r})"
    name = _signal_name(trace, what, name)
    if not isinstance(value, Promise):
        raise GravenCompileError(
            f"{trace.where()}: {what}: approves a promise (a node output or workflow input), "
            f"not {type(value).__qualname__}"
        )
    node_id = trace.next_id(f"approval {name!r}")
    binding = trace.bind(value, value.python_type, f"{trace.where()}: node {node_id} ({what})")
    gate = GateNode(
        approve=ApproveCondition(signal_id=name),
        timeout=_duration(trace, what, timeout) if timeout is not None else None,
    )
    node = Node(
        id=node_id,
        metadata=NodeMetadata(name=name),
        inputs=[Binding(name="value", binding=binding)],
        gate_node=gate,
    )
    outputs = Outputs((Parameter("o0", value.python_type, value.literal_type),), None)
    return trace.add(TracedNode(node, outputs, f"approval {name!r}"))  # type: ignore[return-value]
