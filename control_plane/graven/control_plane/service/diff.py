"""Field-level differences between two messages of one type.

Paths are dotted, with list indexes and map keys in brackets (``template.nodes[2].id``,
``resources.custom[gpu-a]``); values are short text, and a side where the field is absent
reads as the empty string. Timestamps and durations are compared and shown whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

from google.protobuf import text_format
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from graven.v1.registry_service_pb2 import FieldDifference

if TYPE_CHECKING:
    from google._upb._message import FieldDescriptor as UpbFieldDescriptor
    from google.protobuf.descriptor import FieldDescriptor

    # Descriptors of generated messages are upb's; the stubs type them as either kind.
    Field: TypeAlias = FieldDescriptor | UpbFieldDescriptor

MAX_VALUE_CHARS = 80
WHOLE_MESSAGES = {Timestamp.DESCRIPTOR.full_name, Duration.DESCRIPTOR.full_name}


def diff_messages(a: Message, b: Message) -> list[FieldDifference]:
    if a.DESCRIPTOR is not b.DESCRIPTOR:
        raise TypeError(f"cannot diff {a.DESCRIPTOR.full_name} with {b.DESCRIPTOR.full_name}")
    differences: list[FieldDifference] = []
    _diff(a, b, "", differences)
    return differences


def describe_differences(
    differences: Sequence[FieldDifference], labels: tuple[str, str], limit: int = 5
) -> str:
    """One line for a message: "path (a-label X, b-label Y); ...; and N more"."""
    parts = [
        f"{d.path} ({labels[0]} {_quoted(d.value_a)}, {labels[1]} {_quoted(d.value_b)})"
        for d in differences[:limit]
    ]
    if len(differences) > limit:
        parts.append(f"and {len(differences) - limit} more")
    return "; ".join(parts)


def _quoted(text: str) -> str:
    return repr(text) if text else "unset"


def _diff(a: Message, b: Message, path: str, out: list[FieldDifference]) -> None:
    for field in a.DESCRIPTOR.fields:
        at = f"{path}.{field.name}" if path else field.name
        value_field = _map_value_field(field)
        if value_field is not None:
            map_a, map_b = getattr(a, field.name), getattr(b, field.name)
            for key in sorted(set(map_a) | set(map_b)):
                _compare(map_a.get(key), map_b.get(key), value_field, f"{at}[{key}]", out)
        elif field.is_repeated:
            list_a, list_b = getattr(a, field.name), getattr(b, field.name)
            for i in range(max(len(list_a), len(list_b))):
                item_a = list_a[i] if i < len(list_a) else None
                item_b = list_b[i] if i < len(list_b) else None
                _compare(item_a, item_b, field, f"{at}[{i}]", out)
        else:
            _compare(_value(a, field), _value(b, field), field, at, out)


def _value(message: Message, field: Field) -> object:
    """The field's value, or None when it is absent (only fields with presence can be)."""
    if field.has_presence and not message.HasField(field.name):
        return None
    return getattr(message, field.name)


def _compare(a: object, b: object, field: Field, path: str, out: list[FieldDifference]) -> None:
    if isinstance(a, Message) and isinstance(b, Message) and not _is_whole(field):
        _diff(a, b, path, out)
    elif not _same(a, b):
        out.append(FieldDifference(path=path, value_a=_text(a, field), value_b=_text(b, field)))


def _same(a: object, b: object) -> bool:
    # Protobuf equality tells 0.0 from -0.0 and equates NaNs; so does repr.
    if isinstance(a, float) and isinstance(b, float):
        return repr(a) == repr(b)
    return a == b


def _text(value: object, field: Field) -> str:
    if value is None:
        return ""
    if isinstance(value, Message):
        text = _message_text(value)
    elif field.enum_type is not None and isinstance(value, int):
        number = field.enum_type.values_by_number.get(value)
        text = str(value) if number is None else number.name
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, bytes):
        text = f"0x{value.hex()}" if len(value) <= 16 else f"<{len(value)} bytes>"
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _message_text(message: Message) -> str:
    if isinstance(message, Timestamp | Duration):
        # Out of range seconds or nanos (a client may send any) have no JSON form.
        with contextlib.suppress(ValueError):
            return message.ToJsonString()
    return text_format.MessageToString(message, as_one_line=True)


def _map_value_field(field: Field) -> Field | None:
    entry = field.message_type
    if field.is_repeated and entry is not None and entry.GetOptions().map_entry:
        return entry.fields_by_name["value"]
    return None


def _is_whole(field: Field) -> bool:
    return field.message_type is not None and field.message_type.full_name in WHOLE_MESSAGES
