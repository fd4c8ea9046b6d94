"""Typed queries over the task cache, speaking protos at the boundary.

Reserving is race-safe on both databases without locks held across calls: a key is taken by
an INSERT ... ON CONFLICT DO NOTHING (of two concurrent reservers exactly one inserts), and a
stale reservation is taken over by an UPDATE whose WHERE clause restates who held it (of two
concurrent takers exactly one matches).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, CursorResult, Table, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.execution_phases import EXECUTION_ACTIVE
from graven.control_plane.persistence.cache_models import CacheEntryRow, CacheReservationRow
from graven.control_plane.persistence.execution_models import ExecutionRow
from graven.control_plane.persistence.proto_columns import to_datetime
from graven.control_plane.persistence.upserts import upsert
from graven.v1.agent_service_pb2 import (
    CACHE_DECISION_HIT,
    CACHE_DECISION_RUN,
    CACHE_DECISION_WAIT,
    CacheAnswer,
)
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier

ENTRIES = cast(Table, CacheEntryRow.__table__)
RESERVATIONS = cast(Table, CacheReservationRow.__table__)
EXECUTIONS = cast(Table, ExecutionRow.__table__)
# Keys per IN list: far below the bound-parameter limits of SQLite and PostgreSQL.
IN_LIST_SIZE = 500


class ExecutionNotHeld(Exception):
    """The agent does not hold the execution's lease (or the execution is not running)."""


@dataclass(frozen=True)
class KeyRequest:
    node_id: str
    key: str


@dataclass(frozen=True)
class EvictFilter:
    project: str
    domain: str
    task_name: str = ""
    key: str = ""
    created_before: datetime | None = None


_INSERT_ENTRIES = upsert(
    ENTRIES,
    lambda insert: insert.on_conflict_do_nothing(
        index_elements=[
            ENTRIES.c.key,
            ENTRIES.c.source_project,
            ENTRIES.c.source_domain,
            ENTRIES.c.source_name,
            ENTRIES.c.source_node_id,
        ]
    ),
)
_RESERVE = upsert(
    RESERVATIONS,
    lambda insert: insert.on_conflict_do_nothing(index_elements=[RESERVATIONS.c.key]).returning(
        RESERVATIONS.c.key
    ),
)


def write_entries(connection: Connection, entries: Iterable[CacheEntry]) -> None:
    """Add entries; one a node already made (its event re-sent) is kept as it was."""
    rows = [_entry_values(entry) for entry in entries]
    if not rows:
        return
    rows.sort(key=lambda row: (row["key"], row["source_name"], row["source_node_id"]))
    connection.execute(_INSERT_ENTRIES(connection), rows)


def release(connection: Connection, execution_seq: int, node_ids: Collection[str] | None) -> None:
    """End the reservations of these nodes of an execution (of all of its nodes for None)."""
    held_by = RESERVATIONS.c.execution_id == execution_seq
    if node_ids is None:
        connection.execute(delete(RESERVATIONS).where(held_by))
        return
    ordered = sorted(node_ids)
    for start in range(0, len(ordered), IN_LIST_SIZE):
        chunk = ordered[start : start + IN_LIST_SIZE]
        connection.execute(delete(RESERVATIONS).where(held_by, RESERVATIONS.c.node_id.in_(chunk)))


class CacheRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def reserve(
        self,
        agent: str,
        execution: ExecutionIdentifier,
        requests: Sequence[KeyRequest],
        overwrite: bool,
        now: datetime,
    ) -> list[CacheAnswer]:
        """Per request, in one transaction: the newest entry of its key (HIT) unless
        ``overwrite``; else the key reserved for the node (RUN), unless another node of a
        live execution (one whose lease has not run out) holds it (WAIT). A reservation of an
        execution that is no longer live is taken over.

        ExecutionNotHeld when ``agent`` does not hold the execution.
        """
        with self._sessions.begin() as session:
            connection = session.connection()
            seq = connection.scalar(
                select(EXECUTIONS.c.id).where(
                    EXECUTIONS.c.project == execution.project,
                    EXECUTIONS.c.domain == execution.domain,
                    EXECUTIONS.c.name == execution.name,
                    EXECUTIONS.c.lease_holder == agent,
                    EXECUTIONS.c.phase.in_(EXECUTION_ACTIVE),
                )
            )
            if seq is None:
                raise ExecutionNotHeld
            wanted: dict[str, str] = {}
            for request in requests:
                wanted.setdefault(request.key, request.node_id)
            hits = {} if overwrite else _newest(connection, wanted)
            holders = _reserve(
                connection, seq, {k: n for k, n in wanted.items() if k not in hits}, now
            )
            ours = {key for key, holder in holders.items() if holder == (seq, wanted[key])}
            if not overwrite:
                # An entry made between the first look and the reservation: the node that
                # held the key settled meanwhile. Reuse it rather than compute it again.
                late = _newest(connection, ours)
                for key in late:
                    connection.execute(
                        delete(RESERVATIONS).where(
                            RESERVATIONS.c.key == key,
                            RESERVATIONS.c.execution_id == seq,
                            RESERVATIONS.c.node_id == wanted[key],
                        )
                    )
                hits.update(late)
            answers = []
            for request in requests:
                answer = CacheAnswer(node_id=request.node_id)
                if request.key in hits:
                    answer.decision = CACHE_DECISION_HIT
                    answer.entry.CopyFrom(hits[request.key])
                elif holders.get(request.key) == (seq, request.node_id):
                    answer.decision = CACHE_DECISION_RUN
                else:
                    answer.decision = CACHE_DECISION_WAIT
                answers.append(answer)
            return answers

    def source_entry(self, key: str, source: ExecutionIdentifier) -> CacheEntry | None:
        """The newest entry of ``key`` computed by the execution ``source``."""
        query = select(ENTRIES.c.entry).where(
            ENTRIES.c.key == key,
            ENTRIES.c.source_project == source.project,
            ENTRIES.c.source_domain == source.domain,
            ENTRIES.c.source_name == source.name,
        )
        return self._first(query.order_by(ENTRIES.c.id.desc()))

    def nearest_earlier(
        self,
        project: str,
        domain: str,
        task_name: str,
        before: datetime | None,
        excluding: NodeExecutionIdentifier,
    ) -> CacheEntry | None:
        """The newest entry of a task made before ``before`` (any time for None), other than
        the one node execution ``excluding`` made."""
        query = select(ENTRIES.c.entry).where(*_task(project, domain, task_name))
        if before is not None:
            query = query.where(ENTRIES.c.created_at < before)
        source = excluding.execution_id
        query = query.where(
            ~(
                (ENTRIES.c.source_project == source.project)
                & (ENTRIES.c.source_domain == source.domain)
                & (ENTRIES.c.source_name == source.name)
                & (ENTRIES.c.source_node_id == excluding.node_id)
            )
        )
        return self._first(query.order_by(ENTRIES.c.created_at.desc(), ENTRIES.c.id.desc()))

    def list_entries(
        self, project: str, domain: str, task_name: str, before_id: int | None, limit: int
    ) -> list[tuple[int, CacheEntry]]:
        """Entries newest first, starting below the row ``before_id``."""
        query = select(ENTRIES.c.id, ENTRIES.c.entry).where(*_task(project, domain, task_name))
        if before_id is not None:
            query = query.where(ENTRIES.c.id < before_id)
        with self._sessions() as session:
            rows = session.execute(query.order_by(ENTRIES.c.id.desc()).limit(limit))
            return [(row_id, CacheEntry.FromString(data)) for row_id, data in rows]

    def evict(self, where: EvictFilter) -> int:
        """Delete the entries every set filter matches; how many there were."""
        statement = delete(ENTRIES).where(*_task(where.project, where.domain, where.task_name))
        if where.key:
            statement = statement.where(ENTRIES.c.key == where.key)
        if where.created_before is not None:
            statement = statement.where(ENTRIES.c.created_at < where.created_before)
        with self._sessions.begin() as session:
            result = cast(CursorResult[Any], session.execute(statement))
            return result.rowcount

    def _first(self, query: Any) -> CacheEntry | None:
        with self._sessions() as session:
            data = session.scalars(query.limit(1)).first()
        return None if data is None else CacheEntry.FromString(data)


