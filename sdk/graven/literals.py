"""Values as Graven ``Literal``s, each carrying the sha256 of its canonical content.

The hash is a Merkle tree, so it can be checked piece by piece and computed once per value:

- a scalar hashes a type tag and its canonical bytes: integers in decimal; floats as IEEE
  754 big-endian with ``-0.0`` folded into ``0.0`` and every NaN into one NaN (Python calls
  ``-0.0 == 0.0``, and a cache must treat all NaNs as the same content), while the literal
  itself keeps the exact value; datetimes and durations as integer nanoseconds since the
  epoch (UTC) so the time zone a value was written in does not matter;
- a list hashes its items' hashes in order;
- a dict or a dataclass hashes its (key, item hash) pairs sorted by key, so construction
  order never matters;
- a blob hashes its content sha256, format and dimensionality, never its uri.

A scalar's tag is its literal kind, not its Python type: an enum member and its string value
are the same content. Conversions are driven by the Python annotation (``to_literal``,
``to_python``) or, where only the ``LiteralType`` is known (the CLI, the console), by the
JSON bridge (``from_json_value``, ``to_json_value``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import enum
import json
import math
import struct
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from graven import timeformats
from graven.digests import sha256_hex
from graven.errors import GravenTypeError, GravenValueError
from graven.types import (
    NONE_TYPE,
    PICKLE_FORMAT,
    SIMPLE_NAMES,
    PickleMarker,
    blob_dimensionality_name,
    describe_type,
    literal_type_of,
    type_name,
)
from graven.v1.literals_pb2 import (
    Blob,
    Literal,
    LiteralCollection,
    LiteralMap,
    Primitive,
    Void,
)
from graven.v1.types_pb2 import BLOB_DIMENSIONALITY_SINGLE, BlobType, LiteralType, SimpleType

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# google.protobuf.Duration covers +-10,000 years.
DURATION_MAX_SECONDS = 315_576_000_000
CANONICAL_NAN = struct.pack(">d", math.nan)

PRIMITIVE_KINDS: dict[SimpleType, str] = {
    SimpleType.SIMPLE_TYPE_INTEGER: "integer",
    SimpleType.SIMPLE_TYPE_FLOAT: "float_value",
    SimpleType.SIMPLE_TYPE_STRING: "string_value",
    SimpleType.SIMPLE_TYPE_BOOLEAN: "boolean",
    SimpleType.SIMPLE_TYPE_BYTES: "bytes_value",
    SimpleType.SIMPLE_TYPE_DATETIME: "datetime",
    SimpleType.SIMPLE_TYPE_DURATION: "duration",
}


# --- construction and hashing -------------------------------------------------------------


def _digest(tag: str, payload: bytes) -> str:
    return sha256_hex(tag.encode() + b"\x00" + payload)


def _primitive_payload(primitive: Primitive) -> tuple[str, bytes]:
    kind = primitive.WhichOneof("value")
    if kind == "integer":
        return kind, str(primitive.integer).encode()
    if kind == "float_value":
        value = primitive.float_value
        if math.isnan(value):
            return kind, CANONICAL_NAN
        return kind, struct.pack(">d", value + 0.0)  # -0.0 + 0.0 == 0.0
    if kind == "string_value":
        return kind, primitive.string_value.encode()
    if kind == "boolean":
        return kind, b"1" if primitive.boolean else b"0"
    if kind == "bytes_value":
        return kind, primitive.bytes_value
    if kind == "datetime":
        ts = primitive.datetime
        return kind, str(ts.seconds * timeformats.NANOS_PER_SECOND + ts.nanos).encode()
    if kind == "duration":
        d = primitive.duration
        return kind, str(d.seconds * timeformats.NANOS_PER_SECOND + d.nanos).encode()
    raise GravenValueError("a primitive literal has no value")


def _pairs_payload(items: Mapping[str, Literal], child_hash: Callable[[Literal], str]) -> bytes:
    parts = []
    for key in sorted(items, key=lambda k: k.encode()):
        encoded = key.encode()
        parts.append(len(encoded).to_bytes(8, "big") + encoded + child_hash(items[key]).encode())
    return b"".join(parts)


def _hash_with(literal: Literal, child_hash: Callable[[Literal], str]) -> str:
    kind = literal.WhichOneof("value")
    if kind == "primitive":
        tag, payload = _primitive_payload(literal.primitive)
        return _digest(tag, payload)
    if kind == "none":
        return _digest("none", b"")
    if kind == "collection":
        return _digest(
            "list", b"".join(child_hash(x).encode() for x in literal.collection.literals)
        )
    if kind == "map":
        return _digest("map", _pairs_payload(literal.map.literals, child_hash))
    if kind == "structured":
        return _digest("structured", _pairs_payload(literal.structured.literals, child_hash))
    if kind == "blob":
        blob = literal.blob
        fields = (blob.sha256, blob.type.format, blob_dimensionality_name(blob.type.dimensionality))
        return _digest("blob", "\x00".join(fields).encode())
    raise GravenValueError("a literal has no value")


def literal_hash(literal: Literal) -> str:
    """The content hash of ``literal``, recomputed from scratch (it trusts no stored hash)."""
    return _hash_with(literal, literal_hash)


def _sealed(literal: Literal) -> Literal:
    """``literal`` with its hash, from the hashes its (already sealed) children carry."""
    literal.hash = _hash_with(literal, lambda child: child.hash)
    return literal


def primitive_literal(primitive: Primitive) -> Literal:
    return _sealed(Literal(primitive=primitive))


def none_literal() -> Literal:
    return _sealed(Literal(none=Void()))


def collection_literal(items: Sequence[Literal]) -> Literal:
    return _sealed(Literal(collection=LiteralCollection(literals=items)))


def map_literal(items: Mapping[str, Literal]) -> Literal:
    return _sealed(Literal(map=LiteralMap(literals=items)))


def structured_literal(fields: Mapping[str, Literal]) -> Literal:
    return _sealed(Literal(structured=LiteralMap(literals=fields)))


def blob_literal(blob: Blob) -> Literal:
    return _sealed(Literal(blob=blob))


def int_literal(value: int) -> Literal:
    if not INT64_MIN <= value <= INT64_MAX:
        raise GravenValueError(f"integer {value} does not fit in 64 bits")
    return primitive_literal(Primitive(integer=value))


def float_literal(value: float) -> Literal:
    return primitive_literal(Primitive(float_value=value))


def string_literal(value: str) -> Literal:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise GravenValueError(f"string {value!r} is not valid unicode text") from None
    return primitive_literal(Primitive(string_value=value))


def datetime_literal_from_nanos(nanos: int) -> Literal:
    seconds, rest = divmod(nanos, timeformats.NANOS_PER_SECOND)
    return primitive_literal(Primitive(datetime=Timestamp(seconds=seconds, nanos=rest)))


def duration_literal_from_nanos(nanos: int) -> Literal:
    seconds, rest = timeformats.split_nanos(nanos)
    if abs(seconds) > DURATION_MAX_SECONDS:
        raise GravenValueError("duration is longer than 10,000 years")
    return primitive_literal(Primitive(duration=Duration(seconds=seconds, nanos=rest)))


# --- matching -----------------------------------------------------------------------------


def literal_matches_type(literal: Literal, literal_type: LiteralType) -> bool:
    """Whether ``literal`` is a value of ``literal_type`` (its shape, not its hash)."""
    type_kind: str | None = literal_type.WhichOneof("type")
    value_kind: str | None = literal.WhichOneof("value")
    if type_kind == "union_type":
        return any(literal_matches_type(literal, v) for v in literal_type.union_type.variants)
    if type_kind == "simple":
        if literal_type.simple == SimpleType.SIMPLE_TYPE_NONE:
            return value_kind == "none"
        expected = PRIMITIVE_KINDS.get(literal_type.simple)
        return _primitive_kind(literal) == expected
    if type_kind == "collection_type":
        return value_kind == "collection" and all(
            literal_matches_type(item, literal_type.collection_type)
            for item in literal.collection.literals
        )
    if type_kind == "map_value_type":
        return value_kind == "map" and all(
            literal_matches_type(item, literal_type.map_value_type)
            for item in literal.map.literals.values()
        )
    if type_kind == "enum_type":
        return (
            _primitive_kind(literal) == "string_value"
            and literal.primitive.string_value in literal_type.enum_type.values
        )
    if type_kind == "structured_type":
        if value_kind != "structured":
            return False
        fields = literal.structured.literals
        schema = literal_type.structured_type.fields
        return set(fields) == {f.name for f in schema} and all(
            literal_matches_type(fields[f.name], f.type) for f in schema
        )
    if value_kind != "blob":
        return False
    blob_type = _blob_type_of(literal_type)
    return (
        blob_type is not None
        and literal.blob.type.dimensionality == blob_type.dimensionality
        and (not blob_type.format or literal.blob.type.format == blob_type.format)
    )


def _primitive_kind(literal: Literal) -> str | None:
    if literal.WhichOneof("value") != "primitive":
        return None
    kind: str | None = literal.primitive.WhichOneof("value")
    return kind


def _blob_type_of(literal_type: LiteralType) -> BlobType | None:
    """How a blob, table or pickle type is stored: the blob a literal of it carries."""
    kind = literal_type.WhichOneof("type")
    if kind == "blob":
        return literal_type.blob
    if kind == "tabular":
        return BlobType(
            format=literal_type.tabular.format or "parquet",
            dimensionality=BLOB_DIMENSIONALITY_SINGLE,
        )
    if kind == "pickle":
        return BlobType(format=PICKLE_FORMAT, dimensionality=BLOB_DIMENSIONALITY_SINGLE)
    return None


# --- Python values ------------------------------------------------------------------------


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _mismatch(value: object, tp: object) -> GravenTypeError:
    return GravenTypeError(
        f"expected {type_name(tp)}, got {type(value).__qualname__} {_short_repr(value)}"
    )


def to_literal(value: object, tp: object) -> Literal:
    """``value`` as a literal of the Python type ``tp``; ``GravenTypeError`` if it does not fit."""
    literal_type_of(tp)  # rejects unsupported types with the one message that lists them
    return _to_literal(value, tp, exact=False)


def _to_literal(value: object, tp: object, *, exact: bool) -> Literal:
    """``exact`` forbids the int-for-float courtesy, so a union prefers its int variant."""
    if tp is None or tp is types.NoneType:
        if value is not None:
            raise _mismatch(value, tp)
        return none_literal()
    if tp is bool:
        if not isinstance(value, bool):
            raise _mismatch(value, tp)
        return primitive_literal(Primitive(boolean=value))
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _mismatch(value, tp)
        return int_literal(value)
    if tp is float:
        # Python's typing lets an int stand for a float; the value becomes a float.
        if isinstance(value, float) or (
            not exact and isinstance(value, int) and not isinstance(value, bool)
        ):
            return float_literal(float(value))
        raise _mismatch(value, tp)
    if tp is str:
        if not isinstance(value, str):
            raise _mismatch(value, tp)
        return string_literal(value)
    if tp is bytes:
        if not isinstance(value, bytes):
            raise _mismatch(value, tp)
        return primitive_literal(Primitive(bytes_value=value))
    if tp is datetime.datetime:
        if not isinstance(value, datetime.datetime):
            raise _mismatch(value, tp)
        return datetime_literal_from_nanos(timeformats.datetime_to_nanos(value))
    if tp is datetime.timedelta:
        if not isinstance(value, datetime.timedelta):
            raise _mismatch(value, tp)
        return duration_literal_from_nanos(timeformats.timedelta_to_nanos(value))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        if any(isinstance(extra, PickleMarker) for extra in args[1:]):
            raise GravenTypeError(
                f"{type_name(tp)}: pickled values live in the object store, which only the "
                "worker side provides; they cannot be given inline here"
            )
        return _to_literal(value, args[0], exact=exact)
    if origin is list:
        if not isinstance(value, list | tuple):
            raise _mismatch(value, tp)
        return collection_literal([_item(item, args[0], f"[{i}]") for i, item in enumerate(value)])
    if origin is dict:
        if not isinstance(value, dict):
            raise _mismatch(value, tp)
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise GravenTypeError(f"expected {type_name(tp)}, got key {bad[0]!r} (keys are str)")
        return map_literal({k: _item(v, args[1], f"[{k!r}]") for k, v in value.items()})
    if origin is typing.Union or origin is types.UnionType:
        for strict in (True, False):
            for variant in args:
                try:
                    return _to_literal(value, variant, exact=strict)
                except GravenTypeError:
                    continue
        raise _mismatch(value, tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not isinstance(value, tp):
            raise _mismatch(value, tp)
        return string_literal(value.value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, tp):
            raise _mismatch(value, tp)
        hints = typing.get_type_hints(tp, include_extras=True)
        return structured_literal(
            {
                f.name: _item(getattr(value, f.name), hints[f.name], f".{f.name}")
                for f in dataclasses.fields(tp)
            }
        )
    raise GravenTypeError(f"unsupported type {type_name(tp)}")


def _item(value: object, tp: object, where: str) -> Literal:
    try:
        return _to_literal(value, tp, exact=False)
    except (GravenTypeError, GravenValueError) as exc:
        raise type(exc)(f"at {where}: {exc}") from None


def to_python(literal: Literal, tp: object) -> Any:
    """The Python value of ``literal`` as the type ``tp``; ``GravenTypeError`` if it is not one."""
    literal_type = literal_type_of(tp)
    if not literal_matches_type(literal, literal_type):
        raise GravenTypeError(
            f"expected {describe_type(literal_type)}, got a literal of another type "
            f"({_literal_summary(literal)})"
        )
    return _to_python(literal, tp)


def _to_python(literal: Literal, tp: object) -> Any:
    kind = literal.WhichOneof("value")
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        return _to_python(literal, args[0])
    if origin is typing.Union or origin is types.UnionType:
        # The first variant the literal fits, in declaration order.
        variant = next(a for a in args if literal_matches_type(literal, literal_type_of(a)))
        return _to_python(literal, variant)
    if kind == "none":
        return None
    if kind == "blob":
        raise GravenTypeError(
            f"{type_name(tp)}: stored values (files, tables, pickles) are read through the "
            "object store, which only the worker side provides"
        )
    if kind == "collection":
        return [_to_python(item, args[0]) for item in literal.collection.literals]
    if kind == "map":
        return {k: _to_python(v, args[1]) for k, v in literal.map.literals.items()}
    if kind == "structured":
        assert isinstance(tp, type)
        hints = typing.get_type_hints(tp, include_extras=True)
        fields = literal.structured.literals
        return tp(**{name: _to_python(fields[name], hints[name]) for name in fields})
    primitive = literal.primitive
    value_kind = primitive.WhichOneof("value")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(primitive.string_value)
    if value_kind == "datetime":
        ts = primitive.datetime
        return timeformats.nanos_to_datetime(ts.seconds * timeformats.NANOS_PER_SECOND + ts.nanos)
    if value_kind == "duration":
        d = primitive.duration
        return timeformats.nanos_to_timedelta(d.seconds * timeformats.NANOS_PER_SECOND + d.nanos)
    assert value_kind is not None
    return getattr(primitive, value_kind)


def _literal_summary(literal: Literal) -> str:
    kind = literal.WhichOneof("value")
    if kind == "primitive":
        return f"{literal.primitive.WhichOneof('value')} {_short_repr(to_json_value(literal))}"
    return kind or "empty"


# --- JSON ---------------------------------------------------------------------------------


def from_json_value(obj: object, literal_type: LiteralType) -> Literal:
    """A literal of ``literal_type`` from decoded JSON, or from a command-line string.

    Strings are read as the type asks: "3" for an int, "[1, 2]" for a list, an ISO 8601
    datetime with a time zone, "PT5S" / "5s" / "1.5" for a duration, base64 for bytes.
    """
    try:
        return _from_json(obj, literal_type)
    except (GravenTypeError, GravenValueError) as exc:
        raise GravenValueError(
            f"expected {describe_type(literal_type)}, got {_short_repr(obj)}: {exc}"
        ) from None


def _decoded(obj: object, python_kind: type) -> object:
    """``obj``, or a string holding JSON of the expected kind decoded (a CLI argument)."""
    if isinstance(obj, str) and python_kind is not str:
        try:
            return json.loads(obj)
        except json.JSONDecodeError:
            raise GravenValueError(f"not valid JSON for a {python_kind.__name__}") from None
    return obj


def _from_json(obj: object, t: LiteralType) -> Literal:
    kind = t.WhichOneof("type")
    if kind == "simple":
        return _simple_from_json(obj, t.simple)
    if kind == "collection_type":
        items = _decoded(obj, list)
        if not isinstance(items, list):
            raise GravenValueError("not a list")
        return collection_literal([_from_json(item, t.collection_type) for item in items])
    if kind in ("map_value_type", "structured_type"):
        mapping = _decoded(obj, dict)
        if not isinstance(mapping, dict):
            raise GravenValueError("not an object")
        if kind == "map_value_type":
            return map_literal(
                {str(k): _from_json(v, t.map_value_type) for k, v in mapping.items()}
            )
        schema = {f.name: f.type for f in t.structured_type.fields}
        missing = sorted(set(schema) - set(mapping))
        extra = sorted(set(mapping) - set(schema))
        if missing or extra:
            raise GravenValueError(f"missing fields {missing}, unknown fields {extra}")
        return structured_literal({k: _from_json(mapping[k], schema[k]) for k in schema})
    if kind == "union_type":
        variants = list(t.union_type.variants)
        if obj is None and NONE_TYPE in variants:
            return none_literal()
        for variant in variants:
            if variant == NONE_TYPE:
                continue
            try:
                return _from_json(obj, variant)
            except (GravenTypeError, GravenValueError):
                continue
        if obj == "null" and NONE_TYPE in variants:
            return none_literal()
        raise GravenValueError("matches no variant")
    if kind == "enum_type":
        if not isinstance(obj, str) or obj not in t.enum_type.values:
            raise GravenValueError(f"not one of {list(t.enum_type.values)}")
        return string_literal(obj)
    blob_type = _blob_type_of(t)
    if blob_type is not None:
        return _blob_from_json(_decoded(obj, dict), blob_type)
    raise GravenTypeError("the type is unspecified")


def _simple_from_json(obj: object, simple_type: SimpleType) -> Literal:
    if simple_type == SimpleType.SIMPLE_TYPE_NONE:
        if obj is None or obj == "null":
            return none_literal()
        raise GravenValueError("not null")
    if simple_type == SimpleType.SIMPLE_TYPE_STRING:
        if not isinstance(obj, str):
            raise GravenValueError("not a string")
        return string_literal(obj)
    if simple_type == SimpleType.SIMPLE_TYPE_BYTES:
        if not isinstance(obj, str):
            raise GravenValueError("not a base64 string")
        try:
            return primitive_literal(Primitive(bytes_value=base64.b64decode(obj, validate=True)))
        except binascii.Error:
            raise GravenValueError("not valid base64") from None
    if simple_type == SimpleType.SIMPLE_TYPE_DATETIME:
        if not isinstance(obj, str):
            raise GravenValueError("not an ISO 8601 string")
        return datetime_literal_from_nanos(
            timeformats.datetime_to_nanos(timeformats.parse_datetime(obj))
        )
    if simple_type == SimpleType.SIMPLE_TYPE_DURATION:
        if isinstance(obj, int | float) and not isinstance(obj, bool):
            obj = repr(obj)
        if not isinstance(obj, str):
            raise GravenValueError("not a duration")
        return duration_literal_from_nanos(timeformats.parse_duration_nanos(obj))
    if simple_type == SimpleType.SIMPLE_TYPE_FLOAT:
        if isinstance(obj, str):
            try:
                return float_literal(float(obj))
            except ValueError:
                raise GravenValueError("not a number") from None
        if isinstance(obj, int | float) and not isinstance(obj, bool):
            return float_literal(float(obj))
        raise GravenValueError("not a number")
    value = _decoded(obj, int if simple_type == SimpleType.SIMPLE_TYPE_INTEGER else bool)
    if simple_type == SimpleType.SIMPLE_TYPE_BOOLEAN and isinstance(value, bool):
        return primitive_literal(Primitive(boolean=value))
    if simple_type == SimpleType.SIMPLE_TYPE_INTEGER and type(value) is int:
        return int_literal(value)
    raise GravenValueError(f"not a {SIMPLE_NAMES.get(simple_type, 'value')}")


def _blob_from_json(obj: object, blob_type: BlobType) -> Literal:
    if not isinstance(obj, dict) or not {"uri", "sha256", "size"} <= set(obj):
        raise GravenValueError("not a stored blob {uri, sha256, size}")
    return blob_literal(
        Blob(uri=str(obj["uri"]), sha256=str(obj["sha256"]), size=int(obj["size"]), type=blob_type)
    )


def to_json_value(literal: Literal) -> object:
    """``literal`` as plain JSON (non-finite floats as "NaN" / "Infinity" / "-Infinity")."""
    kind = literal.WhichOneof("value")
    if kind == "none":
        return None
    if kind == "collection":
        return [to_json_value(item) for item in literal.collection.literals]
    if kind in ("map", "structured"):
        items = literal.map.literals if kind == "map" else literal.structured.literals
        return {k: to_json_value(items[k]) for k in sorted(items)}
    if kind == "blob":
        blob = literal.blob
        return {
            "uri": blob.uri,
            "sha256": blob.sha256,
            "size": blob.size,
            "format": blob.type.format,
            "dimensionality": blob_dimensionality_name(blob.type.dimensionality),
        }
    primitive = literal.primitive
    value_kind = primitive.WhichOneof("value")
    if value_kind == "float_value":
        value = primitive.float_value
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if value_kind == "bytes_value":
        return base64.b64encode(primitive.bytes_value).decode()
    if value_kind == "datetime":
        return primitive.datetime.ToJsonString()
    if value_kind == "duration":
        return primitive.duration.ToJsonString()
    if value_kind is None:
        raise GravenValueError("a literal has no value")
    return getattr(primitive, value_kind)
