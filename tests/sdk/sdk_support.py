"""Shared test material for the SDK tests: sample types and hypothesis strategies."""

from __future__ import annotations

import datetime
import enum
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from hypothesis import strategies as st

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
# google.protobuf.Duration spans +-10,000 years.
TIMEDELTAS = st.timedeltas(
    min_value=datetime.timedelta(days=-3_650_000), max_value=datetime.timedelta(days=3_650_000)
)
OFFSETS = st.sampled_from(
    [
        datetime.UTC,
        datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
        datetime.timezone(-datetime.timedelta(hours=8)),
    ]
)
DATETIMES = st.datetimes(
    min_value=datetime.datetime(1, 1, 2),
    max_value=datetime.datetime(9999, 12, 30),
    timezones=OFFSETS,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclass
class Point:
    x: int
    y: float


@dataclass
class Shape:
    name: str
    points: list[Point]
    color: Optional[Color]  # noqa: UP045 - the typing spelling is what users write, too
    tags: dict[str, bytes]


POINTS = st.builds(Point, x=INT64, y=st.floats(allow_nan=False))
SHAPES = st.builds(
    Shape,
    name=st.text(max_size=10),
    points=st.lists(POINTS, max_size=3),
    color=st.none() | st.sampled_from(Color),
    tags=st.dictionaries(st.text(max_size=5), st.binary(max_size=5), max_size=3),
)

TypeAndValues = tuple[object, st.SearchStrategy[Any]]

SCALARS: list[TypeAndValues] = [
    (int, INT64),
    (float, st.floats(allow_nan=False)),
    (str, st.text(max_size=20)),
    (bool, st.booleans()),
    (bytes, st.binary(max_size=20)),
    (type(None), st.none()),
    (datetime.datetime, DATETIMES),
    (datetime.timedelta, TIMEDELTAS),
    (Color, st.sampled_from(Color)),
    (Point, POINTS),
    (Shape, SHAPES),
]


def _extend(children: st.SearchStrategy[TypeAndValues]) -> st.SearchStrategy[TypeAndValues]:
    return st.one_of(
        children.map(lambda c: (list[c[0]], st.lists(c[1], max_size=4))),
        children.map(
            lambda c: (dict[str, c[0]], st.dictionaries(st.text(max_size=6), c[1], max_size=4))
        ),
        children.map(lambda c: (Optional[c[0]], st.none() | c[1])),  # noqa: UP045
    )


TYPES_AND_VALUES: st.SearchStrategy[TypeAndValues] = st.recursive(
    st.sampled_from(SCALARS), _extend, max_leaves=4
)

# A Python type and a value of it.
TYPED_VALUES: st.SearchStrategy[tuple[object, Any]] = TYPES_AND_VALUES.flatmap(
    lambda pair: pair[1].map(lambda value: (pair[0], value))
)


def copy_example(tmp_path: Path) -> Path:
    """A private copy of examples/ (the wordcount project) to edit; returns its root."""
    root = tmp_path / "project"
    shutil.copytree(
        EXAMPLES / "wordcount", root / "wordcount", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new``; the size changes so no stale bytecode is
    reused (pyc files are checked by mtime in seconds and by size)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    assert len(old) != len(new)
    path.write_text(text.replace(old, new))
