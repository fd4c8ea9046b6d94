"""Tokens as rows. A token is found by the sha256 of its secret; names are unique among
all tokens, revoked ones too, so a name in an audit log means one token forever."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.auth.principals import Kind, Principal, Role, Scope
from graven.control_plane.errors import AlreadyExists
from graven.control_plane.persistence.token_models import TokenRow


@dataclass(frozen=True)
class TokenRecord:
    name: str
    kind: Kind
    role: Role
    scopes: tuple[Scope, ...]
    created_at: datetime
    created_by: str = ""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    id: int = 0

    def principal(self) -> Principal:
        return Principal(self.name, self.kind, self.role, self.scopes, self.expires_at)


class TokenRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, record: TokenRecord, secret_hash: str) -> TokenRecord:
        try:
            with self._sessions.begin() as session:
                row = _row(record, secret_hash)
                session.add(row)
                session.flush()
                return _record(row)
        except IntegrityError:
            # A secret hash cannot collide (256 random bits): the name is taken.
            raise AlreadyExists(f"a token named {record.name!r} exists already") from None

    def principal(self, secret_hash: str) -> Principal | None:
        with self._sessions() as session:
            row = session.scalars(
                select(TokenRow).where(
                    TokenRow.secret_hash == secret_hash, TokenRow.revoked_at.is_(None)
                )
            ).one_or_none()
            return None if row is None else _record(row).principal()

    def page(self, after: int | None, limit: int, include_revoked: bool) -> list[TokenRecord]:
        """Newest first, after the token with id ``after``."""
        query = select(TokenRow).order_by(TokenRow.id.desc()).limit(limit)
        if after is not None:
            query = query.where(TokenRow.id < after)
        if not include_revoked:
            query = query.where(TokenRow.revoked_at.is_(None))
        with self._sessions() as session:
            return [_record(row) for row in session.scalars(query)]

    def revoke(self, name: str, now: datetime) -> TokenRecord | None:
        """The token once revoked (a second revocation keeps the first's time); None when
        no token has this name."""
        with self._sessions.begin() as session:
            session.execute(
                update(TokenRow)
                .where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = session.scalars(select(TokenRow).where(TokenRow.name == name)).one_or_none()
            return None if row is None else _record(row)

    def install(self, record: TokenRecord, secret_hash: str) -> None:
        """The embedded stack's token ``record.name`` with this secret: created when absent;
        when the secret is another (its token file was removed, so a new one was written)
        the token takes the new secret, its grant as ``record`` says, and is valid again.
        The same secret leaves the token as it is, a revocation included."""
        try:
            with self._sessions.begin() as session:
                row = session.scalars(
                    select(TokenRow).where(TokenRow.name == record.name).with_for_update()
                ).one_or_none()
                if row is None:
                    session.add(_row(record, secret_hash))
                elif row.secret_hash != secret_hash:
                    fresh = _row(record, secret_hash)
                    for column in ("kind", "role", "scopes", "secret_hash", "created_at"):
                        setattr(row, column, getattr(fresh, column))
                    row.expires_at = row.revoked_at = None
        except IntegrityError:
            # Two control planes of one home installing at once: the other one won with
            # the same file's secret.
            if self.principal(secret_hash) is None:
                raise


def _row(record: TokenRecord, secret_hash: str) -> TokenRow:
    return TokenRow(
        name=record.name,
        kind=int(record.kind),
        role=int(record.role),
        scopes=json.dumps([[s.project, s.domain] for s in record.scopes]),
        secret_hash=secret_hash,
        created_at=record.created_at,
        created_by=record.created_by,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
    )


def _record(row: TokenRow) -> TokenRecord:
    return TokenRecord(
        name=row.name,
        kind=Kind(row.kind),
        role=Role(row.role),
        scopes=tuple(Scope(project, domain) for project, domain in json.loads(row.scopes)),
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        id=row.id,
    )
