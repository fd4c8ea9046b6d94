"""Notification deliveries: mutable state of their own, beside the executions they report.

A delivery is written in the transaction that makes its execution terminal (an outbox), so
no terminal phase goes unreported and none is reported twice; the delivery loop then claims
it, attempts it and records each attempt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.execution_models import NAME
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime


class DeliveryRow(Base):
    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(RowId, ForeignKey("executions.id"))
    # The notification's position in the launch plan's list.
    notification_index: Mapped[int] = mapped_column(Integer)
    # graven.v1.ExecutionPhase.
    phase: Mapped[int] = mapped_column(SmallInteger)
    # graven.v1.Notification, deterministic bytes: the delivery needs nothing else to send.
    notification: Mapped[bytes] = mapped_column(LargeBinary)
    # The event's JSON (service/notifications.event_body), fixed when the phase was reached.
    event: Mapped[bytes] = mapped_column(LargeBinary)
    # graven.v1.DeliveryState.
    state: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None once delivered or given up.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The control plane attempting it, until when: another takes over after that.
    claimed_by: Mapped[str | None] = mapped_column(NAME)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        # Once per (execution, notification, phase), whoever writes it.
        UniqueConstraint(
            "execution_id", "notification_index", "phase", name="uq_notification_deliveries_once"
        ),
        # The loop's scan for due deliveries.
        Index("ix_notification_deliveries_due", "next_attempt_at"),
    )


class AttemptRow(Base):
    __tablename__ = "notification_attempts"

    delivery_id: Mapped[int] = mapped_column(RowId, ForeignKey("notification_deliveries.id"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The HTTP status answered; 0 for none.
    status_code: Mapped[int] = mapped_column(Integer)
    # Empty when it delivered.
    error: Mapped[str] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("delivery_id", "number"),)
