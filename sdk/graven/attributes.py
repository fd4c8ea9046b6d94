"""Attribute paths: ``out.field``, ``out[0]`` and ``out["key"]`` on a promised value.

One rule for every place that follows a path, so registration, the engine and a local run
agree: a name selects a dataclass field or a dict key, an index selects a list item. The
type walk (``attribute_type``) is what registration checks; the value walk
(``follow_path``) is what the engine and a local run do with the literal.
"""

from __future__ import annotations

from collections.abc import Sequence

from graven.literals import sealed, unhashed
from graven.types import describe_type
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import PromiseAttribute


class AttributePathError(ValueError):
    """A path that does not exist on a type, or on a value."""


def describe_path(path: Sequence[PromiseAttribute]) -> str:
    """The path as Python writes it: ``.field[0]["key"]``."""
    parts = []
    for step in path:
        if step.WhichOneof("value") == "index":
            parts.append(f"[{step.index}]")
        elif step.name.isidentifier():
            parts.append(f".{step.name}")
        else:
            parts.append(f"[{step.name!r}]")
    return "".join(parts)


def attribute_type(literal_type: LiteralType, path: Sequence[PromiseAttribute]) -> LiteralType:
    """The type at the end of ``path`` into a value of ``literal_type``."""
    current = literal_type
    for i, step in enumerate(path):
        kind = current.WhichOneof("type")
        where = describe_path(path[:i]) or "the value"
        if step.WhichOneof("value") == "index":
            if kind != "collection_type":
                raise AttributePathError(
                    f"{where} is a {describe_type(current)}: only a list takes an index"
                )
            current = current.collection_type
        elif step.WhichOneof("value") == "name":
            if kind == "structured_type":
                fields = {f.name: f.type for f in current.structured_type.fields}
                if step.name not in fields:
                    raise AttributePathError(
                        f"{where} is a {describe_type(current)}, which has no field "
                        f"{step.name!r} (fields: {', '.join(fields) or 'none'})"
                    )
                current = fields[step.name]
            elif kind == "map_value_type":
                current = current.map_value_type
            else:
                raise AttributePathError(
                    f"{where} is a {describe_type(current)}: only a dataclass or a dict "
                    f"has {step.name!r}"
                )
        else:
            raise AttributePathError(f"step {i} of the path is empty")
    return current


def follow_path(literal: Literal, path: Sequence[PromiseAttribute]) -> Literal:
    """The value at the end of ``path``, as a top-level literal (with its own hash)."""
    if not path:
        return literal
    current = literal
    for i, step in enumerate(path):
        kind = current.WhichOneof("value")
        where = describe_path(path[:i]) or "the value"
        if step.WhichOneof("value") == "index":
            if kind != "collection":
                raise AttributePathError(f"{where} is not a list")
            items = current.collection.literals
            if step.index >= len(items):
                raise AttributePathError(
                    f"{where}[{step.index}] is out of range: the list has {len(items)} items"
                )
            current = items[step.index]
        else:
            if kind not in ("structured", "map"):
                raise AttributePathError(f"{where} is neither a dataclass nor a dict")
            entries = current.structured.literals if kind == "structured" else current.map.literals
            if step.name not in entries:
                raise AttributePathError(f"{where} has no {step.name!r}")
            current = entries[step.name]
    # Nested literals carry no hash; the part taken is a value of its own.
    part = Literal()
    part.CopyFrom(unhashed(current))
    return sealed(part)
