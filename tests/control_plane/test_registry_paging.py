"""Page sizes and page tokens."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_page_token,
    encode_page_token,
    page_size,
    paginate,
)

QUERIES = st.lists(st.text(max_size=8) | st.integers(), max_size=5)


@pytest.mark.parametrize(
    ("requested", "served"),
    [(0, DEFAULT_PAGE_SIZE), (1, 1), (MAX_PAGE_SIZE, MAX_PAGE_SIZE), (10**6, MAX_PAGE_SIZE)],
)
def test_page_sizes(requested: int, served: int) -> None:
    assert page_size(requested) == served


def test_a_negative_page_size_is_invalid() -> None:
    with pytest.raises(InvalidArgument) as caught:
        page_size(-1)
    assert caught.value.field == "page_size"


def test_an_empty_token_is_the_first_page() -> None:
    assert decode_page_token("", ["q"], str) is None


@given(QUERIES, st.text() | st.integers(min_value=-(2**63), max_value=2**63))
def test_a_token_round_trips(query: list[str | int], cursor: str | int) -> None:
    token = encode_page_token(query, cursor)
    assert decode_page_token(token, query, type(cursor)) == cursor
    assert token.isascii()
    assert "=" not in token


@given(QUERIES, QUERIES, st.text())
def test_a_token_only_continues_its_own_query(
    query: list[str | int], other: list[str | int], cursor: str
) -> None:
    assume(query != other)
    with pytest.raises(InvalidArgument, match="different query") as caught:
        decode_page_token(encode_page_token(query, cursor), other, str)
    assert caught.value.field == "page_token"


@given(st.text(min_size=1))
def test_garbage_is_not_a_token(garbage: str) -> None:
    with pytest.raises(InvalidArgument, match="not a page token"):
        decode_page_token(garbage, ["q"], str)


def test_a_cursor_of_the_wrong_kind_is_not_a_token() -> None:
    with pytest.raises(InvalidArgument, match="not a page token"):
        decode_page_token(encode_page_token(["q"], 5), ["q"], str)
    with pytest.raises(InvalidArgument, match="not a page token"):
        decode_page_token(encode_page_token(["q"], True), ["q"], int)


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=10))
def test_paginate_walks_every_row_once(count: int, size: int) -> None:
    """Fetching size + 1 rows after each cursor, as the registry does, visits every row."""
    rows = list(range(count))
    seen: list[int] = []
    after: int | None = None
    while True:
        start = 0 if after is None else after + 1
        page, token = paginate(rows[start : start + size + 1], size, ["q"], lambda i: i)
        seen += page
        if not token:
            break
        after = decode_page_token(token, ["q"], int)
    assert seen == rows
