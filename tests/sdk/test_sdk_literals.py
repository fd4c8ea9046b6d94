"""Values as literals: round trips, content hashes, type matching and the JSON bridge."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
import struct
from typing import Any, Optional

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sdk_support import INT64, TYPED_VALUES, TYPES_AND_VALUES, Color, Point, Shape

from graven.artifacts import artifact_bytes, literal_from_artifact
from graven.digests import sha256_hex
from graven.errors import GravenTypeError, GravenValueError
from graven.literals import (
    collection_literal,
    from_json_value,
    int_literal,
    literal_hash,
    literal_matches_type,
    map_literal,
    nested_hash_path,
    to_json_value,
    to_literal,
    to_python,
)
from graven.types import Pickled, literal_type_of
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import BLOB_DIMENSIONALITY_SINGLE, BlobType, LiteralType

HASH = re.compile(r"sha256:[0-9a-f]{64}")
UTC = datetime.UTC
ELSEWHERE = datetime.timezone(datetime.timedelta(hours=-7, minutes=-30))


def nested(literal: Literal) -> list[Literal]:
    """Every literal inside ``literal`` (not itself)."""
    kind = literal.WhichOneof("value")
    if kind == "collection":
        children = list(literal.collection.literals)
    elif kind in ("map", "structured"):
        children = list(getattr(literal, kind).literals.values())
    else:
        return []
    return children + [inner for child in children for inner in nested(child)]


def twin(value: Any) -> Any:
    """An equal value built differently: dicts in reverse order, datetimes in another time
    zone, zeros of the other sign."""
    if isinstance(value, float) and value == 0.0:
        return -value
    if isinstance(value, datetime.datetime):
        return value.astimezone(ELSEWHERE)
    if isinstance(value, dict):
        return {k: twin(v) for k, v in reversed(value.items())}
    if isinstance(value, list):
        return [twin(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: twin(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    return value


@given(TYPED_VALUES)
def test_python_values_round_trip(typed: tuple[object, Any]) -> None:
    tp, value = typed
    literal = to_literal(value, tp)
    assert to_python(literal, tp) == value
    assert literal_matches_type(literal, literal_type_of(tp))


@given(TYPED_VALUES)
def test_a_value_carries_the_hash_of_its_artifact_bytes_and_nested_literals_none(
    typed: tuple[object, Any],
) -> None:
    tp, value = typed
    literal = to_literal(value, tp)
    assert HASH.fullmatch(literal.hash)
    assert sha256_hex(artifact_bytes(literal)) == literal.hash == literal_hash(literal)
    assert all(not inner.hash for inner in nested(literal))
    assert nested_hash_path(literal) is None


@given(TYPED_VALUES)
def test_values_round_trip_through_their_artifact_bytes(typed: tuple[object, Any]) -> None:
    tp, value = typed
    literal = to_literal(value, tp)
    again = literal_from_artifact(artifact_bytes(literal))
    assert again == literal
    assert to_python(again, tp) == value


@given(TYPED_VALUES)
def test_equal_values_hash_equal_whatever_order_zone_or_sign_of_zero(
    typed: tuple[object, Any],
) -> None:
    tp, value = typed
    other = twin(value)
    assert other == value
    assert to_literal(other, tp).hash == to_literal(value, tp).hash


@given(st.data())
def test_different_values_hash_differently(data: st.DataObject) -> None:
    tp, values = data.draw(TYPES_AND_VALUES)
    a, b = data.draw(values), data.draw(values)
    assume(a != b)
    assert to_literal(a, tp).hash != to_literal(b, tp).hash


@given(TYPED_VALUES)
def test_json_bridge_round_trips(typed: tuple[object, Any]) -> None:
    tp, value = typed
    literal = to_literal(value, tp)
    as_json = json.loads(json.dumps(to_json_value(literal)))
    again = from_json_value(as_json, literal_type_of(tp))
    assert again.hash == literal.hash
    assert again == literal


@given(st.dictionaries(st.text(max_size=5), INT64, min_size=2))
def test_maps_hash_the_same_whatever_the_insertion_order(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert list(reordered) != list(value)
    assert to_literal(reordered, dict[str, int]).hash == to_literal(value, dict[str, int]).hash


@given(st.lists(INT64, min_size=2, unique=True))
def test_lists_hash_their_order(value: list[int]) -> None:
    assert to_literal(value, list[int]).hash != to_literal(value[::-1], list[int]).hash


def test_same_content_of_different_kinds_hashes_differently() -> None:
    literals = [
        to_literal(1, int),
        to_literal(1.0, float),
        to_literal("1", str),
        to_literal(True, bool),
        to_literal(b"1", bytes),
        to_literal([1], list[int]),
        to_literal({"x": 1}, dict[str, int]),
        to_literal(None, None),
    ]
    assert len({literal.hash for literal in literals}) == len(literals)


@pytest.mark.parametrize("bits", ["7ff8000000000000", "fff8000000000000", "7ff0000000000001"])
def test_every_nan_is_one_content(bits: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    nan = to_literal(float("nan"), float)
    assert to_literal(value, float) == nan
    assert to_literal([value], list[float]).hash == to_literal([math.nan], list[float]).hash
    assert math.isnan(to_python(nan, float))
    assert to_json_value(nan) == "NaN"
    assert from_json_value("NaN", literal_type_of(float)).hash == nan.hash


def test_negative_zero_is_zero_from_construction_on() -> None:
    literal = to_literal(-0.0, float)
    assert literal == to_literal(0.0, float)
    assert math.copysign(1.0, to_python(literal, float)) == 1.0
    assert from_json_value("-0.0", literal_type_of(float)) == literal


def test_datetimes_are_instants_in_utc() -> None:
    moment = datetime.datetime(2024, 1, 1, 12, tzinfo=UTC)
    elsewhere = moment.astimezone(datetime.timezone(datetime.timedelta(hours=-5)))
    assert (
        to_literal(elsewhere, datetime.datetime).hash == to_literal(moment, datetime.datetime).hash
    )
    back = to_python(to_literal(elsewhere, datetime.datetime), datetime.datetime)
    assert back == moment
    assert back.tzinfo == UTC


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(
        GravenValueError, match="naive datetime 2024-01-01T00:00:00 has no time zone"
    ):
        to_literal(datetime.datetime(2024, 1, 1), datetime.datetime)


def test_enum_member_and_its_value_are_the_same_content() -> None:
    assert to_literal(Color.RED, Color).hash == to_literal("red", str).hash


def test_int_is_accepted_where_a_float_is_declared_and_becomes_a_float() -> None:
    literal = to_literal(3, float)
    assert literal.primitive.WhichOneof("value") == "float_value"
    assert to_literal(3, Optional[float]).primitive.float_value == 3.0  # noqa: UP045
    # A union prefers the exact variant.
    assert to_literal(3, float | int).primitive.WhichOneof("value") == "integer"


@pytest.mark.parametrize(
    ("value", "tp", "message"),
    [
        ("3", int, "expected int, got str '3'"),
        (True, int, "expected int, got bool True"),
        (1.5, int, "expected int, got float 1.5"),
        ([1, "a"], list[int], "at [1]: expected int, got str 'a'"),
        ({1: 2}, dict[str, int], "got key 1 (keys are str)"),
        ("red", Color, "expected Color, got str 'red'"),
        ({"x": 1, "y": 2.0}, Point, "expected Point, got dict"),
        (None, int, "expected int, got NoneType None"),
        (Point(x="a", y=1.0), Point, "at .x: expected int, got str 'a'"),  # type: ignore[arg-type]
    ],
)
def test_values_that_do_not_fit_are_named(value: object, tp: object, message: str) -> None:
    with pytest.raises(GravenTypeError) as info:
        to_literal(value, tp)
    assert message in str(info.value)


def test_out_of_range_values_are_value_errors() -> None:
    with pytest.raises(GravenValueError, match="does not fit in 64 bits"):
        to_literal(2**63, int)
    with pytest.raises(GravenValueError, match="longer than 10,000 years"):
        to_literal(datetime.timedelta(days=999_999_999), datetime.timedelta)


@pytest.mark.parametrize("tp", [Pickled[set[int]], Optional[Pickled[set[int]]]])  # noqa: UP045
def test_stored_values_need_blobs(tp: object) -> None:
    with pytest.raises(GravenTypeError, match=r"kept in the object store.*blobs="):
        to_literal({1, 2}, tp)


def test_to_python_rejects_a_literal_of_another_type() -> None:
    with pytest.raises(GravenTypeError, match="expected str, got a literal of another type"):
        to_python(to_literal(3, int), str)


def test_literal_matches_type() -> None:
    shape = to_literal(Shape("s", [Point(1, 2.0)], None, {}), Shape)
    assert literal_matches_type(shape, literal_type_of(Shape))
    assert not literal_matches_type(shape, literal_type_of(Point))
    assert literal_matches_type(to_literal(None, None), literal_type_of(Optional[int]))  # noqa: UP045
    assert not literal_matches_type(to_literal(1, int), literal_type_of(float))
    assert not literal_matches_type(to_literal([1, 2], list[int]), literal_type_of(list[str]))
    assert literal_matches_type(to_literal("green", str), literal_type_of(Color))
    assert not literal_matches_type(to_literal("blue", str), literal_type_of(Color))
    point = to_literal(Point(1, 2.0), Point)
    del point.structured.literals["y"]
    assert not literal_matches_type(point, literal_type_of(Point))


CSV = LiteralType(blob=BlobType(format="csv", dimensionality=BLOB_DIMENSIONALITY_SINGLE))


def test_blobs_are_named_by_content() -> None:
    a = from_json_value({"sha256": "a" * 64, "size": 3}, CSV)
    assert from_json_value({"sha256": "sha256:" + "a" * 64, "size": 3}, CSV) == a
    assert from_json_value({"sha256": "b" * 64, "size": 3}, CSV).hash != a.hash
    assert literal_hash(a) == a.hash
    assert to_json_value(a) == {
        "sha256": "a" * 64,
        "size": 3,
        "format": "csv",
        "dimensionality": "single",
    }


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"uri": "file:///a.csv", "size": 3}, "not a stored blob {sha256, size}"),
        ({"sha256": "A" * 64, "size": 3}, "is not 64 lower-case hex digits"),
        ({"sha256": "a" * 63, "size": 3}, "is not 64 lower-case hex digits"),
        ({"sha256": "a" * 64, "size": -1}, "size -1 is not a byte count"),
        ({"sha256": "a" * 64, "size": "3"}, "size '3' is not a byte count"),
    ],
)
def test_malformed_blobs_are_named(obj: object, message: str) -> None:
    with pytest.raises(GravenValueError, match=re.escape(message)):
        from_json_value(obj, CSV)


def test_lists_and_maps_drop_the_hashes_of_the_values_they_gather() -> None:
    items = [int_literal(1), int_literal(2)]
    gathered = collection_literal(items)
    assert gathered == to_literal([1, 2], list[int])
    assert all(item.hash for item in items)  # the items given are left as they were
    assert map_literal({"a": items[0]}) == to_literal({"a": 1}, dict[str, int])


def test_a_nested_hash_is_found_by_its_path() -> None:
    literal = to_literal({"k": [1, 2]}, dict[str, list[int]])
    literal.map.literals["k"].collection.literals[1].hash = int_literal(2).hash
    assert nested_hash_path(literal) == "map.literals['k'].collection.literals[1]"


def test_artifacts_that_are_not_canonical_are_refused() -> None:
    literal = to_literal(1, int)
    with pytest.raises(GravenValueError, match="not canonical"):
        literal_from_artifact(literal.SerializeToString())  # it carries its hash
    with pytest.raises(GravenValueError, match="not a literal's artifact"):
        literal_from_artifact(b"\xff\xff")


def test_literal_hash_detects_tampering() -> None:
    literal = to_literal([1, 2, 3], list[int])
    literal.collection.literals[0].primitive.integer = 7
    assert literal_hash(literal) != literal.hash


@pytest.mark.parametrize(
    ("text", "tp", "expected"),
    [
        ("3", int, 3),
        ("-3", Optional[int], -3),  # noqa: UP045
        ("2.5", float, 2.5),
        ("3", float, 3.0),
        ("Infinity", float, math.inf),
        ("true", bool, True),
        ("hello", str, "hello"),
        ("3", str, "3"),
        ("[1, 2]", list[int], [1, 2]),
        ('{"a": 1.5}', dict[str, float], {"a": 1.5}),
        ("aGk=", bytes, b"hi"),
        ("green", Color, Color.GREEN),
        ("null", Optional[int], None),  # noqa: UP045
        ("null", Optional[str], "null"),  # noqa: UP045 - a string variant takes the text as is
        ("2024-01-01T00:00:00Z", datetime.datetime, datetime.datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T02:00:00+02:00", datetime.datetime, datetime.datetime(2024, 1, 1, tzinfo=UTC)),
        ("PT5S", datetime.timedelta, datetime.timedelta(seconds=5)),
        ("P1DT2H", datetime.timedelta, datetime.timedelta(days=1, hours=2)),
        ("5s", datetime.timedelta, datetime.timedelta(seconds=5)),
        ("1h30m", datetime.timedelta, datetime.timedelta(minutes=90)),
        ("250ms", datetime.timedelta, datetime.timedelta(milliseconds=250)),
        ("-1.5s", datetime.timedelta, datetime.timedelta(seconds=-1.5)),
        ("90", datetime.timedelta, datetime.timedelta(seconds=90)),
        ('{"x": 1, "y": 2}', Point, Point(1, 2.0)),
    ],
)
def test_command_line_strings(text: str, tp: object, expected: object) -> None:
    assert to_python(from_json_value(text, literal_type_of(tp)), tp) == expected


@pytest.mark.parametrize(
    ("obj", "tp", "message"),
    [
        ("abc", int, "expected int, got 'abc'"),
        ("3.5", int, "expected int, got '3.5'"),
        (True, int, "expected int, got True"),
        ("[1,", list[int], "expected list[int], got '[1,': not valid JSON for a list"),
        ("2024-01-01T00:00:00", datetime.datetime, "has no time zone"),
        ("yesterday", datetime.datetime, "is not an ISO 8601 datetime"),
        ("5 parsecs", datetime.timedelta, "is not a duration"),
        ("blue", Color, "not one of ['red', 'green']"),
        ({"x": 1}, Point, "missing fields ['y']"),
        ({"x": 1, "y": 2, "z": 3}, Point, "unknown fields ['z']"),
        ("%%%", bytes, "not valid base64"),
        ("x", Optional[int], "expected Optional[int]"),  # noqa: UP045
    ],
)
def test_json_errors_name_the_expected_type(obj: object, tp: object, message: str) -> None:
    with pytest.raises(GravenValueError) as info:
        from_json_value(obj, literal_type_of(tp))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_json_output_is_plain_json() -> None:
    shape = Shape("s", [Point(1, -0.5)], Color.RED, {"k": b"\x00"})
    assert to_json_value(to_literal(shape, Shape)) == {
        "name": "s",
        "points": [{"x": 1, "y": -0.5}],
        "color": "red",
        "tags": {"k": "AA=="},
    }
    assert to_json_value(to_literal(datetime.timedelta(minutes=1), datetime.timedelta)) == "60s"
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert to_json_value(to_literal(moment, datetime.datetime)) == "2024-05-06T07:08:09.123Z"