def _newest(connection: Connection, keys: Collection[str]) -> dict[str, CacheEntry]:
    """The newest entry of each key that has one."""
    newest: dict[str, CacheEntry] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), IN_LIST_SIZE):
        query = (
            select(ENTRIES.c.key, ENTRIES.c.entry)
            .where(ENTRIES.c.key.in_(ordered[start : start + IN_LIST_SIZE]))
            .order_by(ENTRIES.c.id.desc())
        )
        for key, data in connection.execute(query):
            if key not in newest:
                newest[key] = CacheEntry.FromString(data)
    return newest


def _reserve(
    connection: Connection, seq: int, wanted: dict[str, str], now: datetime
) -> dict[str, tuple[int, str]]:
    """Try to reserve each key for its node; who holds each key afterwards, as
    (execution row id, node id)."""
    if not wanted:
        return {}
    keys = sorted(wanted)
    taken = set(
        connection.scalars(
            _RESERVE(connection),
            [
                {"key": key, "execution_id": seq, "node_id": wanted[key], "reserved_at": now}
                for key in keys
            ],
        )
    )
    holders = {key: (seq, wanted[key]) for key in taken}
    held = [key for key in keys if key not in taken]
    for start in range(0, len(held), IN_LIST_SIZE):
        query = (
            select(
                RESERVATIONS.c.key,
                RESERVATIONS.c.execution_id,
                RESERVATIONS.c.node_id,
                EXECUTIONS.c.phase,
                EXECUTIONS.c.lease_expires_at,
            )
            .join(EXECUTIONS, EXECUTIONS.c.id == RESERVATIONS.c.execution_id)
            .where(RESERVATIONS.c.key.in_(held[start : start + IN_LIST_SIZE]))
        )
        for key, holder_seq, node_id, phase, expires_at in connection.execute(query).all():
            live = phase in EXECUTION_ACTIVE and expires_at is not None and expires_at > now
            if live or (holder_seq, node_id) == (seq, wanted[key]):
                holders[key] = (holder_seq, node_id)
            elif _take_over(connection, key, (holder_seq, node_id), (seq, wanted[key]), now):
                holders[key] = (seq, wanted[key])
    return holders


def _take_over(
    connection: Connection,
    key: str,
    stale: tuple[int, str],
    holder: tuple[int, str],
    now: datetime,
) -> bool:
    """Move a stale reservation to ``holder``, unless another taker moved it first."""
    result = connection.execute(
        update(RESERVATIONS)
        .where(
            RESERVATIONS.c.key == key,
            RESERVATIONS.c.execution_id == stale[0],
            RESERVATIONS.c.node_id == stale[1],
        )
        .values(execution_id=holder[0], node_id=holder[1], reserved_at=now)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _task(project: str, domain: str, task_name: str) -> tuple[ColumnElement[bool], ...]:
    scope = (ENTRIES.c.task_project == project, ENTRIES.c.task_domain == domain)
    return (*scope, ENTRIES.c.task_name == task_name) if task_name else scope


def _entry_values(entry: CacheEntry) -> dict[str, Any]:
    source = entry.source
    return {
        "key": entry.key,
        "task_project": entry.task_id.project,
        "task_domain": entry.task_id.domain,
        "task_name": entry.task_id.name,
        "source_project": source.execution_id.project,
        "source_domain": source.execution_id.domain,
        "source_name": source.execution_id.name,
        "source_node_id": source.node_id,
        "created_at": to_datetime(entry.created_at),
        "entry": entry.SerializeToString(deterministic=True),
    }
