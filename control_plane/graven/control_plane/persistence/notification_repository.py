"""Typed queries over notification deliveries and their attempts.

Deliveries are written by ``write_deliveries`` inside the transaction that makes their
execution terminal. A delivery loop takes one with ``claim``, a conditional UPDATE decided
by its row count, so of two control planes on one database exactly one attempts it; a claim
runs out, so a control plane that stops mid-attempt leaves it to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, CursorResult, Table, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.execution_models import ExecutionRow
from graven.control_plane.persistence.notification_models import AttemptRow, DeliveryRow
from graven.control_plane.persistence.proto_columns import optional_timestamp, to_timestamp
from graven.control_plane.persistence.upserts import upsert
from graven.v1 import notification_pb2 as nt

if TYPE_CHECKING:
    # Not at run time: the execution repository writes deliveries through this module.
    from graven.control_plane.persistence.execution_repository import ExecutionKey

DELIVERIES = cast(Table, DeliveryRow.__table__)
ATTEMPTS = cast(Table, AttemptRow.__table__)
_INSERT_DELIVERY = upsert(DELIVERIES, lambda insert: insert.on_conflict_do_nothing())


@dataclass(frozen=True)
class NewDelivery:
    notification_index: int
    notification: nt.Notification
    phase: int
    # The JSON event it reports.
    event: bytes
    created_at: datetime


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    notification: nt.Notification
    event: bytes
    # Attempts made before this one.
    attempts: int


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int
    error: str

    @property
    def delivered(self) -> bool:
        return not self.error


def write_deliveries(
    connection: Connection, execution_seq: int, deliveries: Sequence[NewDelivery]
) -> None:
    """In the caller's transaction; one already written for the same (execution,
    notification, phase) is left as it is."""
    if not deliveries:
        return
    connection.execute(
        _INSERT_DELIVERY(connection),
        [
            {
                "execution_id": execution_seq,
                "notification_index": new.notification_index,
                "phase": new.phase,
                "notification": new.notification.SerializeToString(deterministic=True),
                "event": new.event,
                "state": nt.DELIVERY_STATE_PENDING,
                "created_at": new.created_at,
                "next_attempt_at": new.created_at,
                "claimed_by": None,
                "claimed_until": None,
            }
            for new in deliveries
        ],
    )


class NotificationRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def due(self, now: datetime, limit: int) -> list[int]:
        """Pending deliveries whose next attempt is due and that nobody holds, oldest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(DeliveryRow.id)
                    .where(_claimable(now))
                    .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
                    .limit(limit)
                )
            )

    def claim(
        self, delivery_id: int, owner: str, now: datetime, until: datetime
    ) -> ClaimedDelivery | None:
        """Take the delivery for one attempt, unless it is no longer due or another holds it."""
        with self._sessions.begin() as session:
            taken = cast(
                CursorResult[Any],
                session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == delivery_id, _claimable(now))
                    .values(claimed_by=owner, claimed_until=until)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if taken != 1:
                return None
            row = session.execute(
                select(DeliveryRow.notification, DeliveryRow.event).where(
                    DeliveryRow.id == delivery_id
                )
            ).one()
            attempts = session.scalar(
                select(ATTEMPTS.c.number)
                .where(ATTEMPTS.c.delivery_id == delivery_id)
                .order_by(ATTEMPTS.c.number.desc())
                .limit(1)
            )
        return ClaimedDelivery(
            delivery_id, nt.Notification.FromString(row.notification), row.event, attempts or 0
        )

    def record(
        self,
        claimed: ClaimedDelivery,
        owner: str,
        attempt: Attempt,
        next_attempt_at: datetime | None,
    ) -> bool:
        """Record the attempt and what follows it (delivered; due again at
        ``next_attempt_at``; or, with None, failed for good). False, recording nothing, when
        the claim ran out and another control plane took the delivery over meanwhile."""
        if attempt.delivered:
            state = nt.DELIVERY_STATE_DELIVERED
            next_attempt_at = None
        elif next_attempt_at is None:
            state = nt.DELIVERY_STATE_FAILED
        else:
            state = nt.DELIVERY_STATE_PENDING
        with self._sessions.begin() as session:
            kept = cast(
                CursorResult[Any],
                session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == claimed.id, DeliveryRow.claimed_by == owner)
                    .values(
                        state=state,
                        next_attempt_at=next_attempt_at,
                        claimed_by=None,
                        claimed_until=None,
                    )
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if kept != 1:
                return False
            session.execute(
                ATTEMPTS.insert().values(
                    delivery_id=claimed.id,
                    number=claimed.attempts + 1,
                    at=attempt.at,
                    status_code=attempt.status_code,
                    error=attempt.error,
                )
            )
        return True

    def list_for(self, key: ExecutionKey) -> list[nt.NotificationDelivery] | None:
        """An execution's deliveries in the order they were made; None when the execution
        does not exist."""
        with self._sessions() as session:
            connection = session.connection()
            seq = connection.scalar(
                select(ExecutionRow.id).where(
                    ExecutionRow.project == key.project,
                    ExecutionRow.domain == key.domain,
                    ExecutionRow.name == key.name,
                )
            )
            if seq is None:
                return None
            rows = connection.execute(
                select(DELIVERIES).where(DELIVERIES.c.execution_id == seq).order_by(DELIVERIES.c.id)
            ).all()
            attempts: dict[int, list[nt.DeliveryAttempt]] = {}
            if rows:
                for attempt in connection.execute(
                    select(ATTEMPTS)
                    .where(ATTEMPTS.c.delivery_id.in_([row.id for row in rows]))
                    .order_by(ATTEMPTS.c.delivery_id, ATTEMPTS.c.number)
                ):
                    attempts.setdefault(attempt.delivery_id, []).append(
                        nt.DeliveryAttempt(
                            number=attempt.number,
                            at=to_timestamp(attempt.at),
                            status_code=attempt.status_code,
                            error=attempt.error,
                        )
                    )
        return [
            nt.NotificationDelivery(
                execution_id=key.identifier(),
                notification_index=row.notification_index,
                notification=nt.Notification.FromString(row.notification),
                phase=row.phase,
                state=row.state,
                attempts=attempts.get(row.id, []),
                created_at=to_timestamp(row.created_at),
                next_attempt_at=optional_timestamp(row.next_attempt_at),
            )
            for row in rows
        ]


def _claimable(now: datetime) -> Any:
    return and_(
        DeliveryRow.state == nt.DELIVERY_STATE_PENDING,
        DeliveryRow.next_attempt_at <= now,
        or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until < now),
    )
