"""Typed queries over executions and their nodes, speaking protos at the boundary.

Every state change that two callers could race on is a conditional UPDATE whose WHERE clause
restates the precondition, decided by its row count: PostgreSQL re-checks the clause on the
row it waited for, and SQLite serialises writers, so no read-then-write window exists on
either. (The SQLite driver starts a transaction at the first write, which is why each such
transaction opens with its UPDATE.)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Row,
    Table,
    and_,
    bindparam,
    case,
    false,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.execution_phases import EXECUTION_ACTIVE, EXECUTION_TERMINAL
from graven.control_plane.persistence.event_indexing import EventIndexing
from graven.control_plane.persistence.execution_models import ExecutionRow
from graven.control_plane.persistence.execution_nodes import (
    NodeState,
    RecordedNode,
    read_nodes,
    write_nodes,
)
from graven.control_plane.persistence.lineage_repository import IndexedRecord, write_records
from graven.control_plane.persistence.notification_repository import (
    NewDelivery,
    write_deliveries,
)
from graven.control_plane.persistence.proto_columns import (
    error_bytes,
    optional_datetime,
    optional_error,
    optional_timestamp,
    to_datetime,
)
from graven.control_plane.persistence.timestamps import UtcDateTime
from graven.control_plane.persistence.upserts import upsert
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier

# How many claim candidates one query fetches; a lost race moves on to the next.
CLAIM_CANDIDATES = 8
# Reads and the event path's writes go through Core: an ORM object per row costs more than
# the query, and nothing here needs the unit of work.
EXECUTIONS = cast(Table, ExecutionRow.__table__)
_BY_KEY = (
    EXECUTIONS.c.project == bindparam("key_project"),
    EXECUTIONS.c.domain == bindparam("key_domain"),
    EXECUTIONS.c.name == bindparam("key_name"),
)
# The hot statements are built once: building one (and its cache key) costs more than
# running it.
_GET = select(EXECUTIONS).where(*_BY_KEY)
# An event batch's lock on the execution row, taken if ``agent`` holds it, and the row read
# in the same statement. Events for a finished execution still count (late reports of its
# last nodes); the lease holder does not change then.
_LOCK = (
    update(EXECUTIONS)
    .where(*_BY_KEY, EXECUTIONS.c.lease_holder == bindparam("agent"))
    .values(lease_holder=EXECUTIONS.c.lease_holder)
    .returning(*EXECUTIONS.c)
)
# A new execution, unless its name is taken.
_INSERT_NEW = upsert(
    EXECUTIONS,
    lambda insert: insert.on_conflict_do_nothing(
        index_elements=[EXECUTIONS.c.project, EXECUTIONS.c.domain, EXECUTIONS.c.name]
    ).returning(EXECUTIONS.c.id, EXECUTIONS.c.project, EXECUTIONS.c.domain, EXECUTIONS.c.name),
)
# The columns to set come with the parameters.
_UPDATE_EXECUTION = update(EXECUTIONS).where(EXECUTIONS.c.id == bindparam("row_id"))


class ExecutionKey(NamedTuple):
    project: str
    domain: str
    name: str

    @classmethod
    def of(cls, identifier: ExecutionIdentifier) -> ExecutionKey:
        return cls(identifier.project, identifier.domain, identifier.name)

    def identifier(self) -> ExecutionIdentifier:
        return ExecutionIdentifier(project=self.project, domain=self.domain, name=self.name)

    def __str__(self) -> str:
        return f"{self.project}/{self.domain}/{self.name}"


@dataclass(frozen=True)
class NewExecution:
    execution: pb.Execution
    # Nodes recorded from the start: those a recovery takes over.
    seeded: Sequence[pb.NodeExecution] = ()


@dataclass(frozen=True)
class StoredExecution:
    seq: int
    execution: pb.Execution
    # Grows with every change of the execution or one of its nodes.
    revision: int
    lease_expires_at: datetime | None


@dataclass
class ExecutionState:
    """An execution held for update: change these and the repository writes the difference."""

    execution: pb.Execution
    terminate_reason: str
    nodes: dict[str, NodeState]
    # Written with the state: lineage, cache entries, reservations the events end.
    indexing: EventIndexing = field(default_factory=EventIndexing)


@dataclass(frozen=True)
class ExecutionFilter:
    project: str
    domain: str
    workflow_name: str = ""
    workflow_version: str = ""
    phases: tuple[int, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None


class LeaseLost(Exception):
    """The agent does not hold these executions: another agent claimed them after its lease
    ran out, or they were never its (or never existed)."""

    def __init__(self, keys: Sequence[ExecutionKey]) -> None:
        super().__init__(", ".join(map(str, keys)))
        self.keys = list(keys)


@dataclass(frozen=True)
class HeartbeatResult:
    # Held executions a user asked to terminate.
    terminate: list[ExecutionKey]
    lost: list[ExecutionKey]


class ExecutionRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # --- reads ------------------------------------------------------------------------

    def get(self, key: ExecutionKey) -> StoredExecution | None:
        with self._sessions() as session:
            row = session.connection().execute(_GET, _key_params(key)).first()
            return None if row is None else _stored(row)

    def list_executions(
        self, where: ExecutionFilter, before_seq: int | None, limit: int
    ) -> list[StoredExecution]:
        """Executions newest first, starting below ``before_seq``."""
        query = select(EXECUTIONS).where(
            ExecutionRow.project == where.project, ExecutionRow.domain == where.domain
        )
        if where.workflow_name:
            query = query.where(ExecutionRow.workflow_name == where.workflow_name)
        if where.workflow_version:
            query = query.where(ExecutionRow.workflow_version == where.workflow_version)
        if where.phases:
            query = query.where(ExecutionRow.phase.in_(where.phases))
        if where.created_after is not None:
            query = query.where(ExecutionRow.created_at >= where.created_after)
        if where.created_before is not None:
            query = query.where(ExecutionRow.created_at < where.created_before)
        if before_seq is not None:
            query = query.where(ExecutionRow.id < before_seq)
        with self._sessions() as session:
            rows = session.execute(query.order_by(ExecutionRow.id.desc()).limit(limit))
            return [_stored(row) for row in rows]

    def nodes(
        self, execution: StoredExecution, changed_after: int = 0, parent: str | None = None
    ) -> dict[str, pb.NodeExecution]:
        """The recorded nodes of an execution; only those changed after the revision
        ``changed_after`` when it is given, only those nested directly in ``parent`` ("": the
        top level) when that is given."""
        with self._sessions() as session:
            recorded = read_nodes(
                session.connection(),
                execution.execution.id,
                execution.seq,
                changed_after=changed_after,
                parent=parent,
            )
        return {node_id: found.state.node for node_id, found in recorded.items()}

    def node(self, execution: StoredExecution, node_id: str) -> pb.NodeExecution | None:
        """One recorded node (a map element among thousands: one row read)."""
        with self._sessions() as session:
            recorded = read_nodes(
                session.connection(), execution.execution.id, execution.seq, node_ids=[node_id]
            )
        found = recorded.get(node_id)
        return None if found is None else found.state.node

    def children(self, parent: ExecutionKey) -> list[StoredExecution]:
        """The child executions started by the nodes of ``parent``, oldest first."""
        query = select(EXECUTIONS).where(
            EXECUTIONS.c.parent_project == parent.project,
            EXECUTIONS.c.parent_domain == parent.domain,
            EXECUTIONS.c.parent_name == parent.name,
        )
        with self._sessions() as session:
            return [_stored(row) for row in session.execute(query.order_by(EXECUTIONS.c.id))]

    def not_held(self, agent: str, keys: Iterable[ExecutionKey]) -> list[ExecutionKey]:
        """Which of ``keys`` ``agent`` does not hold the lease of (running or terminating)."""
        wanted = sorted(set(keys))
        held: set[ExecutionKey] = set()
        with self._sessions() as session:
            for key in wanted:
                if session.scalar(select(ExecutionRow.id).where(_is(key), _held_by(agent))):
                    held.add(key)
        return [key for key in wanted if key not in held]

    def next_lease_expiry(self) -> datetime | None:
        """When the first lease of a running execution runs out: the next claimable moment
        other than a new execution."""
        with self._sessions() as session:
            return session.scalar(
                select(ExecutionRow.lease_expires_at)
                .where(ExecutionRow.phase.in_(EXECUTION_ACTIVE))
                .order_by(ExecutionRow.lease_expires_at)
                .limit(1)
            )

    # --- writes -----------------------------------------------------------------------

    def insert(
        self,
        executions: Sequence[NewExecution],
        before_commit: Callable[[Sequence[bool]], Iterable[IndexedRecord]],
    ) -> list[bool]:
        """Store new executions in one transaction, each with its pre-recorded nodes; one
        whose name is taken (by a stored execution or an earlier one of ``executions``) is
        left out, and False in the result.

        ``before_commit`` learns which are inserted once their names are reserved and before
        any is visible, so what it writes (their inputs) exists before an agent can claim
        them; the lineage records it returns are indexed in the same transaction.
        """
        keys = [ExecutionKey.of(new.execution.id) for new in executions]
        first: dict[ExecutionKey, int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        rows = [_new_row(executions[i].execution) for i in first.values()]
        with self._sessions.begin() as session:
            connection = session.connection()
            inserted = {
                ExecutionKey(project, domain, name): seq
                for seq, project, domain, name in connection.execute(_INSERT_NEW(connection), rows)
            }
            seqs = [inserted.get(key) if first[key] == i else None for i, key in enumerate(keys)]
            records = before_commit([seq is not None for seq in seqs])
            for new, seq in zip(executions, seqs, strict=True):
                if seq is not None and new.seeded:
                    seeded = [NodeState(node, 0) for node in new.seeded]
                    write_nodes(connection, seq, seeded, {}, revision=1)
            write_records(connection, records)
        return [seq is not None for seq in seqs]

    def claim(
        self,
        agent: str,
        now: datetime,
        expires_at: datetime,
        scopes: Sequence[tuple[str, str]] | None = None,
    ) -> StoredExecution | None:
        """Hand the oldest claimable execution to ``agent``: a queued one starts RUNNING, a
        running one whose lease ran out changes hands with its phase and nodes as they are.
        With ``scopes`` ((project, domain) pairs, "*" for any), only an execution in one of
        them."""
        claimable = or_(
            ExecutionRow.phase == pb.EXECUTION_PHASE_QUEUED,
            and_(
                ExecutionRow.phase.in_(EXECUTION_ACTIVE),
                ExecutionRow.lease_expires_at < now,
            ),
        )
        if scopes is not None:
            claimable = and_(claimable, or_(false(), *map(_in_scope, scopes)))
        at = literal(now, UtcDateTime())
        while True:
            with self._sessions() as session:
                candidates = session.scalars(
                    select(ExecutionRow.id)
                    .where(claimable)
                    .order_by(ExecutionRow.id)
                    .limit(CLAIM_CANDIDATES)
                ).all()
            if not candidates:
                return None
            for seq in candidates:
                with self._sessions.begin() as session:
                    taken = _rowcount(
                        session.execute(
                            update(ExecutionRow)
                            .where(ExecutionRow.id == seq, claimable)
                            .values(
                                lease_holder=agent,
                                lease_expires_at=expires_at,
                                phase=case(
                                    (
                                        ExecutionRow.phase == pb.EXECUTION_PHASE_QUEUED,
                                        pb.EXECUTION_PHASE_RUNNING,
                                    ),
                                    else_=ExecutionRow.phase,
                                ),
                                started_at=case(
                                    (ExecutionRow.started_at.is_(None), at),
                                    else_=ExecutionRow.started_at,
                                ),
                                updated_at=now,
                                revision=ExecutionRow.revision + 1,
                            )
                            .execution_options(synchronize_session=False)
                        )
                    )
                    if taken:
                        return _stored(
                            session.execute(select(EXECUTIONS).where(ExecutionRow.id == seq)).one()
                        )

    def heartbeat(
        self, agent: str, keys: Iterable[ExecutionKey], expires_at: datetime
    ) -> HeartbeatResult:
        """Extend the leases ``agent`` still holds (running or terminating executions)."""
        terminate: list[ExecutionKey] = []
        lost: list[ExecutionKey] = []
        with self._sessions.begin() as session:
            for key in sorted(set(keys)):
                extended = _rowcount(
                    session.execute(
                        update(ExecutionRow)
                        .where(_is(key), _held_by(agent))
                        .values(lease_expires_at=expires_at)
                        .execution_options(synchronize_session=False)
                    )
                )
                if not extended:
                    lost.append(key)
                    continue
                if session.scalar(select(ExecutionRow.terminate_requested).where(_is(key))):
                    terminate.append(key)
        return HeartbeatResult(terminate, lost)

    def request_terminate(
        self,
        key: ExecutionKey,
        reason: str,
        now: datetime,
        deliveries: Sequence[NewDelivery] = (),
    ) -> bool:
        """Terminate a queued execution at once, or ask the agent of a running one to stop.
        False when neither applies: the execution is missing, terminating or finished.
        ``deliveries`` (its notifications of TERMINATED) are written with a queued one's end."""
        queued_error = pb.ExecutionError(kind=pb.ERROR_KIND_TERMINATED, message=reason)
        with self._sessions.begin() as session:
            for phase, values in (
                (
                    pb.EXECUTION_PHASE_QUEUED,
                    {
                        "phase": pb.EXECUTION_PHASE_TERMINATED,
                        "finished_at": now,
                        "error": queued_error.SerializeToString(deterministic=True),
                    },
                ),
                (pb.EXECUTION_PHASE_RUNNING, {"phase": pb.EXECUTION_PHASE_TERMINATING}),
            ):
                changed = _rowcount(
                    session.execute(
                        update(ExecutionRow)
                        .where(_is(key), ExecutionRow.phase == phase)
                        .values(
                            terminate_requested=True,
                            terminate_reason=reason,
                            updated_at=now,
                            revision=ExecutionRow.revision + 1,
                            **values,
                        )
                        .execution_options(synchronize_session=False)
                    )
                )
                if changed:
                    if phase == pb.EXECUTION_PHASE_QUEUED:
                        seq = session.execute(select(ExecutionRow.id).where(_is(key))).scalar_one()
                        write_deliveries(session.connection(), seq, deliveries)
                    return True
        return False

    def update(
        self,
        agent: str,
        nodes: Mapping[ExecutionKey, Collection[str]],
        change: Callable[[dict[ExecutionKey, ExecutionState]], None],
        now: datetime,
    ) -> list[ExecutionKey]:
        """Let ``change`` modify executions ``agent`` holds, in one transaction, and write
        what it changed; the keys of the executions that changed.

        ``nodes`` names, per execution, the nodes ``change`` may look at (the state holds
        only those that are recorded), so a batch about a few nodes of a large workflow
        reads only their rows. Raises LeaseLost, changing nothing, when the agent does not
        hold one of the executions. Each row is locked first (in key order, so two batches
        cannot deadlock), so concurrent batches for one execution apply one after the other.
        """
        with self._sessions.begin() as session:
            connection = session.connection()
            locked = {
                key: connection.execute(_LOCK, {**_key_params(key), "agent": agent}).one_or_none()
                for key in sorted(nodes)
            }
            lost = [key for key, row in locked.items() if row is None]
            if lost:
                raise LeaseLost(lost)
            loaded = {
                key: _Loaded.read(connection, row, nodes[key])
                for key, row in locked.items()
                if row is not None
            }
            change({key: held.state for key, held in loaded.items()})
            return [key for key, held in loaded.items() if held.write(connection, now)]


