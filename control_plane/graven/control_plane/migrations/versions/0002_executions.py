"""Executions, their nodes and the nodes' attempts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "executions",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("domain", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("workflow_project", sa.String(63), nullable=False),
        sa.Column("workflow_domain", sa.String(63), nullable=False),
        sa.Column("workflow_name", sa.String(253), nullable=False),
        sa.Column("workflow_version", sa.String(128), nullable=False),
        sa.Column("launch_plan_name", sa.String(253), nullable=True),
        sa.Column("launch_plan_version", sa.String(128), nullable=True),
        sa.Column("mode", sa.Integer(), nullable=False),
        sa.Column("source_project", sa.String(63), nullable=True),
        sa.Column("source_domain", sa.String(63), nullable=True),
        sa.Column("source_name", sa.String(253), nullable=True),
        sa.Column("spec", sa.LargeBinary(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.LargeBinary(), nullable=True),
        sa.Column("outputs_uri", sa.String(2048), nullable=False),
        sa.Column("lease_holder", sa.String(253), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminate_requested", sa.Boolean(), nullable=False),
        sa.Column("terminate_reason", sa.String(1024), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_executions"),
        sa.UniqueConstraint("project", "domain", "name", name="uq_executions_project_domain_name"),
    )
    for name, columns in EXECUTION_INDEXES.items():
        op.create_index(name, "executions", columns)

    op.create_table(
        "node_executions",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("execution_id", ROW_ID, nullable=False),
        sa.Column("node_id", sa.String(253), nullable=False),
        sa.Column("task_project", sa.String(63), nullable=False),
        sa.Column("task_domain", sa.String(63), nullable=False),
        sa.Column("task_name", sa.String(253), nullable=False),
        sa.Column("task_version", sa.String(128), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("cache_status", sa.Integer(), nullable=False),
        sa.Column("cache_key", sa.String(128), nullable=False),
        sa.Column("source_project", sa.String(63), nullable=True),
        sa.Column("source_domain", sa.String(63), nullable=True),
        sa.Column("source_name", sa.String(253), nullable=True),
        sa.Column("inputs_uri", sa.String(2048), nullable=False),
        sa.Column("outputs_uri", sa.String(2048), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.LargeBinary(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_node_executions"),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name="fk_node_executions_execution_id_executions",
        ),
        sa.UniqueConstraint(
            "execution_id", "node_id", name="uq_node_executions_execution_id_node_id"
        ),
    )
    op.create_index("ix_node_executions_changes", "node_executions", ["execution_id", "revision"])

    op.create_table(
        "node_attempts",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("node_execution_id", ROW_ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_node_attempts"),
        sa.ForeignKeyConstraint(
            ["node_execution_id"],
            ["node_executions.id"],
            name="fk_node_attempts_node_execution_id_node_executions",
        ),
        sa.UniqueConstraint(
            "node_execution_id", "attempt", name="uq_node_attempts_node_execution_id_attempt"
        ),
    )


EXECUTION_INDEXES = {
    "ix_executions_list": ["project", "domain", "id"],
    "ix_executions_workflow": ["project", "domain", "workflow_name", "workflow_version", "id"],
    "ix_executions_phase": ["project", "domain", "phase", "id"],
    "ix_executions_created": ["project", "domain", "created_at"],
    "ix_executions_claim_queued": ["phase", "id"],
    "ix_executions_claim_lease": ["phase", "lease_expires_at"],
}


def downgrade() -> None:
    op.drop_table("node_attempts")
    op.drop_index("ix_node_executions_changes", table_name="node_executions")
    op.drop_table("node_executions")
    for name in EXECUTION_INDEXES:
        op.drop_index(name, table_name="executions")
    op.drop_table("executions")
