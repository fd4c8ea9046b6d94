"""Schedule state: which version of a launch plan name is active, and the ticks the
scheduler claimed. Both are mutable state kept apart from the immutable launch plan specs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime

SCOPE = String(63)
NAME = String(253)
VERSION = String(128)


class ActivationRow(Base):
    """The active version of a launch plan name; the primary key is the name, so there is
    at most one, and deactivating deletes the row."""

    __tablename__ = "launch_plan_activations"

    project: Mapped[str] = mapped_column(SCOPE, primary_key=True)
    domain: Mapped[str] = mapped_column(SCOPE, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, primary_key=True)
    version: Mapped[str] = mapped_column(VERSION)
    # Ticks at or before this time are not this activation's: no catch-up from the past.
    activated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    activated_by: Mapped[str] = mapped_column(String(63))


class TickRow(Base):
    """One tick of a launch plan name, claimed by inserting this row: the unique constraint
    on (name, tick time) is what makes two control planes launch a tick once."""

    __tablename__ = "schedule_ticks"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(SCOPE)
    domain: Mapped[str] = mapped_column(SCOPE)
    name: Mapped[str] = mapped_column(NAME)
    version: Mapped[str] = mapped_column(VERSION)
    tick_at: Mapped[datetime] = mapped_column(UtcDateTime)
    execution_name: Mapped[str] = mapped_column(NAME)
    # graven.v1.TickState numbers.
    state: Mapped[int] = mapped_column(SmallInteger)
    # Ticks the catch-up policy passed over between the previous tick and this one.
    skipped_before: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    launched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("project", "domain", "name", "tick_at", name="uq_schedule_ticks_tick"),
        # The scheduler's scan for claimed ticks not launched yet.
        Index("ix_schedule_ticks_state", "state"),
    )
