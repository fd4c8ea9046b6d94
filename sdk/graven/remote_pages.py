"""Paged list calls as one lazy iterator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def pages(call: Callable[[Any], Any], request: Any, items: str) -> Iterator[Any]:
    """Every item of a paginated list call, following next_page_token lazily."""
    while True:
        page = call(request)
        yield from getattr(page, items)
        if not page.next_page_token:
            return
        request.page_token = page.next_page_token
