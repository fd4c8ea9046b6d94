"""The lineage index: artifacts, the lineage records stored beside them, and what each record
consumed.

The store is the source of truth (a record is written beside its artifact before it is
indexed, and `graven admin reindex` rebuilds these tables from the store alone), so every
row here is derived from record bytes and nothing in it depends on the order records arrived
in. Rows are only ever inserted, except an artifact's attributes, which follow its oldest
record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.execution_models import NAME, SCOPE
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime

# "sha256:" and 64 hex digits.
DIGEST = String(71)


class ArtifactRow(Base):
    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    hash: Mapped[str] = mapped_column(DIGEST, unique=True)
    # graven.v1.LiteralType, size and time of the oldest record (by created_at, then digest):
    # the same whichever record was indexed first.
    type: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    record_digest: Mapped[str] = mapped_column(DIGEST)


class ArtifactContentRow(Base):
    """A stored object (a blob's content, a directory member) an artifact needs."""

    __tablename__ = "artifact_contents"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    artifact_hash: Mapped[str] = mapped_column(DIGEST)
    content_hash: Mapped[str] = mapped_column(DIGEST)

    __table_args__ = (
        UniqueConstraint("artifact_hash", "content_hash"),
        # FindByContent.
        Index("ix_artifact_contents_content", "content_hash"),
    )


class LineageRecordRow(Base):
    """One graven.v1.LineageRecord, with the fields lineage walks on as columns.

    A step of a lineage graph is the records of one (execution, node_id); node_id is empty
    for the execution's inputs.
    """

    __tablename__ = "lineage_records"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    # sha256 of ``record``, the name of its object beside the artifact: indexing a record
    # twice (a re-sent event, a reindex) finds it there.
    digest: Mapped[str] = mapped_column(DIGEST, unique=True)
    artifact_hash: Mapped[str] = mapped_column(DIGEST)
    execution_project: Mapped[str] = mapped_column(SCOPE)
    execution_domain: Mapped[str] = mapped_column(SCOPE)
    execution_name: Mapped[str] = mapped_column(NAME)
    node_id: Mapped[str] = mapped_column(NAME)
    name: Mapped[str] = mapped_column(NAME)
    attempt: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The record's deterministic bytes, as stored beside the artifact.
    record: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        # The producers of artifacts, anywhere or within one execution.
        Index(
            "ix_lineage_records_artifact",
            "artifact_hash",
            "execution_project",
            "execution_domain",
            "execution_name",
        ),
        # The records of a step, and of an execution.
        Index(
            "ix_lineage_records_step",
            "execution_project",
            "execution_domain",
            "execution_name",
            "node_id",
        ),
    )


class LineageInputRow(Base):
    """An artifact a record's producer consumed: the edges lineage walks downstream on."""

    __tablename__ = "lineage_inputs"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(RowId, ForeignKey("lineage_records.id"))
    name: Mapped[str] = mapped_column(NAME)
    artifact_hash: Mapped[str] = mapped_column(DIGEST)

    __table_args__ = (
        UniqueConstraint("record_id", "name"),
        Index("ix_lineage_inputs_artifact", "artifact_hash", "record_id"),
    )
