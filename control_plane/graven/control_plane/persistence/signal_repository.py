"""Signals as rows, speaking protos at the boundary.

Creation is an INSERT ... ON CONFLICT DO NOTHING, so the first wait fixes a signal's type,
node and deadline however many agents ask at once; setting is a conditional UPDATE that
restates its precondition (still waiting, deadline not passed), decided by its row count, so
two people setting one signal cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Row,
    Table,
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.execution_models import ExecutionRow
from graven.control_plane.persistence.execution_repository import ExecutionKey
from graven.control_plane.persistence.proto_columns import optional_timestamp
from graven.control_plane.persistence.signal_models import SignalRow
from graven.control_plane.persistence.upserts import upsert
from graven.v1.literals_pb2 import Literal
from graven.v1.signal_pb2 import Signal, SignalIdentifier
from graven.v1.types_pb2 import LiteralType

SIGNALS = cast(Table, SignalRow.__table__)
EXECUTIONS = cast(Table, ExecutionRow.__table__)
_INSERT_WAITING = upsert(
    SIGNALS,
    lambda insert: insert.on_conflict_do_nothing(
        index_elements=[SIGNALS.c.execution_id, SIGNALS.c.signal_id]
    ),
)


@dataclass(frozen=True)
class SignalWait:
    """A gate's signal as the first wait for it describes it."""

    signal_id: str
    node_id: str
    type: LiteralType
    deadline: datetime | None


# Where a page of signals continues: after this (created_at, signal_id).
SignalCursor = tuple[datetime, str]


class SignalRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def wait(
        self, waits: Sequence[tuple[ExecutionKey, SignalWait]], now: datetime
    ) -> list[Signal] | None:
        """Create each signal not there yet (waiting, created ``now``) and answer each one's
        state, in order; None when an execution does not exist."""
        with self._sessions.begin() as session:
            connection = session.connection()
            seqs: dict[ExecutionKey, int] = {}
            for key, _ in waits:
                if key not in seqs:
                    seq = _seq(connection, key)
                    if seq is None:
                        return None
                    seqs[key] = seq
            rows = [
                {
                    "execution_id": seqs[key],
                    "signal_id": wait.signal_id,
                    "node_id": wait.node_id,
                    "type": wait.type.SerializeToString(deterministic=True),
                    "created_at": now,
                    "deadline": wait.deadline,
                    "value": None,
                    "set_at": None,
                    "set_by": "",
                }
                for key, wait in waits
            ]
            if rows:
                connection.execute(_INSERT_WAITING(connection), rows)
            found = []
            for key, wait in waits:
                row = _read(connection, seqs[key], wait.signal_id)
                assert row is not None, "inserted or already there in this transaction"
                found.append(_signal(key, row))
            return found

    def get(self, key: ExecutionKey, signal_id: str) -> Signal | None:
        with self._sessions() as session:
            connection = session.connection()
            seq = _seq(connection, key)
            row = None if seq is None else _read(connection, seq, signal_id)
            return None if row is None else _signal(key, row)

    def list_signals(
        self, key: ExecutionKey, after: SignalCursor | None, limit: int
    ) -> list[Signal]:
        """The execution's signals oldest first (ties by id), starting after ``after``."""
        with self._sessions() as session:
            connection = session.connection()
            seq = _seq(connection, key)
            if seq is None:
                return []
            query = select(SIGNALS).where(SIGNALS.c.execution_id == seq)
            if after is not None:
                created_at, signal_id = after
                query = query.where(
                    or_(
                        SIGNALS.c.created_at > created_at,
                        and_(SIGNALS.c.created_at == created_at, SIGNALS.c.signal_id > signal_id),
                    )
                )
            ordered = query.order_by(SIGNALS.c.created_at, SIGNALS.c.signal_id).limit(limit)
            return [_signal(key, row) for row in connection.execute(ordered)]

    def set(
        self, key: ExecutionKey, signal_id: str, value: Literal, set_by: str, now: datetime
    ) -> tuple[Signal, bool] | None:
        """Set a waiting signal whose deadline has not passed to ``value``: the signal
        afterwards and whether this call set it; None when there is no such signal."""
        with self._sessions.begin() as session:
            connection = session.connection()
            seq = _seq(connection, key)
            if seq is None:
                return None
            result = connection.execute(
                update(SIGNALS)
                .where(
                    SIGNALS.c.execution_id == seq,
                    SIGNALS.c.signal_id == signal_id,
                    SIGNALS.c.value.is_(None),
                    or_(SIGNALS.c.deadline.is_(None), SIGNALS.c.deadline > now),
                )
                .values(
                    value=value.SerializeToString(deterministic=True), set_at=now, set_by=set_by
                )
            )
            changed = cast(CursorResult[Any], result).rowcount == 1
            row = _read(connection, seq, signal_id)
            return None if row is None else (_signal(key, row), changed)


def _seq(connection: Connection, key: ExecutionKey) -> int | None:
    return connection.scalar(
        select(EXECUTIONS.c.id).where(
            EXECUTIONS.c.project == key.project,
            EXECUTIONS.c.domain == key.domain,
            EXECUTIONS.c.name == key.name,
        )
    )


def _read(connection: Connection, seq: int, signal_id: str) -> Row[Any] | None:
    return connection.execute(
        select(SIGNALS).where(SIGNALS.c.execution_id == seq, SIGNALS.c.signal_id == signal_id)
    ).first()


def _signal(key: ExecutionKey, row: Row[Any]) -> Signal:
    return Signal(
        id=SignalIdentifier(execution_id=key.identifier(), signal_id=row.signal_id),
        type=LiteralType.FromString(row.type),
        node_id=row.node_id,
        created_at=optional_timestamp(row.created_at),
        deadline=optional_timestamp(row.deadline),
        value=None if row.value is None else Literal.FromString(row.value),
        set_at=optional_timestamp(row.set_at),
        set_by=row.set_by,
    )
