"""Python types as LiteralTypes: the mapping, the names in messages, and assignability."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
from typing import Any, Optional, Union

import pytest
from sdk_support import Color, Point, Shape

from graven.errors import GravenTypeError
from graven.types import Pickled, describe_type, is_assignable, literal_type_of, type_problem
from graven.v1.types_pb2 import LiteralType, SimpleType


def lt(tp: object) -> LiteralType:
    return literal_type_of(tp)


@pytest.mark.parametrize(
    ("tp", "description"),
    [
        (int, "int"),
        (float, "float"),
        (str, "str"),
        (bool, "bool"),
        (bytes, "bytes"),
        (None, "None"),
        (type(None), "None"),
        (datetime.datetime, "datetime"),
        (datetime.timedelta, "timedelta"),
        (list[int], "list[int]"),
        (list[list[str]], "list[list[str]]"),
        (dict[str, float], "dict[str, float]"),
        (Optional[str], "Optional[str]"),  # noqa: UP045
        (str | None, "Optional[str]"),
        (Union[int, str], "Union[int, str]"),  # noqa: UP007
        (int | str | None, "Union[int, str, None]"),
        (Color, "sdk_support.Color"),
        (Point, "sdk_support.Point"),
        (list[Optional[Point]], "list[Optional[sdk_support.Point]]"),  # noqa: UP045
        (Pickled[set[int]], "Pickled[set[int]]"),
    ],
)
def test_describe_type_reads_like_python(tp: object, description: str) -> None:
    assert describe_type(lt(tp)) == description


def test_simple_types_map_to_their_simple_type() -> None:
    assert lt(int).simple == SimpleType.SIMPLE_TYPE_INTEGER
    assert lt(bool).simple == SimpleType.SIMPLE_TYPE_BOOLEAN
    assert lt(None).simple == SimpleType.SIMPLE_TYPE_NONE


def test_enum_keeps_its_values_in_order() -> None:
    t = lt(Color)
    assert t.enum_type.name == "sdk_support.Color"
    assert list(t.enum_type.values) == ["red", "green"]


def test_dataclass_becomes_a_nested_structured_type() -> None:
    t = lt(Shape)
    fields = {f.name: f.type for f in t.structured_type.fields}
    assert [f.name for f in t.structured_type.fields] == ["name", "points", "color", "tags"]
    assert fields["points"].collection_type.structured_type.name == "sdk_support.Point"
    assert describe_type(fields["color"]) == "Optional[sdk_support.Color]"
    assert describe_type(fields["tags"]) == "dict[str, bytes]"


def test_unions_flatten_and_drop_duplicates() -> None:
    assert lt(Union[int, Union[str, int]]) == lt(Union[int, str])  # noqa: UP007
    assert lt(Optional[Optional[int]]) == lt(Optional[int])  # noqa: UP045


class Numbered(enum.Enum):
    ONE = 1


@dataclasses.dataclass
class Node:
    child: Optional[Node]  # noqa: UP045


@dataclasses.dataclass
class Derived:
    value: int
    cached: int = dataclasses.field(init=False, default=0)


@pytest.mark.parametrize(
    ("tp", "message"),
    [
        (set[int], "unsupported type set[int]"),
        (tuple[int, str], "unsupported type tuple[int, str]"),
        (dict[int, str], "maps must be dict[str, T]"),
        (list, "give the element type"),
        (Any, "unsupported type Any"),
        (datetime.date, "unsupported type date"),
        (Numbered, "enum values must be strings (ONE = 1)"),
        (Node, "a dataclass cannot nest itself"),
        (Derived, "field 'cached' has init=False"),
        (list[complex], "unsupported type complex"),
    ],
)
def test_unsupported_types_are_named(tp: object, message: str) -> None:
    with pytest.raises(GravenTypeError, match=re.escape(message)) as info:
        literal_type_of(tp)
    assert "\n" not in str(info.value)


OPT_INT = Optional[int]  # noqa: UP045


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        (int, int, True),
        (int, OPT_INT, True),
        (None, OPT_INT, True),
        (int, Union[int, str], True),  # noqa: UP007
        (str, Union[int, str], True),  # noqa: UP007
        (Union[int, str], Union[str, int, None], True),  # noqa: UP007
        (list[int], list[Optional[int]], True),  # noqa: UP045
        (dict[str, int], dict[str, Optional[int]], True),  # noqa: UP045
        (Point, Point, True),
        (Color, Color, True),
        # Strict on purpose:
        (int, float, False),
        (float, int, False),
        (bool, int, False),
        (OPT_INT, int, False),
        (None, int, False),
        (Union[int, str], int, False),  # noqa: UP007
        (list[int], list[float], False),
        (list[Optional[int]], list[int], False),  # noqa: UP045
        (dict[str, int], list[int], False),
        (str, Color, False),
        (Color, str, False),
        (Point, Shape, False),
        (Pickled[Point], Point, False),
        (datetime.timedelta, float, False),
    ],
)
def test_assignability(source: object, target: object, ok: bool) -> None:
    assert is_assignable(lt(source), lt(target)) is ok
    assert (type_problem(lt(source), lt(target)) is None) is ok


def test_type_problem_explains_int_to_float() -> None:
    problem = type_problem(lt(int), lt(float))
    assert problem is not None
    assert problem.startswith("expected float, got int")
    assert "does not widen" in problem


def test_type_problem_explains_optional_to_required() -> None:
    assert type_problem(lt(Optional[str]), lt(str)) == (  # noqa: UP045
        "expected str, got Optional[str] (the value may be None)"
    )
