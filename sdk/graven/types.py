"""Python types as Graven ``LiteralType``s, and the rule for which type may feed which.

Supported: ``int``, ``float``, ``str``, ``bool``, ``bytes``, ``None``, ``datetime``,
``timedelta``, ``list[T]``, ``dict[str, T]``, ``Optional[T]`` and other unions, ``Enum``
subclasses with string values, dataclasses (a structured type with a field schema, nested
freely but not recursively), and the stored kinds: ``graven.File``, ``graven.Directory``,
``pyarrow.Table`` (the ``tabular`` extra) and ``Pickled[T]``, the explicit opt-in to carry any
object with pickle.

Stored kinds are kept in the object store, not inline: their literal is a ``Blob`` (content
sha256, size, type; a table is a blob of format "parquet", a pickle one of format "pickle").
Their types are described, compared and checked here without the store, so the control plane
accepts them; values of them are made and read through a ``graven.blobs.Blobs``.

Assignability is strict on purpose: a registered graph must run without surprises, so an
``int`` output never silently feeds a ``float`` input. What widens is only what loses no
information: ``T`` into ``Optional[T]`` or a union containing ``T``, ``None`` into any
optional, and element-wise through lists, dicts and unions.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import sys
import types
import typing
from typing import Annotated, TypeAlias, TypeVar

from graven.errors import GravenTypeError
from graven.files import Directory, File
from graven.project import main_module_name
from graven.tables import PARQUET_FORMAT, is_table_type
from graven.v1.types_pb2 import (
    BLOB_DIMENSIONALITY_MULTIPART,
    BLOB_DIMENSIONALITY_SINGLE,
    BlobType,
    EnumType,
    LiteralType,
    PickleType,
    SimpleType,
    StructuredField,
    StructuredType,
    TabularType,
    UnionType,
)

T = TypeVar("T")


class PickleMarker:
    """Marks ``Annotated[T, PICKLE]``: the user opted in to carry ``T`` with pickle."""

    def __repr__(self) -> str:
        return "PICKLE"


PICKLE = PickleMarker()

# ``Pickled[MyClass]`` reads as ``MyClass`` to a type checker and as a pickle type to Graven.
Pickled: TypeAlias = Annotated[T, PICKLE]

PICKLE_FORMAT = "pickle"

SIMPLE_TYPES: dict[object, SimpleType] = {
    type(None): SimpleType.SIMPLE_TYPE_NONE,
    int: SimpleType.SIMPLE_TYPE_INTEGER,
    float: SimpleType.SIMPLE_TYPE_FLOAT,
    str: SimpleType.SIMPLE_TYPE_STRING,
    bool: SimpleType.SIMPLE_TYPE_BOOLEAN,
    bytes: SimpleType.SIMPLE_TYPE_BYTES,
    datetime.datetime: SimpleType.SIMPLE_TYPE_DATETIME,
    datetime.timedelta: SimpleType.SIMPLE_TYPE_DURATION,
}

SIMPLE_NAMES: dict[SimpleType, str] = {
    SimpleType.SIMPLE_TYPE_NONE: "None",
    SimpleType.SIMPLE_TYPE_INTEGER: "int",
    SimpleType.SIMPLE_TYPE_FLOAT: "float",
    SimpleType.SIMPLE_TYPE_STRING: "str",
    SimpleType.SIMPLE_TYPE_BOOLEAN: "bool",
    SimpleType.SIMPLE_TYPE_BYTES: "bytes",
    SimpleType.SIMPLE_TYPE_DATETIME: "datetime",
    SimpleType.SIMPLE_TYPE_DURATION: "timedelta",
}

NONE_TYPE = LiteralType(simple=SimpleType.SIMPLE_TYPE_NONE)

SUPPORTED = (
    "int, float, str, bool, bytes, None, datetime, timedelta, list[T], dict[str, T], "
    "Optional[T], Union[...], str-valued Enum, dataclass, File, Directory, pyarrow.Table, "
    "Pickled[T]"
)

STORED_TYPES: dict[object, LiteralType] = {
    File: LiteralType(blob=BlobType(dimensionality=BLOB_DIMENSIONALITY_SINGLE)),
    Directory: LiteralType(blob=BlobType(dimensionality=BLOB_DIMENSIONALITY_MULTIPART)),
}


Found = TypeVar("Found")


def _lookup(table: dict[object, Found], tp: object) -> Found | None:
    """``table[tp]``, or None. ``Annotated[T, {...}]`` (and any type holding one, such as
    ``list[Annotated[T, {...}]]``) cannot be hashed, since its metadata cannot: such a type is
    no key of a table, and asking must not crash the loader with a bare TypeError."""
    try:
        return table.get(tp)
    except TypeError:
        return None


def is_pickled(tp: object) -> bool:
    """Whether ``tp`` is ``Pickled[T]``."""
    return typing.get_origin(tp) is Annotated and any(
        isinstance(extra, PickleMarker) for extra in typing.get_args(tp)[1:]
    )


def is_stored_type(tp: object) -> bool:
    """Whether values of ``tp`` are kept in the object store (``Pickled[T]`` aside)."""
    return _lookup(STORED_TYPES, tp) is not None or is_table_type(tp)


def simple(simple_type: SimpleType) -> LiteralType:
    return LiteralType(simple=simple_type)


def type_name(tp: object) -> str:
    """How a Python type reads in an error message."""
    if isinstance(tp, type) and typing.get_origin(tp) is None:
        return tp.__qualname__
    return repr(tp).replace("typing.", "")


def qualified_name(cls: type) -> str:
    """``module.Class``, the module named as the loader names it even when run as a script."""
    module = sys.modules.get(cls.__module__)
    module_name = main_module_name(module) if module is not None else cls.__module__
    return f"{module_name}.{cls.__qualname__}"


def literal_type_of(tp: object) -> LiteralType:
    """The ``LiteralType`` of a Python annotation; ``GravenTypeError`` naming it if unsupported."""
    return _literal_type_of(tp, ())


def _literal_type_of(tp: object, enclosing: tuple[type, ...]) -> LiteralType:
    if tp is None:
        tp = type(None)
    simple_type = _lookup(SIMPLE_TYPES, tp)
    if simple_type is not None:
        return simple(simple_type)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        if is_pickled(tp):
            return LiteralType(pickle=PickleType(python_type=type_name(args[0])))
        return _literal_type_of(args[0], enclosing)
    if origin is list:
        if len(args) != 1:
            raise GravenTypeError(f"unsupported type {type_name(tp)}: use list[T]")
        return LiteralType(collection_type=_literal_type_of(args[0], enclosing))
    if origin is dict:
        if len(args) != 2 or args[0] is not str:
            raise GravenTypeError(
                f"unsupported type {type_name(tp)}: maps must be dict[str, T] (string keys)"
            )
        return LiteralType(map_value_type=_literal_type_of(args[1], enclosing))
    if origin is typing.Union or origin is types.UnionType:
        return union_of([_literal_type_of(arg, enclosing) for arg in args])
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_type(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _structured_type(tp, enclosing)
    stored_type = _lookup(STORED_TYPES, tp)
    if stored_type is not None:
        return stored_type
    if is_table_type(tp):
        return LiteralType(tabular=TabularType(format=PARQUET_FORMAT))
    if tp in (list, dict):
        raise GravenTypeError(f"unsupported type {type_name(tp)}: give the element type")
    raise GravenTypeError(f"unsupported type {type_name(tp)}; supported: {SUPPORTED}")


def union_of(variants: list[LiteralType]) -> LiteralType:
    """A union of ``variants`` (flattened, duplicates dropped, in declaration order)."""
    flat: list[LiteralType] = []
    for variant in variants:
        for member in union_variants(variant):
            if member not in flat:
                flat.append(member)
    if len(flat) == 1:
        return flat[0]
    return LiteralType(union_type=UnionType(variants=flat))


def union_variants(literal_type: LiteralType) -> list[LiteralType]:
    """The variants of a union, or the type alone."""
    if literal_type.WhichOneof("type") == "union_type":
        return list(literal_type.union_type.variants)
    return [literal_type]


def optional_of(literal_type: LiteralType) -> LiteralType:
    return union_of([literal_type, NONE_TYPE])


def _enum_type(cls: type[enum.Enum]) -> LiteralType:
    members = list(cls)
    wrong = [m for m in members if not isinstance(m.value, str)]
    if wrong:
        raise GravenTypeError(
            f"unsupported type {cls.__qualname__}: enum values must be strings "
            f"({wrong[0].name} = {wrong[0].value!r})"
        )
    return LiteralType(
        enum_type=EnumType(name=qualified_name(cls), values=[m.value for m in members])
    )


def _structured_type(cls: type, enclosing: tuple[type, ...]) -> LiteralType:
    if cls in enclosing:
        raise GravenTypeError(
            f"unsupported type {cls.__qualname__}: a dataclass cannot nest itself"
        )
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise GravenTypeError(
            f"dataclass {cls.__qualname__}: cannot resolve its field annotations ({exc})"
        ) from None
    fields: list[StructuredField] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            raise GravenTypeError(
                f"dataclass {cls.__qualname__}: field {field.name!r} has init=False, so a "
                "value could not be rebuilt from its fields"
            )
        try:
            field_type = _literal_type_of(hints[field.name], (*enclosing, cls))
        except GravenTypeError as exc:
            raise GravenTypeError(
                f"dataclass {cls.__qualname__}: field {field.name!r}: {exc}"
            ) from None
        fields.append(StructuredField(name=field.name, type=field_type))
    return LiteralType(structured_type=StructuredType(name=qualified_name(cls), fields=fields))


def describe_type(t: LiteralType) -> str:
    """A Python-like name for a type, for messages: "list[int]", "Optional[str]", "m.Point"."""
    kind = t.WhichOneof("type")
    if kind == "simple":
        return SIMPLE_NAMES.get(t.simple, "unspecified")
    if kind == "collection_type":
        return f"list[{describe_type(t.collection_type)}]"
    if kind == "map_value_type":
        return f"dict[str, {describe_type(t.map_value_type)}]"
    if kind == "union_type":
        variants = list(t.union_type.variants)
        others = [v for v in variants if v != NONE_TYPE]
        if len(others) == 1 and len(variants) == 2:
            return f"Optional[{describe_type(others[0])}]"
        return "Union[" + ", ".join(describe_type(v) for v in variants) + "]"
    if kind == "enum_type":
        return t.enum_type.name
    if kind == "structured_type":
        return t.structured_type.name
    if kind == "blob":
        noun = "Directory" if t.blob.dimensionality == BLOB_DIMENSIONALITY_MULTIPART else "File"
        return f"{noun}[{t.blob.format}]" if t.blob.format else noun
    if kind == "tabular":
        return f"Table[{t.tabular.format}]" if t.tabular.format else "Table"
    if kind == "pickle":
        return f"Pickled[{t.pickle.python_type}]"
    return "unspecified"


def is_assignable(source: LiteralType, target: LiteralType) -> bool:
    """Whether a value of type ``source`` may bind to an input of type ``target``."""
    if source == target:
        return True
    source_kind = source.WhichOneof("type")
    target_kind = target.WhichOneof("type")
    if source_kind is None or target_kind is None:
        return False
    if source_kind == "union_type":
        return all(is_assignable(v, target) for v in source.union_type.variants)
    if target_kind == "union_type":
        return any(is_assignable(source, v) for v in target.union_type.variants)
    if source_kind != target_kind:
        return False
    if source_kind == "collection_type":
        return is_assignable(source.collection_type, target.collection_type)
    if source_kind == "map_value_type":
        return is_assignable(source.map_value_type, target.map_value_type)
    if source_kind == "blob":
        # A target without a format accepts any format: "a file" takes "a csv file".
        return source.blob.dimensionality == target.blob.dimensionality and (
            not target.blob.format or source.blob.format == target.blob.format
        )
    return False


def type_problem(source: LiteralType, target: LiteralType) -> str | None:
    """Why ``source`` cannot bind to ``target`` (one phrase), or None when it can."""
    if is_assignable(source, target):
        return None
    hint = ""
    if source == simple(SimpleType.SIMPLE_TYPE_INTEGER) and target == simple(
        SimpleType.SIMPLE_TYPE_FLOAT
    ):
        hint = " (int does not widen to float implicitly: declare float, or convert in a task)"
    elif any(v == NONE_TYPE for v in union_variants(source)) and NONE_TYPE not in union_variants(
        target
    ):
        hint = " (the value may be None)"
    return f"expected {describe_type(target)}, got {describe_type(source)}{hint}"


def blob_dimensionality_name(dimensionality: int) -> str:
    return "multipart" if dimensionality == BLOB_DIMENSIONALITY_MULTIPART else "single"