@dataclass
class _Loaded:
    """The rows behind an ExecutionState, and what they said when read."""

    row: Row[Any]
    recorded: dict[str, RecordedNode]
    state: ExecutionState
    before: tuple[bytes, dict[str, tuple[bytes, int]]]

    @classmethod
    def read(cls, connection: Connection, row: Row[Any], node_ids: Collection[str]) -> _Loaded:
        execution = _execution(row)
        recorded = read_nodes(connection, execution.id, row.id, node_ids=node_ids)
        state = ExecutionState(
            execution=execution,
            terminate_reason=row.terminate_reason,
            nodes={node_id: found.state for node_id, found in recorded.items()},
        )
        return cls(row, recorded, state, _fingerprint(state))

    def write(self, connection: Connection, now: datetime) -> bool:
        """Write what changed since the read, under a new revision; whether anything did
        (the indexing the events brought is written either way)."""
        self.state.indexing.write(connection, self.row.id)
        closure_changed = _fingerprint_execution(self.state) != self.before[0]
        nodes_before = self.before[1]
        changed = [
            node
            for node_id, node in self.state.nodes.items()
            if nodes_before.get(node_id) != _fingerprint_node(node)
        ]
        if not closure_changed and not changed:
            return False
        revision = self.row.revision + 1
        write_nodes(connection, self.row.id, changed, self.recorded, revision)
        closure = _closure_values(self.state.execution.closure)
        connection.execute(
            _UPDATE_EXECUTION,
            {**closure, "row_id": self.row.id, "revision": revision, "updated_at": now},
        )
        return True


