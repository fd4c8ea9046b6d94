"""Page sizes and opaque page tokens for list calls.

A token holds the cursor of the last item returned and a fingerprint of the query it
continues. A token from another query, or one this server never issued, is rejected rather
than quietly answering with some other page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from graven.control_plane.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
TOKEN_FORMAT = 1

Cursor = str | int
C = TypeVar("C", str, int)
T = TypeVar("T")


def page_size(requested: int, field: str = "page_size") -> int:
    """0 means the default; more than the maximum is served as the maximum."""
    if requested < 0:
        raise InvalidArgument(field, f"must not be negative, got {requested}")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_page_token(query: Sequence[Cursor], cursor: Cursor) -> str:
    payload = {"f": TOKEN_FORMAT, "q": _fingerprint(query), "c": cursor}
    data = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_page_token(
    token: str, query: Sequence[Cursor], cursor_type: type[C], field: str = "page_token"
) -> C | None:
    """The cursor ``token`` continues from, or None for the first page (an empty token)."""
    if not token:
        return None
    try:
        data = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        payload = json.loads(data)
    except (binascii.Error, ValueError):
        payload = None
    if (
        not isinstance(payload, dict)
        or payload.keys() != {"f", "q", "c"}
        or payload["f"] != TOKEN_FORMAT
        or type(payload["c"]) is not cursor_type
    ):
        raise InvalidArgument(field, "is not a page token this server issued")
    if payload["q"] != _fingerprint(query):
        raise InvalidArgument(
            field, "was issued for a different query; keep the filters the same between pages"
        )
    cursor: C = payload["c"]
    return cursor


def paginate(
    rows: Sequence[T], size: int, query: Sequence[Cursor], cursor: Callable[[T], Cursor]
) -> tuple[Sequence[T], str]:
    """Split ``rows``, fetched with a limit of ``size + 1``, into the page and the token of
    the next page ("" on the last one)."""
    if len(rows) <= size:
        return rows, ""
    return rows[:size], encode_page_token(query, cursor(rows[size - 1]))


def _fingerprint(query: Sequence[Cursor]) -> str:
    return hashlib.sha256(json.dumps(list(query)).encode()).hexdigest()[:16]
