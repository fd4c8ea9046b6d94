"""Typed queries over the lineage index, speaking protos at the boundary.

Writes are set-based (an event batch brings hundreds of records): one statement per table,
each an INSERT ... ON CONFLICT, so indexing a record twice, or two transactions indexing one
artifact, changes nothing the first did not. Reads serve a lineage walk a level at a time:
one query per level and execution, never one per artifact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BindParameter,
    Connection,
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    or_,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.lineage_models import (
    ArtifactContentRow,
    ArtifactRow,
    LineageInputRow,
    LineageRecordRow,
)
from graven.control_plane.persistence.proto_columns import to_datetime, to_timestamp
from graven.control_plane.persistence.upserts import Insert, upsert
from graven.digests import sha256_hex
from graven.v1.lineage_pb2 import Artifact, LineageRecord
from graven.v1.types_pb2 import LiteralType

ARTIFACTS = cast(Table, ArtifactRow.__table__)
CONTENTS = cast(Table, ArtifactContentRow.__table__)
RECORDS = cast(Table, LineageRecordRow.__table__)
INPUTS = cast(Table, LineageInputRow.__table__)
# Values per IN list: far below the bound-parameter limits of SQLite and PostgreSQL.
IN_LIST_SIZE = 500


def _describe_by_oldest(insert: Insert) -> Executable:
    """An artifact's row is replaced by one described by an older record (ties: the lower
    digest)."""
    excluded = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[ARTIFACTS.c.hash],
        set_={
            "type": excluded.type,
            "size": excluded.size,
            "created_at": excluded.created_at,
            "record_digest": excluded.record_digest,
        },
        where=or_(
            excluded.created_at < ARTIFACTS.c.created_at,
            and_(
                excluded.created_at == ARTIFACTS.c.created_at,
                excluded.record_digest < ARTIFACTS.c.record_digest,
            ),
        ),
    )


_UPSERT_ARTIFACTS = upsert(ARTIFACTS, _describe_by_oldest)
_INSERT_CONTENTS = upsert(
    CONTENTS,
    lambda insert: insert.on_conflict_do_nothing(
        index_elements=[CONTENTS.c.artifact_hash, CONTENTS.c.content_hash]
    ),
)
_INSERT_RECORDS = upsert(
    RECORDS,
    lambda insert: insert.on_conflict_do_nothing(index_elements=[RECORDS.c.digest]).returning(
        RECORDS.c.digest, RECORDS.c.id
    ),
)


# An execution's (project, domain, name); execution_repository.ExecutionKey is one.
ExecutionName = tuple[str, str, str]


class StepKey(NamedTuple):
    """One step of a lineage graph: a node execution, or an execution's inputs (node "")."""

    project: str
    domain: str
    name: str
    node_id: str

    @property
    def execution(self) -> ExecutionName:
        return self.project, self.domain, self.name


@dataclass(frozen=True)
class IndexedRecord:
    """A record with its bytes and digest: what is stored beside the artifact."""

    record: LineageRecord
    data: bytes
    digest: str

    @classmethod
    def of(cls, record: LineageRecord) -> IndexedRecord:
        data = record.SerializeToString(deterministic=True)
        return cls(record, data, sha256_hex(data))

    @property
    def created_at(self) -> datetime:
        return to_datetime(self.record.created_at)

    @property
    def age(self) -> tuple[datetime, str]:
        """Orders an artifact's records oldest first, ties broken by digest."""
        return self.created_at, self.digest


def write_records(connection: Connection, records: Iterable[IndexedRecord]) -> int:
    """Index records (and their artifacts) not indexed yet; how many were new."""
    unique = sorted({r.digest: r for r in records}.values(), key=lambda r: r.digest)
    if not unique:
        return 0
    _write_artifacts(connection, unique)
    _write_contents(connection, unique)
    new = connection.execute(_INSERT_RECORDS(connection), [_record_values(r) for r in unique])
    ids = {digest: row_id for digest, row_id in new}
    inputs = [
        {"record_id": ids[r.digest], "name": name, "artifact_hash": artifact_hash}
        for r in unique
        if r.digest in ids
        for name, artifact_hash in sorted(r.record.inputs.items())
    ]
    if inputs:
        connection.execute(INPUTS.insert(), inputs)
    return len(ids)