# --- rows <-> protos ------------------------------------------------------------------------


def _is(key: ExecutionKey) -> ColumnElement[bool]:
    return and_(
        ExecutionRow.project == key.project,
        ExecutionRow.domain == key.domain,
        ExecutionRow.name == key.name,
    )


def _new_row(execution: pb.Execution) -> dict[str, Any]:
    spec = execution.spec
    closure = execution.closure
    parent = spec.parent_node_execution
    return {
        "project": execution.id.project,
        "domain": execution.id.domain,
        "name": execution.id.name,
        "workflow_project": spec.workflow_id.project,
        "workflow_domain": spec.workflow_id.domain,
        "workflow_name": spec.workflow_id.name,
        "workflow_version": spec.workflow_id.version,
        "launch_plan_name": spec.launch_plan_id.name or None,
        "launch_plan_version": spec.launch_plan_id.version or None,
        "mode": spec.mode,
        "source_project": spec.source_execution_id.project or None,
        "source_domain": spec.source_execution_id.domain or None,
        "source_name": spec.source_execution_id.name or None,
        "parent_project": parent.execution_id.project or None,
        "parent_domain": parent.execution_id.domain or None,
        "parent_name": parent.execution_id.name or None,
        "parent_node_id": parent.node_id or None,
        "spec": spec.SerializeToString(deterministic=True),
        "phase": closure.phase,
        "created_at": to_datetime(closure.created_at),
        "updated_at": to_datetime(closure.updated_at),
        "finished_at": optional_datetime(closure, "finished_at"),
        "error": error_bytes(closure),
        "outputs_uri": "",
        "terminate_requested": False,
        "terminate_reason": "",
        "revision": 1,
    }


