"""The task cache: entries (outputs computed once, reused by key) and reservations (a key
being computed right now, so identical keys running at the same moment run once).

An entry is a graven.v1.CacheEntry's bytes with the fields it is looked up by as columns.
Evicting deletes entries only: the artifacts and lineage records they point at stay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.execution_models import NAME, SCOPE
from graven.control_plane.persistence.lineage_models import DIGEST
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime


class CacheEntryRow(Base):
    __tablename__ = "cache_entries"

    # Newest first is ``id`` descending; a page cursor is one integer.
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(DIGEST)
    # The task without its version, as the key's components name it.
    task_project: Mapped[str] = mapped_column(SCOPE)
    task_domain: Mapped[str] = mapped_column(SCOPE)
    task_name: Mapped[str] = mapped_column(NAME)
    # The node execution that computed the outputs.
    source_project: Mapped[str] = mapped_column(SCOPE)
    source_domain: Mapped[str] = mapped_column(SCOPE)
    source_name: Mapped[str] = mapped_column(NAME)
    source_node_id: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # graven.v1.CacheEntry, deterministic bytes.
    entry: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        # A node populates its key once, however often its event is re-sent.
        UniqueConstraint(
            "key",
            "source_project",
            "source_domain",
            "source_name",
            "source_node_id",
            name="uq_cache_entries_source",
        ),
        # The newest entry of a key.
        Index("ix_cache_entries_key", "key", "id"),
        # Listing (newest first) and explaining (the nearest earlier entry) per task.
        Index("ix_cache_entries_task", "task_project", "task_domain", "task_name", "id"),
        Index("ix_cache_entries_scope", "task_project", "task_domain", "id"),
    )


class CacheReservationRow(Base):
    """A key held by the node computing it, until the node or its execution settles (or the
    execution's lease runs out, when another may take the key over)."""

    __tablename__ = "cache_reservations"

    key: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    execution_id: Mapped[int] = mapped_column(RowId, ForeignKey("executions.id"))
    node_id: Mapped[str] = mapped_column(NAME)
    reserved_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_cache_reservations_holder", "execution_id", "node_id"),)
