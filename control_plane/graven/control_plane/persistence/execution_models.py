"""Tables of executions, their nodes and the nodes' attempts.

The immutable part of an execution (its spec) is stored as the proto's bytes; the columns
beside it exist to be filtered, ordered, claimed or updated. Inputs and outputs live in the
object store: rows hold their uris only.

``revision`` counts every change of an execution or of one of its nodes; a node row keeps the
revision of its last change, so a watcher asks for "nodes changed since revision N".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from graven.control_plane.persistence.base import Base
from graven.control_plane.persistence.registry_models import RowId
from graven.control_plane.persistence.timestamps import UtcDateTime

SCOPE = String(63)
NAME = String(253)
VERSION = String(128)
URI = String(2048)


class ExecutionRow(Base):
    __tablename__ = "executions"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(SCOPE)
    domain: Mapped[str] = mapped_column(SCOPE)
    name: Mapped[str] = mapped_column(NAME)

    workflow_project: Mapped[str] = mapped_column(SCOPE)
    workflow_domain: Mapped[str] = mapped_column(SCOPE)
    workflow_name: Mapped[str] = mapped_column(NAME)
    workflow_version: Mapped[str] = mapped_column(VERSION)
    launch_plan_name: Mapped[str | None] = mapped_column(NAME)
    launch_plan_version: Mapped[str | None] = mapped_column(VERSION)
    mode: Mapped[int] = mapped_column(Integer)
    source_project: Mapped[str | None] = mapped_column(SCOPE)
    source_domain: Mapped[str | None] = mapped_column(SCOPE)
    source_name: Mapped[str | None] = mapped_column(NAME)
    # A child execution's parent node execution (spec.parent_node_execution), as columns so
    # that a parent finds its children.
    parent_project: Mapped[str | None] = mapped_column(SCOPE)
    parent_domain: Mapped[str | None] = mapped_column(SCOPE)
    parent_name: Mapped[str | None] = mapped_column(NAME)
    parent_node_id: Mapped[str | None] = mapped_column(NAME)
    # graven.v1.ExecutionSpec, deterministic bytes; never updated.
    spec: Mapped[bytes] = mapped_column(LargeBinary)

    phase: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # graven.v1.ExecutionError
    error: Mapped[bytes | None] = mapped_column(LargeBinary)
    outputs_uri: Mapped[str] = mapped_column(URI, default="")

    # The agent that runs the execution holds it until another claims it after expiry.
    lease_holder: Mapped[str | None] = mapped_column(NAME)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    terminate_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    terminate_reason: Mapped[str] = mapped_column(String(1024), default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        UniqueConstraint("project", "domain", "name"),
        # ListExecutions: newest first (id order) under each combination of filters.
        Index("ix_executions_list", "project", "domain", "id"),
        Index(
            "ix_executions_workflow",
            "project",
            "domain",
            "workflow_name",
            "workflow_version",
            "id",
        ),
        Index("ix_executions_phase", "project", "domain", "phase", "id"),
        Index("ix_executions_created", "project", "domain", "created_at"),
        # ClaimExecution: the oldest queued, and running ones whose lease ran out.
        Index("ix_executions_claim_queued", "phase", "id"),
        Index("ix_executions_claim_lease", "phase", "lease_expires_at"),
        # The children of an execution, to terminate them with it.
        Index("ix_executions_parent", "parent_project", "parent_domain", "parent_name"),
    )


class NodeExecutionRow(Base):
    __tablename__ = "node_executions"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(RowId, ForeignKey("executions.id"))
    node_id: Mapped[str] = mapped_column(NAME)
    # The nested node id of the node this one is nested in; "" at the top level.
    parent_node_id: Mapped[str] = mapped_column(NAME, server_default="")
    task_project: Mapped[str] = mapped_column(SCOPE, default="")
    task_domain: Mapped[str] = mapped_column(SCOPE, default="")
    task_name: Mapped[str] = mapped_column(NAME, default="")
    task_version: Mapped[str] = mapped_column(VERSION, default="")

    phase: Mapped[int] = mapped_column(Integer)
    # The attempt of the newest event applied to ``phase``: with the phase's rank it orders
    # events, so a late or repeated one never moves the node backwards.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    cache_status: Mapped[int] = mapped_column(Integer, default=0)
    cache_key: Mapped[str] = mapped_column(String(128), default="")
    # graven.v1.CacheKeyComponents of a cached task's key.
    cache_key_components: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Output name to artifact hash, once the node succeeded: a cache hit's outputs.
    output_hashes: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))
    source_project: Mapped[str | None] = mapped_column(SCOPE)
    source_domain: Mapped[str | None] = mapped_column(SCOPE)
    source_name: Mapped[str | None] = mapped_column(NAME)
    inputs_uri: Mapped[str] = mapped_column(URI, default="")
    outputs_uri: Mapped[str] = mapped_column(URI, default="")
    # A launch-plan node's child execution.
    child_project: Mapped[str | None] = mapped_column(SCOPE)
    child_domain: Mapped[str | None] = mapped_column(SCOPE)
    child_name: Mapped[str | None] = mapped_column(NAME)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # graven.v1.ExecutionError
    error: Mapped[bytes | None] = mapped_column(LargeBinary)
    revision: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[list[NodeAttemptRow]] = relationship(
        order_by="NodeAttemptRow.attempt", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("execution_id", "node_id"),
        Index("ix_node_executions_changes", "execution_id", "revision"),
        # ListNodeExecutions filtered by parent.
        Index("ix_node_executions_parent", "execution_id", "parent_node_id"),
    )


class NodeAttemptRow(Base):
    __tablename__ = "node_attempts"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    node_execution_id: Mapped[int] = mapped_column(RowId, ForeignKey("node_executions.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    phase: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # graven.v1.ExecutionError
    error: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("node_execution_id", "attempt"),)
