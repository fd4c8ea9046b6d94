"""The signals gates wait for: mutable state, kept apart from the specs and executions.

A row is created (waiting) by the first WaitSignals that names it, and set once; nothing
else about it ever changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.execution_models import NAME
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime


class SignalRow(Base):
    __tablename__ = "signals"

    execution_id: Mapped[int] = mapped_column(RowId, ForeignKey("executions.id"))
    signal_id: Mapped[str] = mapped_column(NAME)
    # The gate node waiting for it (a nested node id).
    node_id: Mapped[str] = mapped_column(NAME)
    # graven.v1.LiteralType, deterministic bytes.
    type: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None: no limit.
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # graven.v1.Literal (sealed: its hash set), deterministic bytes; None while waiting.
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    set_by: Mapped[str] = mapped_column(NAME, default="")

    __table_args__ = (
        PrimaryKeyConstraint("execution_id", "signal_id"),
        # ListSignals: oldest first.
        Index("ix_signals_list", "execution_id", "created_at", "signal_id"),
    )
