"""What a binding may refer to, and its type: the workflow's inputs and the outputs of the
top-level nodes compiled so far. Case nodes are not visible: only their branch is.

Attribute paths follow ``graven.attributes.attribute_type``; a value binds where
``graven.types.type_problem`` finds nothing wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from graven.attributes import AttributePathError, attribute_type, describe_path
from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.interfaces import check_literal
from graven.control_plane.service.validation import require
from graven.shown import shown
from graven.types import describe_type, is_assignable, literal_type_of, type_problem
from graven.v1.interface_pb2 import Variable
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import Binding, BindingData
from graven.workflow_error import WorkflowError

WORKFLOW_ERROR_TYPE = literal_type_of(WorkflowError)

Outputs = Mapping[str, LiteralType]


class Scope:
    def __init__(
        self, inputs: Sequence[Variable], node_ids: set[str], hidden: Mapping[str, str]
    ) -> None:
        """``node_ids``: every top-level node; ``hidden``: each case node's branch."""
        self.input_types = {v.name: v.type for v in inputs}
        self.node_ids = node_ids
        self.hidden = hidden
        self.outputs: dict[str, Outputs] = {}

    def check_node_id(self, node_id: str, field: str, what: str) -> None:
        """``node_id`` names a node other nodes can see."""
        if node_id in self.node_ids:
            return
        branch = self.hidden.get(node_id)
        if branch is not None:
            raise InvalidArgument(
                field,
                f"{what}: node {shown(node_id)} is inside branch {shown(branch)}, whose case nodes "
                f"are not visible outside it; name the branch {shown(branch)} instead",
            )
        raise InvalidArgument(field, f"{what}: no node {shown(node_id)}")

    def bind(
        self,
        bindings: Sequence[Binding],
        targets: Sequence[Variable],
        field: str,
        owner: str,
        noun: str,
        *,
        failure: bool = False,
    ) -> None:
        """Check that ``bindings`` bind each target once, unless it has a default. Only the
        failure node (``failure``) may take the workflow's error, and no node output."""
        by_name = {v.name: v for v in targets}
        first_index: dict[str, int] = {}
        for j, binding in enumerate(bindings):
            at = f"{field}[{j}]"
            target = by_name.get(binding.name)
            if target is None:
                raise InvalidArgument(
                    f"{at}.name",
                    f"{owner} has no {noun} {shown(binding.name)}; "
                    f"its {noun}s are {names(targets)}",
                )
            if binding.name in first_index:
                raise InvalidArgument(
                    f"{at}.name",
                    f"{noun} {shown(binding.name)} of {owner} is bound twice "
                    f"(also {field}[{first_index[binding.name]}])",
                )
            first_index[binding.name] = j
            require(binding.HasField("binding"), f"{at}.binding")
            what = f"{noun} {shown(binding.name)} of {owner}"
            data = binding.binding
            if failure and data.WhichOneof("value") == "promise":
                raise InvalidArgument(
                    f"{at}.binding.promise",
                    f"{what}: the failure node runs after the workflow failed, when node "
                    "outputs may not exist; it takes workflow inputs and the workflow's error",
                )
            if failure and data.WhichOneof("value") == "workflow_error":
                self._check_error(data, target.type, f"{at}.binding", what)
            else:
                self.check(data, target.type, f"{at}.binding", what)
        missing = [
            v.name for v in targets if v.name not in first_index and not v.HasField("default")
        ]
        if missing:
            listed = ", ".join(
                f"{shown(name)} ({describe_type(by_name[name].type)})" for name in missing
            )
            raise InvalidArgument(field, f"{owner}: missing {noun} binding(s) for {listed}")

    def check(self, data: BindingData, target: LiteralType, field: str, what: str) -> None:
        """``data`` gives a value that binds to ``target``."""
        kind = data.WhichOneof("value")
        if kind in ("promise", "workflow_input"):
            source, origin = self.source_type(data, field, what)
            problem = type_problem(source, target)
            if problem is not None:
                raise InvalidArgument(f"{field}.{kind}", f"{what} cannot take {origin}: {problem}")
            return
        no_path(data, field, what)
        if kind == "literal":
            check_literal(data.literal, target, f"{field}.literal", what)
        elif kind == "collection":
            element = _part(target, "collection_type")
            if element is None:
                raise InvalidArgument(
                    f"{field}.collection", f"{what}: a list cannot bind to {describe_type(target)}"
                )
            for k, item in enumerate(data.collection.bindings):
                self.check(item, element, f"{field}.collection.bindings[{k}]", what)
        elif kind == "map":
            value_type = _part(target, "map_value_type")
            if value_type is None:
                raise InvalidArgument(
                    f"{field}.map", f"{what}: a dict cannot bind to {describe_type(target)}"
                )
            for key, item in sorted(data.map.bindings.items()):
                self.check(item, value_type, f"{field}.map.bindings[{key}]", what)
        elif kind == "workflow_error":
            raise InvalidArgument(
                f"{field}.workflow_error",
                f"{what}: only the inputs of the failure node take the workflow's error",
            )
        else:
            raise InvalidArgument(
                field, f"{what}: set one of literal, promise, workflow_input, collection or map"
            )

    def source_type(self, data: BindingData, field: str, what: str) -> tuple[LiteralType, str]:
        """The type a promise or a workflow input gives (after its attribute path), and how
        messages name where it comes from."""
        if data.WhichOneof("value") == "promise":
            node_id, output = data.promise.node_id, data.promise.output_name
            self.check_node_id(node_id, f"{field}.promise.node_id", what)
            outputs = self.outputs[node_id]
            source = outputs.get(output)
            if source is None:
                raise InvalidArgument(
                    f"{field}.promise.output_name",
                    f"{what}: node {shown(node_id)} has no output {shown(output)}; "
                    f"its outputs are {names_of(outputs)}",
                )
            origin = f"{node_id}.{output}"
        else:
            name = data.workflow_input
            found = self.input_types.get(name)
            if found is None:
                raise InvalidArgument(
                    f"{field}.workflow_input",
                    f"{what}: the workflow has no input {shown(name)}; "
                    f"its inputs are {names_of(self.input_types)}",
                )
            source, origin = found, f"input {shown(name)}"
        if not data.attr_path:
            return source, origin
        try:
            part = attribute_type(source, data.attr_path)
        except AttributePathError as exc:
            raise InvalidArgument(f"{field}.attr_path", f"{what}: {origin}: {exc}") from None
        return part, f"{origin}{describe_path(data.attr_path)}"

    def _check_error(self, data: BindingData, target: LiteralType, field: str, what: str) -> None:
        no_path(data, field, what)
        if not data.workflow_error:
            raise InvalidArgument(
                f"{field}.workflow_error", f"{what}: set workflow_error to true, or unset it"
            )
        if not is_assignable(WORKFLOW_ERROR_TYPE, target):
            raise InvalidArgument(
                f"{field}.workflow_error",
                f"{what} is a {describe_type(target)}: the workflow's error is a "
                f"{describe_type(WORKFLOW_ERROR_TYPE)}",
            )


def no_path(data: BindingData, field: str, what: str) -> None:
    """Only a promise or a workflow input has parts to take."""
    if data.attr_path:
        kind = data.WhichOneof("value") or "empty binding"
        raise InvalidArgument(
            f"{field}.attr_path",
            f"{what}: a {kind.replace('_', ' ')} takes no attribute path; only a promise or "
            "a workflow input does",
        )


def _part(target: LiteralType, kind: str) -> LiteralType | None:
    """The element (or value) type a list (or dict) binding fills: ``target``'s own, or that
    of the first union variant of that kind (``Optional[list[int]]`` takes a list)."""
    if target.WhichOneof("type") == kind:
        part: LiteralType = getattr(target, kind)
        return part
    if target.WhichOneof("type") == "union_type":
        for variant in target.union_type.variants:
            found = _part(variant, kind)
            if found is not None:
                return found
    return None


def names(variables: Sequence[Variable]) -> str:
    return ", ".join(repr(v.name) for v in variables) or "none"


def names_of(named: Mapping[str, object]) -> str:
    return ", ".join(repr(name) for name in named) or "none"
