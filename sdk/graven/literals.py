"""Values as Graven ``Literal``s; a top-level value carries the sha256 of its canonical bytes.

The canonical bytes of a literal are its deterministic protobuf serialization with ``hash``
empty; a top-level literal (an input or an output) carries ``hash`` = "sha256:<hex>" of them,
and nested literals carry none (a hash inside would change the bytes of an equal value).
Those bytes are the value's artifact in the object store (``graven.artifacts``), so the
artifact hashes to its key, and caching and lineage key on content, never on a place.

Equal values must give equal bytes, so every builder here makes the canonical form: floats
fold ``-0.0`` into ``0.0`` and every NaN into one NaN (Python calls ``-0.0 == 0.0``, and a
cache must treat all NaNs alike); datetimes are UTC instants whatever zone they were written
in; dicts and dataclasses need nothing, as deterministic serialization sorts map keys. An
enum member and its string value are the same content.

Files, directories, tables and pickles are stored, not inline: their literal is a ``Blob``
naming the content's sha256, written and read through a ``graven.blobs.Blobs``. Conversions
are driven by the Python annotation (``to_literal``, ``to_python``) or, where only the
``LiteralType`` is known (the CLI, the console), by the JSON bridge (``from_json_value``,
``to_json_value``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import enum
import json
import math
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from graven import timeformats
from graven.digests import PREFIX, message_digest
from graven.errors import GravenTypeError, GravenValueError
from graven.types import (
    NONE_TYPE,
    PICKLE_FORMAT,
    SIMPLE_NAMES,
    blob_dimensionality_name,
    describe_type,
    is_pickled,
    is_stored_type,
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

if TYPE_CHECKING:
    from graven.blobs import Blobs

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# google.protobuf.Duration covers +-10,000 years.
DURATION_MAX_SECONDS = 315_576_000_000
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

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


def unhashed(literal: Literal) -> Literal:
    """``literal`` without its ``hash`` (a copy when it has one): what its content is."""
    if not literal.hash:
        return literal
    copy = Literal()
    copy.CopyFrom(literal)
    copy.ClearField("hash")
    return copy


def literal_hash(literal: Literal) -> str:
    """The content hash of ``literal``, recomputed from its bytes (it trusts no stored hash)."""
    return message_digest(unhashed(literal))


def sealed(literal: Literal) -> Literal:
    """``literal`` as a top-level value: its ``hash`` set (in place) to its content hash."""
    literal.ClearField("hash")
    literal.hash = message_digest(literal)
    return literal


def nested_hash_path(literal: Literal) -> str | None:
    """The path (relative to ``literal``) of the first nested literal carrying a hash.

    Only a top-level value carries one: a hash inside would change the canonical bytes, so
    two equal values could get two hashes and never share an artifact or a cache entry."""
    for path, child in _children(literal):
        if child.hash:
            return path
        inner = nested_hash_path(child)
        if inner is not None:
            return f"{path}.{inner}"
    return None


def _children(literal: Literal) -> Iterator[tuple[str, Literal]]:
    kind = literal.WhichOneof("value")
    if kind == "collection":
        for i, item in enumerate(literal.collection.literals):
            yield f"collection.literals[{i}]", item
    elif kind in ("map", "structured"):
        items = literal.map.literals if kind == "map" else literal.structured.literals
        for key in sorted(items):
            yield f"{kind}.literals[{key!r}]", items[key]


def canonical_float(value: float) -> float:
    """``value`` with -0.0 folded into 0.0 and every NaN into one NaN: equal content, equal
    bytes (Python calls ``-0.0 == 0.0``, and a cache must treat all NaNs alike)."""
    return math.nan if math.isnan(value) else value + 0.0  # -0.0 + 0.0 == 0.0


# The builders below make nested (unsealed) literals; the public ones seal a top-level value.


def _collection(items: Iterable[Literal]) -> Literal:
    literal = Literal(collection=LiteralCollection(literals=items))
    for item in literal.collection.literals:
        item.ClearField("hash")
    return literal


def _pairs(items: Mapping[str, Literal]) -> LiteralMap:
    pairs = LiteralMap(literals=items)
    for item in pairs.literals.values():
        item.ClearField("hash")
    return pairs


def _int(value: int) -> Literal:
    if not INT64_MIN <= value <= INT64_MAX:
        raise GravenValueError(f"integer {value} does not fit in 64 bits")
    return Literal(primitive=Primitive(integer=value))


def _float(value: float) -> Literal:
    return Literal(primitive=Primitive(float_value=canonical_float(value)))


def _string(value: str) -> Literal:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise GravenValueError(f"string {value!r} is not valid unicode text") from None
    return Literal(primitive=Primitive(string_value=value))


def _none() -> Literal:
    return Literal(none=Void())


def _datetime(nanos: int) -> Literal:
    seconds, rest = divmod(nanos, timeformats.NANOS_PER_SECOND)
    return Literal(primitive=Primitive(datetime=Timestamp(seconds=seconds, nanos=rest)))


def _duration(nanos: int) -> Literal:
    seconds, rest = timeformats.split_nanos(nanos)
    if abs(seconds) > DURATION_MAX_SECONDS:
        raise GravenValueError("duration is longer than 10,000 years")
    return Literal(primitive=Primitive(duration=Duration(seconds=seconds, nanos=rest)))


def int_literal(value: int) -> Literal:
    return sealed(_int(value))


def float_literal(value: float) -> Literal:
    return sealed(_float(value))


def string_literal(value: str) -> Literal:
    return sealed(_string(value))


def collection_literal(items: Iterable[Literal]) -> Literal:
    """A list of values (top-level or not: the items' hashes are dropped)."""
    return sealed(_collection(items))


def map_literal(items: Mapping[str, Literal]) -> Literal:
    """A dict of values (top-level or not: the items' hashes are dropped)."""
    return sealed(Literal(map=_pairs(items)))


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


def to_literal(value: object, tp: object, blobs: Blobs | None = None) -> Literal:
    """``value`` as a top-level literal of the Python type ``tp``; ``GravenTypeError`` if it
    does not fit. Files, directories, tables and pickles are stored through ``blobs``."""
    literal_type_of(tp)  # rejects unsupported types with the one message that lists them
    return sealed(_to_literal(value, tp, blobs, exact=False))


def _to_literal(value: object, tp: object, blobs: Blobs | None, *, exact: bool) -> Literal:
    """``exact`` forbids the int-for-float courtesy, so a union prefers its int variant."""
    if tp is None or tp is types.NoneType:
        if value is not None:
            raise _mismatch(value, tp)
        return _none()
    if tp is bool:
        if not isinstance(value, bool):
            raise _mismatch(value, tp)
        return Literal(primitive=Primitive(boolean=value))
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _mismatch(value, tp)
        return _int(value)
    if tp is float:
        # Python's typing lets an int stand for a float; the value becomes a float.
        if isinstance(value, float) or (
            not exact and isinstance(value, int) and not isinstance(value, bool)
        ):
            return _float(float(value))
        raise _mismatch(value, tp)
    if tp is str:
        if not isinstance(value, str):
            raise _mismatch(value, tp)
        return _string(value)
    if tp is bytes:
        if not isinstance(value, bytes):
            raise _mismatch(value, tp)
        return Literal(primitive=Primitive(bytes_value=value))
    if tp is datetime.datetime:
        if not isinstance(value, datetime.datetime):
            raise _mismatch(value, tp)
        return _datetime(timeformats.datetime_to_nanos(value))
    if tp is datetime.timedelta:
        if not isinstance(value, datetime.timedelta):
            raise _mismatch(value, tp)
        return _duration(timeformats.timedelta_to_nanos(value))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        if is_pickled(tp):
            return _stored(value, tp, blobs)
        return _to_literal(value, args[0], blobs, exact=exact)
    if origin is list:
        if not isinstance(value, list | tuple):
            raise _mismatch(value, tp)
        return _collection(_item(item, args[0], blobs, f"[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _mismatch(value, tp)
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise GravenTypeError(f"expected {type_name(tp)}, got key {bad[0]!r} (keys are str)")
        return Literal(
            map=_pairs({k: _item(v, args[1], blobs, f"[{k!r}]") for k, v in value.items()})
        )
    if origin is typing.Union or origin is types.UnionType:
        no_blobs: _NoBlobs | None = None
        for strict in (True, False):
            for variant in args:
                try:
                    return _to_literal(value, variant, blobs, exact=strict)
                except _NoBlobs as exc:
                    no_blobs = exc  # a better reason than "matches no variant"
                except GravenTypeError:
                    continue
        raise no_blobs or _mismatch(value, tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not isinstance(value, tp):
            raise _mismatch(value, tp)
        return _string(value.value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, tp):
            raise _mismatch(value, tp)
        hints = typing.get_type_hints(tp, include_extras=True)
        fields = {
            f.name: _item(getattr(value, f.name), hints[f.name], blobs, f".{f.name}")
            for f in dataclasses.fields(tp)
        }
        return Literal(structured=LiteralMap(literals=fields))
    if is_stored_type(tp):
        return _stored(value, tp, blobs)
    raise GravenTypeError(f"unsupported type {type_name(tp)}")


def _stored(value: object, tp: object, blobs: Blobs | None) -> Literal:
    # Imported here: it brings the object store's client, which plain values never need.
    from graven import stored

    if not stored.fits(value, tp):
        raise _mismatch(value, tp)
    ref = stored.put_value(value, tp, _needed(blobs, tp))
    blob_type = _blob_type_of(literal_type_of(tp))
    assert blob_type is not None
    return Literal(blob=Blob(sha256=ref.sha256, size=ref.size, type=blob_type))


class _NoBlobs(GravenTypeError):
    """A stored value met where no store is at hand: no other union variant would do better."""


def _needed(blobs: Blobs | None, tp: object) -> Blobs:
    if blobs is None:
        raise _NoBlobs(
            f"{type_name(tp)}: files, directories, tables and pickles are kept in the object "
            "store, and none is at hand here (convert them with blobs=...)"
        )
    return blobs


def _item(value: object, tp: object, blobs: Blobs | None, where: str) -> Literal:
    try:
        return _to_literal(value, tp, blobs, exact=False)
    except (GravenTypeError, GravenValueError) as exc:
        raise type(exc)(f"at {where}: {exc}") from None


def to_python(literal: Literal, tp: object, blobs: Blobs | None = None) -> Any:
    """The Python value of ``literal`` as the type ``tp``; ``GravenTypeError`` if it is not one.
    Stored values are read through ``blobs`` (files and directories into its local cache)."""
    literal_type = literal_type_of(tp)
    if not literal_matches_type(literal, literal_type):
        raise GravenTypeError(
            f"expected {describe_type(literal_type)}, got a literal of another type "
            f"({_literal_summary(literal)})"
        )
    return _to_python(literal, tp, blobs)


def _to_python(literal: Literal, tp: object, blobs: Blobs | None) -> Any:
    kind = literal.WhichOneof("value")
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if kind == "blob" and (is_pickled(tp) or is_stored_type(tp)):
        from graven import stored  # as in _stored

        return stored.read_value(literal.blob.sha256, tp, _needed(blobs, tp))
    if origin is Annotated:
        return _to_python(literal, args[0], blobs)
    if origin is typing.Union or origin is types.UnionType:
        # The first variant the literal fits, in declaration order.
        variant = next(a for a in args if literal_matches_type(literal, literal_type_of(a)))
        return _to_python(literal, variant, blobs)
    if kind == "none":
        return None
    if kind == "collection":
        return [_to_python(item, args[0], blobs) for item in literal.collection.literals]
    if kind == "map":
        return {k: _to_python(v, args[1], blobs) for k, v in literal.map.literals.items()}
    if kind == "structured":
        assert isinstance(tp, type)
        hints = typing.get_type_hints(tp, include_extras=True)
        fields = literal.structured.literals
        return tp(**{name: _to_python(fields[name], hints[name], blobs) for name in fields})
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
        return sealed(_from_json(obj, literal_type))
    except (GravenTypeError, GravenValueError) as exc:
        raise GravenValueError(
            f"expected {describe_type(literal_type)}, got {_short_repr(obj)}: {exc}"
        ) from None
    except RecursionError:
        # A value nested about as deeply as Python's stack (a deeply nested type given a
        # deeply nested value): refused as input, not a traceback.
        raise GravenValueError(
            f"expected {describe_type(literal_type)}, got {_short_repr(obj)}: nested too deeply"
        ) from None


def _decoded(obj: object, python_kind: type) -> object:
    """``obj``, or a string holding JSON of the expected kind decoded (a CLI argument)."""
    if isinstance(obj, str) and python_kind is not str:
        try:
            return json.loads(obj, parse_float=_finite_float)
        except json.JSONDecodeError:
            raise GravenValueError(f"not valid JSON for a {python_kind.__name__}") from None
        except RecursionError:
            # json's decoder recurses once per level: 5,000 nested lists exhaust the stack.
            raise GravenValueError("JSON nested too deeply") from None
    return obj


# How a user spells an infinity on purpose (the JSON bridge writes "Infinity").
INFINITY_SPELLINGS = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


def _finite_float(text: str) -> float:
    """A JSON number as a float (json.loads's parse_float), see _finite."""
    return _finite(float(text), text)


def _finite(value: float, text: str) -> float:
    """``value`` read from ``text``, refusing a number too large for a float: Python reads
    1e400 as inf, which would silently run with a value nobody typed. An infinity is given
    by name ("inf", "Infinity")."""
    if math.isinf(value) and text.strip().lower() not in INFINITY_SPELLINGS:
        raise GravenValueError(f"{text.strip()[:40]} is too large for a float (64 bits)")
    return value


def _from_json(obj: object, t: LiteralType) -> Literal:
    kind = t.WhichOneof("type")
    if kind == "simple":
        return _simple_from_json(obj, t.simple)
    if kind == "collection_type":
        items = _decoded(obj, list)
        if not isinstance(items, list):
            raise GravenValueError("not a list")
        return _collection(_from_json(item, t.collection_type) for item in items)
    if kind in ("map_value_type", "structured_type"):
        mapping = _decoded(obj, dict)
        if not isinstance(mapping, dict):
            raise GravenValueError("not an object")
        if kind == "map_value_type":
            return Literal(
                map=_pairs({str(k): _from_json(v, t.map_value_type) for k, v in mapping.items()})
            )
        schema = {f.name: f.type for f in t.structured_type.fields}
        missing = sorted(set(schema) - set(mapping))
        extra = sorted(set(mapping) - set(schema))
        if missing or extra:
            raise GravenValueError(f"missing fields {missing}, unknown fields {extra}")
        return Literal(
            structured=LiteralMap(literals={k: _from_json(mapping[k], schema[k]) for k in schema})
        )
    if kind == "union_type":
        variants = list(t.union_type.variants)
        if obj is None and NONE_TYPE in variants:
            return _none()
        for variant in variants:
            if variant == NONE_TYPE:
                continue
            try:
                return _from_json(obj, variant)
            except (GravenTypeError, GravenValueError):
                continue
        if obj == "null" and NONE_TYPE in variants:
            return _none()
        raise GravenValueError("matches no variant")
    if kind == "enum_type":
        if not isinstance(obj, str) or obj not in t.enum_type.values:
            raise GravenValueError(f"not one of {list(t.enum_type.values)}")
        return _string(obj)
    blob_type = _blob_type_of(t)
    if blob_type is not None:
        return _blob_from_json(_decoded(obj, dict), blob_type)
    raise GravenTypeError("the type is unspecified")


def _simple_from_json(obj: object, simple_type: SimpleType) -> Literal:
    if simple_type == SimpleType.SIMPLE_TYPE_NONE:
        if obj is None or obj == "null":
            return _none()
        raise GravenValueError("not null")
    if simple_type == SimpleType.SIMPLE_TYPE_STRING:
        if not isinstance(obj, str):
            raise GravenValueError("not a string")
        return _string(obj)
    if simple_type == SimpleType.SIMPLE_TYPE_BYTES:
        if not isinstance(obj, str):
            raise GravenValueError("not a base64 string")
        try:
            return Literal(primitive=Primitive(bytes_value=base64.b64decode(obj, validate=True)))
        except binascii.Error:
            raise GravenValueError("not valid base64") from None
    if simple_type == SimpleType.SIMPLE_TYPE_DATETIME:
        if not isinstance(obj, str):
            raise GravenValueError("not an ISO 8601 string")
        return _datetime(timeformats.datetime_to_nanos(timeformats.parse_datetime(obj)))
    if simple_type == SimpleType.SIMPLE_TYPE_DURATION:
        if isinstance(obj, int | float) and not isinstance(obj, bool):
            obj = repr(obj)
        if not isinstance(obj, str):
            raise GravenValueError("not a duration")
        return _duration(timeformats.parse_duration_nanos(obj))
    if simple_type == SimpleType.SIMPLE_TYPE_FLOAT:
        if isinstance(obj, str):
            try:
                number = float(obj)
            except ValueError:
                raise GravenValueError("not a number") from None
            return _float(_finite(number, obj))
        if isinstance(obj, int | float) and not isinstance(obj, bool):
            return _float(float(obj))
        raise GravenValueError("not a number")
    value = _decoded(obj, int if simple_type == SimpleType.SIMPLE_TYPE_INTEGER else bool)
    if simple_type == SimpleType.SIMPLE_TYPE_BOOLEAN and isinstance(value, bool):
        return Literal(primitive=Primitive(boolean=value))
    if simple_type == SimpleType.SIMPLE_TYPE_INTEGER and type(value) is int:
        return _int(value)
    raise GravenValueError(f"not a {SIMPLE_NAMES.get(simple_type, 'value')}")


def _blob_from_json(obj: object, blob_type: BlobType) -> Literal:
    """A blob already stored (the CLI uploads a file first, then names its content)."""
    if not isinstance(obj, dict) or not {"sha256", "size"} <= set(obj):
        raise GravenValueError("not a stored blob {sha256, size}")
    sha256, size = obj["sha256"], obj["size"]
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256.removeprefix(PREFIX)):
        raise GravenValueError(f"sha256 {sha256!r} is not 64 lower-case hex digits")
    if type(size) is not int or size < 0:
        raise GravenValueError(f"size {size!r} is not a byte count")
    return Literal(blob=Blob(sha256=sha256.removeprefix(PREFIX), size=size, type=blob_type))


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