def _key_params(key: ExecutionKey) -> dict[str, str]:
    return {"key_project": key.project, "key_domain": key.domain, "key_name": key.name}


def _held_by(agent: str) -> ColumnElement[bool]:
    return and_(ExecutionRow.lease_holder == agent, ExecutionRow.phase.in_(EXECUTION_ACTIVE))


def _in_scope(scope: tuple[str, str]) -> ColumnElement[bool]:
    project, domain = scope
    return and_(
        true() if project == "*" else ExecutionRow.project == project,
        true() if domain == "*" else ExecutionRow.domain == domain,
    )


def _rowcount(result: Any) -> bool:
    return cast(CursorResult[Any], result).rowcount == 1


def _execution(row: Row[Any]) -> pb.Execution:
    return pb.Execution(
        id=ExecutionIdentifier(project=row.project, domain=row.domain, name=row.name),
        spec=pb.ExecutionSpec.FromString(row.spec),
        closure=pb.ExecutionClosure(
            phase=row.phase,
            created_at=optional_timestamp(row.created_at),
            started_at=optional_timestamp(row.started_at),
            updated_at=optional_timestamp(row.updated_at),
            finished_at=optional_timestamp(row.finished_at),
            error=optional_error(row.error),
            outputs_uri=row.outputs_uri,
        ),
    )


def _stored(row: Row[Any]) -> StoredExecution:
    return StoredExecution(
        seq=row.id,
        execution=_execution(row),
        revision=row.revision,
        lease_expires_at=row.lease_expires_at,
    )


def _closure_values(closure: pb.ExecutionClosure) -> dict[str, Any]:
    values = {
        "phase": closure.phase,
        "started_at": optional_datetime(closure, "started_at"),
        "finished_at": optional_datetime(closure, "finished_at"),
        "error": error_bytes(closure),
        "outputs_uri": closure.outputs_uri,
    }
    if closure.phase in EXECUTION_TERMINAL:
        # A finished execution is held by no lease.
        values["lease_expires_at"] = None
    return values


def _fingerprint_execution(state: ExecutionState) -> bytes:
    return state.execution.closure.SerializeToString(deterministic=True)


def _fingerprint_node(state: NodeState) -> tuple[bytes, int]:
    return state.node.SerializeToString(deterministic=True), state.attempt


def _fingerprint(state: ExecutionState) -> tuple[bytes, dict[str, tuple[bytes, int]]]:
    return _fingerprint_execution(state), {
        node_id: _fingerprint_node(node) for node_id, node in state.nodes.items()
    }
