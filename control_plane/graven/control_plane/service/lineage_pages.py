"""Page tokens of GetLineage: where the previous page of a walk ended.

A token holds the number of steps answered so far and the last of them, inside the opaque,
query-bound token of service/paging. The next page walks again to its own end and checks
that the step at the token's position is the one the token names, so an edited or made-up
token is refused (INVALID_ARGUMENT) instead of answering some other slice. Lineage only
grows: steps recorded since the last page that the walk reaches earlier push that step
further along; the page then resumes right after it (as long as it is still within the
page's reach) and nothing already answered is answered again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.persistence.lineage_repository import StepKey
from graven.control_plane.service.paging import Cursor, decode_page_token, encode_page_token

FIELD = "page_token"
STEP_FIELDS = 4


@dataclass(frozen=True)
class LineageCursor:
    offset: int
    last: StepKey

    def resume_at(self, order: Sequence[StepKey]) -> int:
        """Where the page starts in ``order``, the walk's steps up to the page's end."""
        if self.offset <= len(order) and order[self.offset - 1] == self.last:
            return self.offset
        try:
            return order.index(self.last, self.offset) + 1
        except ValueError:
            raise InvalidArgument(
                FIELD,
                "names a step this lineage does not hold where the token says: it is not a "
                "token this server issued for this request, or the lineage grew too much "
                "since; start again from the first page",
            ) from None


def encode_lineage_cursor(query: Sequence[Cursor], offset: int, last: StepKey) -> str:
    return encode_page_token(query, json.dumps([offset, *last], separators=(",", ":")))


def decode_lineage_cursor(token: str, query: Sequence[Cursor]) -> LineageCursor | None:
    cursor = decode_page_token(token, query, str, FIELD)
    if cursor is None:
        return None
    try:
        parsed = json.loads(cursor)
    except ValueError:
        parsed = None
    if (
        not isinstance(parsed, list)
        or len(parsed) != 1 + STEP_FIELDS
        or type(parsed[0]) is not int
        or parsed[0] < 1
        or not all(isinstance(part, str) for part in parsed[1:])
    ):
        raise InvalidArgument(FIELD, "is not a page token this server issued")
    return LineageCursor(parsed[0], StepKey(*parsed[1:]))