def _write_artifacts(connection: Connection, records: Sequence[IndexedRecord]) -> None:
    """One row per artifact, describing it as its oldest record does, so the row is the
    same whatever order the records are indexed in."""
    oldest: dict[str, IndexedRecord] = {}
    for r in records:
        known = oldest.get(r.record.artifact_hash)
        if known is None or r.age < known.age:
            oldest[r.record.artifact_hash] = r
    connection.execute(
        _UPSERT_ARTIFACTS(connection),
        [
            {
                "hash": artifact_hash,
                "type": r.record.type.SerializeToString(deterministic=True),
                "size": r.record.size,
                "created_at": r.created_at,
                "record_digest": r.digest,
            }
            for artifact_hash, r in sorted(oldest.items())
        ],
    )


def _write_contents(connection: Connection, records: Sequence[IndexedRecord]) -> None:
    pairs = sorted({(r.record.artifact_hash, c) for r in records for c in r.record.content_hashes})
    if not pairs:
        return
    connection.execute(
        _INSERT_CONTENTS(connection), [{"artifact_hash": a, "content_hash": c} for a, c in pairs]
    )


def _record_values(r: IndexedRecord) -> dict[str, Any]:
    execution = r.record.execution_id
    return {
        "digest": r.digest,
        "artifact_hash": r.record.artifact_hash,
        "execution_project": execution.project,
        "execution_domain": execution.domain,
        "execution_name": execution.name,
        "node_id": r.record.node_id,
        "name": r.record.name,
        "attempt": r.record.attempt,
        "created_at": r.created_at,
        "record": r.data,
    }


class LineageRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def index(self, records: Iterable[IndexedRecord]) -> int:
        """Index records in one transaction; how many were new."""
        with self._sessions.begin() as session:
            return write_records(session.connection(), records)

    @contextmanager
    def reading(self) -> Iterator[LineageIndex]:
        """The index for the queries of one answer, on one connection."""
        with self._sessions() as session:
            yield LineageIndex(session.connection())


class LineageIndex:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def artifacts(self, hashes: Collection[str]) -> dict[str, Artifact]:
        """The indexed artifacts among ``hashes`` (without their records)."""
        found: dict[str, Artifact] = {}
        for chunk in _chunks(sorted(set(hashes))):
            for row in self._connection.execute(_ARTIFACTS, {"hashes": chunk}):
                found[row.hash] = Artifact(
                    hash=row.hash,
                    type=LiteralType.FromString(row.type),
                    size=row.size,
                    created_at=to_timestamp(row.created_at),
                )
            for artifact_hash, content_hash in self._connection.execute(
                _CONTENTS, {"hashes": chunk}
            ):
                found[artifact_hash].content_hashes.append(content_hash)
        return found

    def records(self, artifact_hash: str) -> list[LineageRecord]:
        """Every record of an artifact, oldest first."""
        rows = self._connection.scalars(_RECORDS, {"hash": artifact_hash})
        return [LineageRecord.FromString(data) for data in rows]

    def containing(self, content_hash: str) -> list[str]:
        """The artifacts that are these bytes or need them (a blob's content)."""
        params = {"hash": content_hash}
        needing = self._connection.scalars(_NEEDING, params)
        return sorted({*needing, *self._connection.scalars(_BEING, params)})

    def producers(self, hashes: Collection[str], within: ExecutionName | None) -> set[StepKey]:
        """The steps that produced any of ``hashes``: in one execution, or anywhere."""
        return self._steps(_PRODUCERS, hashes, within)

    def consumers(self, hashes: Collection[str], within: ExecutionName | None) -> set[StepKey]:
        """The steps that consumed any of ``hashes``: in one execution, or anywhere."""
        return self._steps(_CONSUMERS, hashes, within)

    def _steps(
        self,
        statements: tuple[Select[Any], Select[Any]],
        hashes: Collection[str],
        within: ExecutionName | None,
    ) -> set[StepKey]:
        anywhere, inside = statements
        statement = anywhere if within is None else inside
        params = {} if within is None else _execution_params(within)
        steps: set[StepKey] = set()
        for chunk in _chunks(sorted(set(hashes))):
            rows = self._connection.execute(statement, {**params, "hashes": chunk})
            steps.update(StepKey(*row) for row in rows)
        return steps

    def step_records(self, steps: Iterable[StepKey]) -> dict[StepKey, list[LineageRecord]]:
        """The records of each step, oldest first; one query per execution (a step index
        serves those; one over several executions would scan)."""
        by_execution: dict[ExecutionName, set[str]] = defaultdict(set)
        for step in steps:
            by_execution[step.execution].add(step.node_id)
        found: dict[StepKey, list[LineageRecord]] = defaultdict(list)
        for execution, node_ids in sorted(by_execution.items()):
            params = _execution_params(execution)
            for chunk in _chunks(sorted(node_ids)):
                rows = self._connection.execute(_STEP_RECORDS, {**params, "node_ids": chunk})
                for node_id, data in rows:
                    found[StepKey(*execution, node_id)].append(LineageRecord.FromString(data))
        return dict(found)

    def execution_steps(self, execution: ExecutionName) -> set[StepKey]:
        rows = self._connection.scalars(_EXECUTION_NODES, _execution_params(execution))
        return {StepKey(*execution, node_id) for node_id in rows}


