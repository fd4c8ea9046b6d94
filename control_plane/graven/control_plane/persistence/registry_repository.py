"""Typed queries over the registry table. Rows are only ever inserted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.registry_models import RegistryEntity as Row

# Five bound parameters per id; stays far below SQLite's and PostgreSQL's limits.
GET_MANY_BATCH = 500


@dataclass(frozen=True)
class EntityName:
    """A named entity, all of whose versions share these four fields."""

    resource_type: int
    project: str
    domain: str
    name: str


# An entity version's identity: its name and version.
EntityKey = tuple[EntityName, str]


class IdTaken(Exception):
    """An id being inserted was stored by a concurrent registration."""


@dataclass(frozen=True)
class NewEntity:
    name: EntityName
    version: str
    digest: str
    code_digest: str
    spec: bytes
    closure: bytes
    created_at: datetime

    @property
    def key(self) -> EntityKey:
        return self.name, self.version


@dataclass(frozen=True)
class StoredEntity(NewEntity):
    seq: int


@dataclass(frozen=True)
class VersionSummary:
    seq: int
    version: str
    digest: str
    code_digest: str
    created_at: datetime


@dataclass(frozen=True)
class NameSummary:
    name: str
    latest_version: str
    version_count: int
    updated_at: datetime


class RegistryRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, name: EntityName, version: str) -> StoredEntity | None:
        return self._one(select(Row).where(*_named(name), Row.version == version))

    def get_many(self, ids: Iterable[EntityKey]) -> dict[EntityKey, StoredEntity]:
        """The stored entities among ``ids``, in one query per GET_MANY_BATCH ids."""
        wanted = list(dict.fromkeys(ids))
        found: dict[EntityKey, StoredEntity] = {}
        key = tuple_(Row.resource_type, Row.project, Row.domain, Row.name, Row.version)
        with self._sessions() as session:
            for start in range(0, len(wanted), GET_MANY_BATCH):
                batch = [
                    (n.resource_type, n.project, n.domain, n.name, version)
                    for n, version in wanted[start : start + GET_MANY_BATCH]
                ]
                for row in session.scalars(select(Row).where(key.in_(batch))):
                    stored = _stored(row)
                    found[stored.key] = stored
        return found

    def latest(self, name: EntityName) -> StoredEntity | None:
        return self._one(select(Row).where(*_named(name)).order_by(Row.seq.desc()).limit(1))

    def insert_all(self, entities: Sequence[NewEntity]) -> None:
        """Store every entity in one transaction, or none of them.

        ``IdTaken`` when one of the ids was stored meanwhile (the unique constraint decides
        between concurrent registrations, so exactly one of them wins); nothing is stored then.
        """
        if not entities:
            return
        rows = [
            {
                "resource_type": entity.name.resource_type,
                "project": entity.name.project,
                "domain": entity.name.domain,
                "name": entity.name.name,
                "version": entity.version,
                "digest": entity.digest,
                "code_digest": entity.code_digest,
                "spec": entity.spec,
                "closure": entity.closure,
                "created_at": entity.created_at,
            }
            for entity in entities
        ]
        try:
            with self._sessions.begin() as session:
                session.execute(insert(Row), rows)
        except IntegrityError as error:
            raise IdTaken from error

    def list_versions(
        self, name: EntityName, before_seq: int | None, limit: int
    ) -> list[VersionSummary]:
        """Versions of ``name`` newest first, starting below ``before_seq``."""
        query = select(Row.seq, Row.version, Row.digest, Row.code_digest, Row.created_at).where(
            *_named(name)
        )
        if before_seq is not None:
            query = query.where(Row.seq < before_seq)
        with self._sessions() as session:
            rows = session.execute(query.order_by(Row.seq.desc()).limit(limit))
            return [VersionSummary(*row) for row in rows]

    def list_names(
        self,
        resource_type: int,
        project: str,
        domain: str,
        name_prefix: str,
        after_name: str | None,
        limit: int,
    ) -> list[NameSummary]:
        """Names in order, starting after ``after_name``, each with its latest version."""
        names = select(
            Row.name,
            func.count().label("version_count"),
            func.max(Row.seq).label("latest_seq"),
        ).where(Row.resource_type == resource_type, Row.project == project, Row.domain == domain)
        if name_prefix:
            names = names.where(Row.name.startswith(name_prefix, autoescape=True))
        if after_name is not None:
            names = names.where(Row.name > after_name)
        page = names.group_by(Row.name).order_by(Row.name).limit(limit).subquery()
        query = (
            select(page.c.name, Row.version, page.c.version_count, Row.created_at)
            .join(Row, Row.seq == page.c.latest_seq)
            .order_by(page.c.name)
        )
        with self._sessions() as session:
            return [NameSummary(*row) for row in session.execute(query)]

    def _one(self, query: Select[Row]) -> StoredEntity | None:
        with self._sessions() as session:
            row = session.scalars(query).first()
            return None if row is None else _stored(row)


def _named(name: EntityName) -> tuple[ColumnElement[bool], ...]:
    return (
        Row.resource_type == name.resource_type,
        Row.project == name.project,
        Row.domain == name.domain,
        Row.name == name.name,
    )


def _stored(row: Row) -> StoredEntity:
    return StoredEntity(
        name=EntityName(row.resource_type, row.project, row.domain, row.name),
        version=row.version,
        digest=row.digest,
        code_digest=row.code_digest,
        spec=row.spec,
        closure=row.closure,
        created_at=row.created_at,
        seq=row.seq,
    )
