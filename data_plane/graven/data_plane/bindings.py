"""Turning a node's (or the workflow's) bindings into the literals they stand for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from graven.attributes import AttributePathError, follow_path
from graven.literals import collection_literal, map_literal
from graven.v1.interface_pb2 import Variable
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.workflow_pb2 import Binding, BindingData


class BindingError(Exception):
    """A binding that names something the execution does not have."""


# The outputs of an upstream node, by node id; raises KeyError for a node that has none.
UpstreamOutputs = Callable[[str], LiteralMap]


def resolve(
    data: BindingData, workflow_inputs: Mapping[str, Literal], upstream: UpstreamOutputs
) -> Literal:
    kind = data.WhichOneof("value")
    if kind == "literal":
        return data.literal
    if kind == "workflow_input":
        if data.workflow_input not in workflow_inputs:
            raise BindingError(f"the execution has no input {data.workflow_input!r}")
        return _part(workflow_inputs[data.workflow_input], data)
    if kind == "promise":
        outputs = upstream(data.promise.node_id).literals
        if data.promise.output_name not in outputs:
            raise BindingError(
                f"node {data.promise.node_id!r} has no output {data.promise.output_name!r}"
            )
        return _part(outputs[data.promise.output_name], data)
    if kind == "collection":
        return collection_literal(
            [resolve(item, workflow_inputs, upstream) for item in data.collection.bindings]
        )
    if kind == "map":
        return map_literal(
            {
                key: resolve(item, workflow_inputs, upstream)
                for key, item in data.map.bindings.items()
            }
        )
    raise BindingError(f"unsupported binding {kind!r}")


def _part(value: Literal, data: BindingData) -> Literal:
    """The part of ``value`` the binding's attribute path names (all of it without one)."""
    try:
        return follow_path(value, data.attr_path)
    except AttributePathError as error:
        raise BindingError(str(error)) from None


def defaults_of(variables: Iterable[Variable]) -> LiteralMap:
    """The default of every declared input that has one."""
    return LiteralMap(literals={v.name: v.default for v in variables if v.HasField("default")})


def resolve_all(
    bindings: Iterable[Binding],
    workflow_inputs: Mapping[str, Literal],
    upstream: UpstreamOutputs,
    defaults: Mapping[str, Literal] | None = None,
) -> LiteralMap:
    """The bound values, plus the default of every declared input left unbound."""
    values = LiteralMap(literals=defaults or {})
    for binding in bindings:
        values.literals[binding.name].CopyFrom(resolve(binding.binding, workflow_inputs, upstream))
    return values


def promised_nodes(data: BindingData) -> Iterable[str]:
    """The upstream nodes a binding takes values from."""
    for leaf in _leaves(data):
        if leaf.WhichOneof("value") == "promise":
            yield leaf.promise.node_id


def named_inputs(data: BindingData) -> Iterable[str]:
    """The workflow inputs a binding takes values from."""
    for leaf in _leaves(data):
        if leaf.WhichOneof("value") == "workflow_input":
            yield leaf.workflow_input


def _leaves(data: BindingData) -> Iterable[BindingData]:
    kind = data.WhichOneof("value")
    if kind == "collection":
        for item in data.collection.bindings:
            yield from _leaves(item)
    elif kind == "map":
        for item in data.map.bindings.values():
            yield from _leaves(item)
    else:
        yield data
