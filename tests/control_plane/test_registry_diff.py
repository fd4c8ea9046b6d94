"""Field-level diffs: the paths and values a user reads, and properties over random specs."""

from __future__ import annotations

from typing import Any

from cp_support import INT, STR, from_input, node, promise, task_id, task_spec, var, workflow_spec
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import given, settings
from hypothesis import strategies as st

from graven.control_plane.service.diff import describe_differences, diff_messages
from graven.literals import int_literal
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.task_pb2 import TaskSpec
from graven.v1.workflow_pb2 import WorkflowSpec


def paths(a: Message, b: Message) -> dict[str, tuple[str, str]]:
    return {d.path: (d.value_a, d.value_b) for d in diff_messages(a, b)}


def test_paths_are_dotted_with_indexes_and_map_keys_in_brackets() -> None:
    a = workflow_spec([node("n1", task_id("t"), x=from_input("a"))], inputs=[var("a", INT)])
    b = workflow_spec([node("n1", task_id("t"), x=promise("n0", "out"))], inputs=[var("a", STR)])
    assert paths(a, b) == {
        "template.interface.inputs[0].type.simple": ("SIMPLE_TYPE_INTEGER", "SIMPLE_TYPE_STRING"),
        "template.nodes[0].inputs[0].binding.workflow_input": ("a", ""),
        "template.nodes[0].inputs[0].binding.promise": ("", 'node_id: "n0" output_name: "out"'),
    }


def test_maps_lists_and_durations_read_naturally() -> None:
    a = task_spec([var("x", INT)], function="f")
    b = task_spec([var("x", INT), var("y", INT, int_literal(3))], function="f")
    a.template.metadata.resources.custom["gpu-a"] = 1.0
    b.template.metadata.resources.custom["gpu-a"] = 2.0
    b.template.metadata.timeout.FromSeconds(90)
    b.template.metadata.retries = 2
    differences = paths(a, b)
    assert differences["template.metadata.resources.custom[gpu-a]"] == ("1.0", "2.0")
    assert differences["template.metadata.timeout"] == ("", "90s")
    assert differences["template.metadata.retries"] == ("0", "2")
    assert differences["template.interface.inputs[1]"][0] == ""
    assert 'name: "y"' in differences["template.interface.inputs[1]"][1]


def test_long_values_are_shortened() -> None:
    a, b = TaskSpec(description="x" * 500), TaskSpec(description="y" * 500)
    [difference] = diff_messages(a, b)
    assert len(difference.value_a) <= 80
    assert difference.value_a.endswith("…")


def test_out_of_range_durations_are_still_shown() -> None:
    a = TaskSpec()
    a.template.metadata.SetInParent()
    b = TaskSpec()
    b.template.metadata.timeout.seconds = -5
    b.template.metadata.timeout.nanos = 7
    assert paths(a, b) == {"template.metadata.timeout": ("", "seconds: -5 nanos: 7")}


def test_the_summary_names_fields_and_counts_the_rest() -> None:
    a, b = task_spec(function="f", description="a"), task_spec(function="g", description="b")
    summary = describe_differences(diff_messages(a, b), ("stored", "given"), limit=2)
    assert summary.startswith("template.code.function (stored 'f', given 'g'); ")
    assert summary.endswith("; and 1 more")


# --- properties -----------------------------------------------------------------------------

SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FieldDescriptor.TYPE_STRING: st.text(alphabet="ab", max_size=2),
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=2),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_DOUBLE: st.sampled_from([0.0, -0.0, 1.5, float("inf")]),
    FieldDescriptor.TYPE_FLOAT: st.sampled_from([0.0, -0.0, 0.5, float("inf")]),
    FieldDescriptor.TYPE_INT64: st.integers(-2, 2) | st.just(2**63 - 1),
    FieldDescriptor.TYPE_INT32: st.integers(-2, 2),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2),
}


def messages(descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
    """Any message of ``descriptor``, nested at most ``depth`` deep, from small value sets so
    that two draws are often equal or nearly so."""
    cls = GetMessageClass(descriptor)
    if depth == 0:
        return st.just(cls())
    return st.fixed_dictionaries(
        {},
        optional={f.name: _field_values(f, depth) for f in descriptor.fields},
    ).map(lambda values: _build(cls, values))


def _build(cls: type[Message], values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        oneof = field.containing_oneof
        if oneof is not None and message.WhichOneof(oneof.name) is not None:
            continue  # one member of a oneof at most
        target = getattr(message, name)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, Message):
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif isinstance(value, list):
            target.extend(value)
        elif isinstance(value, Message):
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def _field_values(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    entry = field.message_type
    if field.is_repeated and entry is not None and entry.GetOptions().map_entry:
        value = _single(entry.fields_by_name["value"], depth)
        return st.dictionaries(st.sampled_from(["k", "l"]), value, max_size=2)
    if field.is_repeated:
        return st.lists(_single(field, depth), max_size=2)
    return _single(field, depth)


def _single(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.message_type is not None:
        return st.deferred(lambda: messages(field.message_type, depth - 1))
    if field.enum_type is not None:
        return st.sampled_from([v.number for v in field.enum_type.values] + [99])
    return SCALARS[field.type]


SPECS = st.sampled_from([TaskSpec, WorkflowSpec, LaunchPlanSpec]).flatmap(
    lambda cls: st.tuples(messages(cls.DESCRIPTOR, 5), messages(cls.DESCRIPTOR, 5))
)


@settings(max_examples=200, deadline=None)
@given(SPECS)
def test_a_diff_is_empty_exactly_when_the_messages_are_equal(pair: tuple[Message, Message]) -> None:
    a, b = pair
    assert diff_messages(a, a) == []
    assert diff_messages(a, type(a).FromString(a.SerializeToString())) == []
    assert (diff_messages(a, b) == []) == (a == b)


@settings(max_examples=200, deadline=None)
@given(SPECS)
def test_a_diff_is_symmetric_and_names_each_path_once(pair: tuple[Message, Message]) -> None:
    a, b = pair
    forward = [(d.path, d.value_a, d.value_b) for d in diff_messages(a, b)]
    backward = [(d.path, d.value_b, d.value_a) for d in diff_messages(b, a)]
    assert forward == backward
    assert len({path for path, _, _ in forward}) == len(forward)
