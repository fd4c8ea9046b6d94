"""Typed queries over executions and their nodes, speaking protos at the boundary.

Every state change that two callers could race on is a conditional UPDATE whose WHERE clause
restates the precondition, decided by its row count: PostgreSQL re-checks the clause on the
row it waited for, and SQLite serialises writers, so no read-then-write window exists on
either. (The SQLite driver starts a transaction at the first write, which is why each such
transaction opens with its UPDATE.)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import ColumnElement, CursorResult, and_, case, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.execution_phases import EXECUTION_ACTIVE, EXECUTION_TERMINAL
from graven.control_plane.persistence.execution_models import (
    ExecutionRow,
    NodeAttemptRow,
    NodeExecutionRow,
)
from graven.control_plane.persistence.timestamps import UtcDateTime
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_TASK,
    ExecutionIdentifier,
    Identifier,
    NodeExecutionIdentifier,
)

# How many claim candidates one query fetches; a lost race moves on to the next.
CLAIM_CANDIDATES = 8


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
class StoredExecution:
    seq: int
    execution: pb.Execution
    # Grows with every change of the execution or one of its nodes.
    revision: int
    lease_expires_at: datetime | None


@dataclass
class NodeState:
    node: pb.NodeExecution
    # The attempt of the event that set ``node.phase``: with the phase, it orders events.
    attempt: int


@dataclass
class ExecutionState:
    """An execution held for update: change these and the repository writes the difference."""

    execution: pb.Execution
    terminate_reason: str
    nodes: dict[str, NodeState]


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
            row = session.scalars(select(ExecutionRow).where(_is(key))).first()
            return None if row is None else _stored(row)

    def list_executions(
        self, where: ExecutionFilter, before_seq: int | None, limit: int
    ) -> list[StoredExecution]:
        """Executions newest first, starting below ``before_seq``."""
        query = select(ExecutionRow).where(
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
            rows = session.scalars(query.order_by(ExecutionRow.id.desc()).limit(limit))
            return [_stored(row) for row in rows]

    def nodes(
        self, execution: StoredExecution, changed_after: int = 0
    ) -> dict[str, pb.NodeExecution]:
        """The recorded nodes of an execution; only those changed after the revision
        ``changed_after`` when it is given."""
        key = ExecutionKey.of(execution.execution.id)
        query = select(NodeExecutionRow).where(
            NodeExecutionRow.execution_id == execution.seq,
            NodeExecutionRow.revision > changed_after,
        )
        with self._sessions() as session:
            rows = session.scalars(query.order_by(NodeExecutionRow.id))
            return {row.node_id: _node(key, row) for row in rows}

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
        execution: pb.Execution,
        seeded: Iterable[pb.NodeExecution],
        before_commit: Callable[[], None],
    ) -> bool:
        """Store a new execution with any pre-recorded nodes; False when the name is taken.

        ``before_commit`` runs once the name is reserved (the row is flushed) and before the
        row is visible, so what it writes (the inputs) exists before any agent can claim it.
        """
        spec = execution.spec
        closure = execution.closure
        row = ExecutionRow(
            project=execution.id.project,
            domain=execution.id.domain,
            name=execution.id.name,
            workflow_project=spec.workflow_id.project,
            workflow_domain=spec.workflow_id.domain,
            workflow_name=spec.workflow_id.name,
            workflow_version=spec.workflow_id.version,
            launch_plan_name=spec.launch_plan_id.name or None,
            launch_plan_version=spec.launch_plan_id.version or None,
            mode=spec.mode,
            source_project=spec.source_execution_id.project or None,
            source_domain=spec.source_execution_id.domain or None,
            source_name=spec.source_execution_id.name or None,
            spec=spec.SerializeToString(deterministic=True),
            phase=closure.phase,
            created_at=_datetime(closure.created_at),
            updated_at=_datetime(closure.updated_at),
            finished_at=_datetime(closure.finished_at) if closure.HasField("finished_at") else None,
            error=_error_bytes(closure),
            outputs_uri="",
            terminate_requested=False,
            terminate_reason="",
            revision=1,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                for node in seeded:
                    session.add(_new_node_row(row.id, NodeState(node, 0), revision=1))
                session.flush()
                before_commit()
        except IntegrityError:
            return False
        return True

    def claim(self, agent: str, now: datetime, expires_at: datetime) -> StoredExecution | None:
        """Hand the oldest claimable execution to ``agent``: a queued one starts RUNNING, a
        running one whose lease ran out changes hands with its phase and nodes as they are."""
        claimable = or_(
            ExecutionRow.phase == pb.EXECUTION_PHASE_QUEUED,
            and_(
                ExecutionRow.phase.in_(EXECUTION_ACTIVE),
                ExecutionRow.lease_expires_at < now,
            ),
        )
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
                        return _stored(session.get_one(ExecutionRow, seq, populate_existing=True))

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

    def request_terminate(self, key: ExecutionKey, reason: str, now: datetime) -> bool:
        """Terminate a queued execution at once, or ask the agent of a running one to stop.
        False when neither applies: the execution is missing, terminating or finished."""
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
            ordered = sorted(nodes)
            lost = [key for key in ordered if not _lock(session, key, agent)]
            if lost:
                raise LeaseLost(lost)
            loaded = {key: _Loaded.read(session, key, nodes[key]) for key in ordered}
            states = {key: held.state for key, held in loaded.items()}
            change(states)
            changed = [key for key, held in loaded.items() if held.write(session, now)]
        return changed


@dataclass
class _Loaded:
    """The rows behind an ExecutionState, and what they said when read."""

    row: ExecutionRow
    node_rows: dict[str, NodeExecutionRow]
    state: ExecutionState
    before: tuple[bytes, dict[str, tuple[bytes, int]]]

    @classmethod
    def read(cls, session: Session, key: ExecutionKey, node_ids: Collection[str]) -> _Loaded:
        row = session.scalars(
            select(ExecutionRow).where(_is(key)).execution_options(populate_existing=True)
        ).one()
        node_rows = {
            node.node_id: node
            for node in session.scalars(
                select(NodeExecutionRow).where(
                    NodeExecutionRow.execution_id == row.id,
                    NodeExecutionRow.node_id.in_(set(node_ids)),
                )
            )
        }
        state = ExecutionState(
            execution=_execution(row),
            terminate_reason=row.terminate_reason,
            nodes={
                node_id: NodeState(_node(key, node), node.attempt)
                for node_id, node in node_rows.items()
            },
        )
        return cls(row, node_rows, state, _fingerprint(state))

    def write(self, session: Session, now: datetime) -> bool:
        """Write what changed since the read, under a new revision; whether anything did."""
        revision = self.row.revision + 1
        changed = _fingerprint_execution(self.state) != self.before[0]
        for node_id, node_state in self.state.nodes.items():
            if self.before[1].get(node_id) == _fingerprint_node(node_state):
                continue
            changed = True
            existing = self.node_rows.get(node_id)
            if existing is None:
                session.add(_new_node_row(self.row.id, node_state, revision))
            else:
                _write_node(existing, node_state, revision)
        if changed:
            _write_closure(self.row, self.state.execution.closure)
            self.row.revision = revision
            self.row.updated_at = now
        return changed


# --- rows <-> protos ------------------------------------------------------------------------


def _is(key: ExecutionKey) -> ColumnElement[bool]:
    return and_(
        ExecutionRow.project == key.project,
        ExecutionRow.domain == key.domain,
        ExecutionRow.name == key.name,
    )


def _held_by(agent: str) -> ColumnElement[bool]:
    return and_(ExecutionRow.lease_holder == agent, ExecutionRow.phase.in_(EXECUTION_ACTIVE))


def _lock(session: Session, key: ExecutionKey, agent: str) -> bool:
    """Take the execution's row lock if ``agent`` holds it; events for a finished execution
    still count (late reports of its last nodes), the lease holder does not change then."""
    return _rowcount(
        session.execute(
            update(ExecutionRow)
            .where(_is(key), ExecutionRow.lease_holder == agent)
            .values(lease_holder=ExecutionRow.lease_holder)
            .execution_options(synchronize_session=False)
        )
    )


def _rowcount(result: Any) -> bool:
    return cast(CursorResult[Any], result).rowcount == 1


def to_timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _timestamp(moment: datetime | None) -> Timestamp | None:
    return None if moment is None else to_timestamp(moment)


def _datetime(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def _optional_datetime(message: Any, name: str) -> datetime | None:
    return _datetime(getattr(message, name)) if message.HasField(name) else None


def _error_bytes(message: Any) -> bytes | None:
    if not message.HasField("error"):
        return None
    return cast(bytes, message.error.SerializeToString(deterministic=True))


def _error(data: bytes | None) -> pb.ExecutionError | None:
    return None if data is None else pb.ExecutionError.FromString(data)


def _execution(row: ExecutionRow) -> pb.Execution:
    return pb.Execution(
        id=ExecutionIdentifier(project=row.project, domain=row.domain, name=row.name),
        spec=pb.ExecutionSpec.FromString(row.spec),
        closure=pb.ExecutionClosure(
            phase=row.phase,  # type: ignore[arg-type]
            created_at=_timestamp(row.created_at),
            started_at=_timestamp(row.started_at),
            updated_at=_timestamp(row.updated_at),
            finished_at=_timestamp(row.finished_at),
            error=_error(row.error),
            outputs_uri=row.outputs_uri,
        ),
    )


def _stored(row: ExecutionRow) -> StoredExecution:
    return StoredExecution(
        seq=row.id,
        execution=_execution(row),
        revision=row.revision,
        lease_expires_at=row.lease_expires_at,
    )


def _write_closure(row: ExecutionRow, closure: pb.ExecutionClosure) -> None:
    row.phase = closure.phase
    row.started_at = _optional_datetime(closure, "started_at")
    row.finished_at = _optional_datetime(closure, "finished_at")
    row.error = _error_bytes(closure)
    row.outputs_uri = closure.outputs_uri
    if row.phase in EXECUTION_TERMINAL:
        row.lease_expires_at = None


def _source(project: str | None, domain: str | None, name: str | None) -> ExecutionIdentifier:
    return ExecutionIdentifier(project=project or "", domain=domain or "", name=name or "")


def _node(key: ExecutionKey, row: NodeExecutionRow) -> pb.NodeExecution:
    node = pb.NodeExecution(
        id=NodeExecutionIdentifier(execution_id=key.identifier(), node_id=row.node_id),
        phase=row.phase,  # type: ignore[arg-type]
        cache_status=row.cache_status,  # type: ignore[arg-type]
        cache_key=row.cache_key,
        inputs_uri=row.inputs_uri,
        outputs_uri=row.outputs_uri,
        started_at=_timestamp(row.started_at),
        finished_at=_timestamp(row.finished_at),
        error=_error(row.error),
        attempts=[
            pb.NodeAttempt(
                attempt=attempt.attempt,
                phase=attempt.phase,  # type: ignore[arg-type]
                started_at=_timestamp(attempt.started_at),
                finished_at=_timestamp(attempt.finished_at),
                error=_error(attempt.error),
            )
            for attempt in row.attempts
        ],
    )
    if row.task_name:
        node.task_id.CopyFrom(
            Identifier(
                resource_type=RESOURCE_TYPE_TASK,
                project=row.task_project,
                domain=row.task_domain,
                name=row.task_name,
                version=row.task_version,
            )
        )
    if row.source_name:
        node.source_execution_id.CopyFrom(
            _source(row.source_project, row.source_domain, row.source_name)
        )
    return node


def _new_node_row(execution_seq: int, state: NodeState, revision: int) -> NodeExecutionRow:
    row = NodeExecutionRow(execution_id=execution_seq, node_id=state.node.id.node_id)
    _write_node(row, state, revision)
    return row


def _write_node(row: NodeExecutionRow, state: NodeState, revision: int) -> None:
    node = state.node
    row.task_project = node.task_id.project
    row.task_domain = node.task_id.domain
    row.task_name = node.task_id.name
    row.task_version = node.task_id.version
    row.phase = node.phase
    row.attempt = state.attempt
    row.cache_status = node.cache_status
    row.cache_key = node.cache_key
    row.source_project = node.source_execution_id.project or None
    row.source_domain = node.source_execution_id.domain or None
    row.source_name = node.source_execution_id.name or None
    row.inputs_uri = node.inputs_uri
    row.outputs_uri = node.outputs_uri
    row.started_at = _optional_datetime(node, "started_at")
    row.finished_at = _optional_datetime(node, "finished_at")
    row.error = _error_bytes(node)
    row.revision = revision
    recorded = {attempt.attempt: attempt for attempt in row.attempts}
    for attempt in node.attempts:
        attempt_row = recorded.get(attempt.attempt)
        if attempt_row is None:
            attempt_row = NodeAttemptRow(attempt=attempt.attempt)
            row.attempts.append(attempt_row)
        attempt_row.phase = attempt.phase
        attempt_row.started_at = _optional_datetime(attempt, "started_at")
        attempt_row.finished_at = _optional_datetime(attempt, "finished_at")
        attempt_row.error = _error_bytes(attempt)


def _fingerprint_execution(state: ExecutionState) -> bytes:
    return state.execution.closure.SerializeToString(deterministic=True)


def _fingerprint_node(state: NodeState) -> tuple[bytes, int]:
    return state.node.SerializeToString(deterministic=True), state.attempt


def _fingerprint(state: ExecutionState) -> tuple[bytes, dict[str, tuple[bytes, int]]]:
    return _fingerprint_execution(state), {
        node_id: _fingerprint_node(node) for node_id, node in state.nodes.items()
    }
