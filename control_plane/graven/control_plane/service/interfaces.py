"""Well-formedness of types, literals and typed interfaces, shared by tasks and workflows.

The type rules themselves (what is assignable, what a literal matches) live in graven.types
and graven.literals, so the SDK and the control plane apply the same ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.validation import require
from graven.literals import literal_hash, literal_matches_type, nested_hash_path
from graven.shown import shown
from graven.types import describe_type
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import (
    BLOB_DIMENSIONALITY_UNSPECIFIED,
    SIMPLE_TYPE_UNSPECIFIED,
    BlobDimensionality,
    LiteralType,
    SimpleType,
)


def check_interface(interface: TypedInterface, field: str) -> None:
    _check_variables(interface.inputs, f"{field}.inputs", "input")
    _check_variables(interface.outputs, f"{field}.outputs", "output")


def _check_variables(variables: Sequence[Variable], field: str, noun: str) -> None:
    first_index: dict[str, int] = {}
    for i, variable in enumerate(variables):
        at = f"{field}[{i}]"
        if not variable.name.isidentifier():
            raise InvalidArgument(
                f"{at}.name", f"{noun} name {shown(variable.name)} is not a Python identifier"
            )
        if variable.name in first_index:
            other = f"{field}[{first_index[variable.name]}]"
            raise InvalidArgument(
                f"{at}.name", f"duplicate {noun} name {shown(variable.name)} (also {other})"
            )
        first_index[variable.name] = i
        require(variable.HasField("type"), f"{at}.type")
        check_type(variable.type, f"{at}.type")
        if variable.HasField("default"):
            if noun == "output":
                raise InvalidArgument(f"{at}.default", "an output cannot have a default")
            check_literal(variable.default, variable.type, f"{at}.default")


def check_type(t: LiteralType, field: str) -> None:
    kind = t.WhichOneof("type")
    if kind is None:
        raise InvalidArgument(field, "names no type")
    if kind == "simple":
        if t.simple == SIMPLE_TYPE_UNSPECIFIED or t.simple not in SimpleType.values():
            raise InvalidArgument(f"{field}.simple", f"{t.simple} is not a simple type")
    elif kind == "collection_type":
        check_type(t.collection_type, f"{field}.collection_type")
    elif kind == "map_value_type":
        check_type(t.map_value_type, f"{field}.map_value_type")
    elif kind == "union_type":
        if len(t.union_type.variants) < 2:
            raise InvalidArgument(f"{field}.union_type.variants", "a union needs two variants")
        for i, variant in enumerate(t.union_type.variants):
            check_type(variant, f"{field}.union_type.variants[{i}]")
    elif kind == "enum_type":
        values = list(t.enum_type.values)
        if not values or len(set(values)) != len(values):
            raise InvalidArgument(f"{field}.enum_type.values", "must be distinct and not empty")
    elif kind == "structured_type":
        names: set[str] = set()
        for i, member in enumerate(t.structured_type.fields):
            at = f"{field}.structured_type.fields[{i}]"
            if not member.name.isidentifier() or member.name in names:
                raise InvalidArgument(
                    f"{at}.name", f"{shown(member.name)} is not a distinct identifier"
                )
            names.add(member.name)
            require(member.HasField("type"), f"{at}.type")
            check_type(member.type, f"{at}.type")
    elif kind == "blob":
        dimensionality = t.blob.dimensionality
        if dimensionality == BLOB_DIMENSIONALITY_UNSPECIFIED or (
            dimensionality not in BlobDimensionality.values()
        ):
            raise InvalidArgument(f"{field}.blob.dimensionality", "must be SINGLE or MULTIPART")


def check_literal(literal: Literal, t: LiteralType, field: str, what: str = "") -> None:
    """A top-level value of type ``t`` whose hash is the hash of its content: caching and
    lineage key on that hash, so a wrong one would silently share results between different
    values, and a hash inside would give one value two hashes.
    ``what`` names the value's destination in the message when the field path alone is
    hard to read."""
    if not literal_matches_type(literal, t):
        prefix = f"{what}: " if what else ""
        raise InvalidArgument(field, f"{prefix}is not a value of type {describe_type(t)}")
    nested = nested_hash_path(literal)
    if nested is not None:
        raise InvalidArgument(
            f"{field}.{nested}.hash", "only a top-level value carries a hash, not a nested one"
        )
    expected = literal_hash(literal)
    if literal.hash != expected:
        raise InvalidArgument(
            f"{field}.hash", f"{shown(literal.hash)} is not the content hash {expected}"
        )