# Statements are built once: building one (and its cache key) costs more than running it,
# and a walk runs a few per level.
_IN_EXECUTION = (
    RECORDS.c.execution_project == bindparam("project"),
    RECORDS.c.execution_domain == bindparam("domain"),
    RECORDS.c.execution_name == bindparam("name"),
)
_HASHES: BindParameter[str] = bindparam("hashes", expanding=True)
_STEP_COLUMNS = select(
    RECORDS.c.execution_project,
    RECORDS.c.execution_domain,
    RECORDS.c.execution_name,
    RECORDS.c.node_id,
).distinct()
_PRODUCED = _STEP_COLUMNS.where(RECORDS.c.artifact_hash.in_(_HASHES))
_PRODUCERS = (_PRODUCED, _PRODUCED.where(*_IN_EXECUTION))
_CONSUMED = _STEP_COLUMNS.join(INPUTS, INPUTS.c.record_id == RECORDS.c.id).where(
    INPUTS.c.artifact_hash.in_(_HASHES)
)
_CONSUMERS = (_CONSUMED, _CONSUMED.where(*_IN_EXECUTION))
_STEP_RECORDS = (
    select(RECORDS.c.node_id, RECORDS.c.record)
    .where(*_IN_EXECUTION, RECORDS.c.node_id.in_(bindparam("node_ids", expanding=True)))
    .order_by(RECORDS.c.created_at, RECORDS.c.digest)
)
_EXECUTION_NODES = select(RECORDS.c.node_id).distinct().where(*_IN_EXECUTION)
_RECORDS = (
    select(RECORDS.c.record)
    .where(RECORDS.c.artifact_hash == bindparam("hash"))
    .order_by(RECORDS.c.created_at, RECORDS.c.digest)
)
_ARTIFACTS = select(ARTIFACTS).where(ARTIFACTS.c.hash.in_(_HASHES))
_CONTENTS = (
    select(CONTENTS.c.artifact_hash, CONTENTS.c.content_hash)
    .where(CONTENTS.c.artifact_hash.in_(_HASHES))
    .order_by(CONTENTS.c.artifact_hash, CONTENTS.c.content_hash)
)
_NEEDING = select(CONTENTS.c.artifact_hash).where(CONTENTS.c.content_hash == bindparam("hash"))
_BEING = select(ARTIFACTS.c.hash).where(ARTIFACTS.c.hash == bindparam("hash"))


def _execution_params(execution: ExecutionName) -> dict[str, str]:
    project, domain, name = execution
    return {"project": project, "domain": domain, "name": name}


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]
