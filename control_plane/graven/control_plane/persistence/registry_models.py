"""The registry table: one row per registered entity version, written once, never updated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.timestamps import UtcDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class RegistryEntity(Base):
    """A task, workflow or launch plan version: its spec and closure as serialized protos.

    ``seq`` grows with every registration, so "newest first" is ``seq`` descending and a
    page cursor is a single integer.
    """

    __tablename__ = "registry_entities"

    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    # graven.v1.ResourceType numbers; proto enum numbers never change meaning.
    resource_type: Mapped[int] = mapped_column(SmallInteger)
    project: Mapped[str] = mapped_column(String(63))
    domain: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(253))
    version: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(71))
    # Tasks only (empty otherwise): listed with each version without parsing the spec.
    code_digest: Mapped[str] = mapped_column(String(128))
    spec: Mapped[bytes] = mapped_column(LargeBinary)
    closure: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # The identity of a version; concurrent registrations of one id race on it.
        UniqueConstraint(
            "resource_type", "project", "domain", "name", "version", name="uq_registry_entities_id"
        ),
        # Versions of one name newest first, and names with their latest version.
        Index("ix_registry_entities_name_seq", "resource_type", "project", "domain", "name", "seq"),
    )
