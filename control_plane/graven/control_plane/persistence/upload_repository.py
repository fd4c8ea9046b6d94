"""The bookkeeping of uploads, and the conditional delete that makes collecting them safe.

The ordering that keeps a referenced object from ever being deleted (see
service/upload_collection.py for the whole argument): an upload and a launch about to
reference uploaded content each move the upload's time forward *before* they look at the
store, and the collector deletes the object inside the same transaction as the conditional
delete of its row (past the grace, referenced by nothing), committing only after the object
is gone. Either the collector's row delete comes first, and the other side, whose update
waits for it, then finds the object gone (an upload writes it again, a launch is refused); or
the other side's update comes first, and the row is no longer past the grace.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.lineage_models import ArtifactContentRow, ArtifactRow
from graven.control_plane.persistence.registry_models import RegistryEntity
from graven.control_plane.persistence.signal_models import SignalRow
from graven.control_plane.persistence.upload_models import UploadRow
from graven.control_plane.persistence.upserts import upsert
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN

UPLOADS = cast(Table, UploadRow.__table__)
ARTIFACTS = cast(Table, ArtifactRow.__table__)
CONTENTS = cast(Table, ArtifactContentRow.__table__)
# Values per IN list: far below the bound-parameter limits of SQLite and PostgreSQL.
IN_LIST_SIZE = 500

# An upload's time only moves forward: a late writer with an older clock reading does not
# shorten another's grace.
_RECORD = upsert(
    UPLOADS,
    lambda insert: insert.on_conflict_do_update(
        index_elements=[UPLOADS.c.content_hash],
        set_={"uploaded_at": insert.excluded.uploaded_at},
        where=insert.excluded.uploaded_at > UPLOADS.c.uploaded_at,
    ),
)
_HOLD = (
    update(UPLOADS)
    .where(
        UPLOADS.c.content_hash.in_(bindparam("hashes", expanding=True)),
        UPLOADS.c.uploaded_at < bindparam("at"),
    )
    .values(uploaded_at=bindparam("at"))
)
# Lineage records (and so these index rows) are never removed: once referenced, referenced
# for good. A blob's content is referenced through artifact_contents, an artifact's own
# bytes (a value uploaded whole) through artifacts.
_REFERENCED = exists().where(ARTIFACTS.c.hash == UPLOADS.c.content_hash) | exists().where(
    CONTENTS.c.content_hash == UPLOADS.c.content_hash
)
_PAST_GRACE = UPLOADS.c.uploaded_at < bindparam("cutoff")
_CANDIDATES = (
    select(UPLOADS.c.content_hash)
    .where(UPLOADS.c.content_hash > bindparam("after"), _PAST_GRACE, ~_REFERENCED)
    .order_by(UPLOADS.c.content_hash)
    .limit(bindparam("limit"))
)
_FORGET = delete(UPLOADS).where(
    UPLOADS.c.content_hash == bindparam("hash"), _PAST_GRACE, ~_REFERENCED
)
# Rows of uploads that came to be referenced: the references protect them now.
_SETTLE = delete(UPLOADS).where(_PAST_GRACE, _REFERENCED)
# Of these contents, those the lineage index references.
_REFERENCED_OF = (
    select(ARTIFACTS.c.hash)
    .where(ARTIFACTS.c.hash.in_(bindparam("hashes", expanding=True)))
    .union(
        select(CONTENTS.c.content_hash).where(
            CONTENTS.c.content_hash.in_(bindparam("hashes", expanding=True))
        )
    )
)
_LAUNCH_PLAN_SPECS = select(RegistryEntity.spec).where(
    RegistryEntity.resource_type == RESOURCE_TYPE_LAUNCH_PLAN
)
_SIGNAL_VALUES = select(SignalRow.value).where(SignalRow.value.is_not(None))


class UploadRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, content_hashes: Collection[str], at: datetime) -> None:
        """Note uploads of these contents at ``at`` (committed before the caller stores
        them)."""
        if not content_hashes:
            return
        with self._sessions.begin() as session:
            connection = session.connection()
            connection.execute(
                _RECORD(connection),
                [{"content_hash": h, "uploaded_at": at} for h in sorted(set(content_hashes))],
            )

    def hold(self, content_hashes: Collection[str], at: datetime) -> None:
        """Restart the grace of those of these contents that are uploads (others are left
        alone: content an upload did not bring is never collected)."""
        if not content_hashes:
            return
        with self._sessions.begin() as session:
            for chunk in _chunks(sorted(set(content_hashes))):
                session.execute(_HOLD, {"hashes": chunk, "at": at})

    def settle(self, cutoff: datetime) -> int:
        """Drop the rows of uploads past the grace that something references; how many."""
        with self._sessions.begin() as session:
            result = session.execute(_SETTLE, {"cutoff": cutoff})
            return cast(CursorResult[Any], result).rowcount

    def candidates(self, cutoff: datetime, after: str, limit: int) -> list[str]:
        """Uploads past the grace that nothing in the lineage index references, in hash
        order after ``after`` (a hint: collect() decides again, in its own transaction)."""
        with self._sessions() as session:
            params = {"cutoff": cutoff, "after": after, "limit": limit}
            return list(session.scalars(_CANDIDATES, params))

    def collect(self, content_hash: str, cutoff: datetime, remove: Callable[[], None]) -> bool:
        """Delete the upload's row if it is still past the grace and referenced by nothing,
        then call ``remove`` (which deletes the object) before committing; whether it was
        collected. An error in ``remove`` rolls the row back, to be collected next time."""
        with self._sessions.begin() as session:
            forgotten = session.execute(_FORGET, {"hash": content_hash, "cutoff": cutoff})
            if cast(CursorResult[Any], forgotten).rowcount != 1:
                return False
            remove()
            return True

    def referenced(self, content_hashes: Collection[str]) -> set[str]:
        """Those of these contents that the lineage index references (as an artifact or as a
        blob's content)."""
        found: set[str] = set()
        with self._sessions() as session:
            for chunk in _chunks(sorted(set(content_hashes))):
                found.update(session.scalars(_REFERENCED_OF, {"hashes": chunk}))
        return found

    def launch_plan_specs(self) -> Iterator[bytes]:
        """Every registered launch plan's spec (their default and fixed inputs may name
        uploaded content)."""
        with self._sessions() as session:
            yield from session.scalars(_LAUNCH_PLAN_SPECS)

    def signal_values(self) -> Iterator[bytes]:
        """Every signal value set (a File or Directory value names uploaded content, which
        its gate's records reference only once the gate has run)."""
        with self._sessions() as session:
            for value in session.scalars(_SIGNAL_VALUES):
                if value is not None:
                    yield value


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]
