"""The lineage index (artifacts, lineage records and their inputs), the task cache (entries and
reservations), and the cache columns of node executions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DIGEST = sa.String(71)
SCOPE = sa.String(63)
NAME = sa.String(253)

INDEXES = {
    "ix_artifact_contents_content": ("artifact_contents", ["content_hash"]),
    "ix_lineage_records_artifact": (
        "lineage_records",
        ["artifact_hash", "execution_project", "execution_domain", "execution_name"],
    ),
    "ix_lineage_records_step": (
        "lineage_records",
        ["execution_project", "execution_domain", "execution_name", "node_id"],
    ),
    "ix_lineage_inputs_artifact": ("lineage_inputs", ["artifact_hash", "record_id"]),
    "ix_cache_entries_key": ("cache_entries", ["key", "id"]),
    "ix_cache_entries_task": ("cache_entries", ["task_project", "task_domain", "task_name", "id"]),
    "ix_cache_entries_scope": ("cache_entries", ["task_project", "task_domain", "id"]),
    "ix_cache_reservations_holder": ("cache_reservations", ["execution_id", "node_id"]),
}


def upgrade() -> None:
    with op.batch_alter_table("node_executions") as table:
        table.add_column(sa.Column("cache_key_components", sa.LargeBinary(), nullable=True))
        table.add_column(sa.Column("output_hashes", sa.JSON(none_as_null=True), nullable=True))

    op.create_table(
        "artifacts",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("hash", DIGEST, nullable=False),
        sa.Column("type", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_digest", DIGEST, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.UniqueConstraint("hash", name="uq_artifacts_hash"),
    )
    op.create_table(
        "artifact_contents",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("artifact_hash", DIGEST, nullable=False),
        sa.Column("content_hash", DIGEST, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artifact_contents"),
        sa.UniqueConstraint(
            "artifact_hash", "content_hash", name="uq_artifact_contents_artifact_hash_content_hash"
        ),
    )
    op.create_table(
        "lineage_records",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("digest", DIGEST, nullable=False),
        sa.Column("artifact_hash", DIGEST, nullable=False),
        sa.Column("execution_project", SCOPE, nullable=False),
        sa.Column("execution_domain", SCOPE, nullable=False),
        sa.Column("execution_name", NAME, nullable=False),
        sa.Column("node_id", NAME, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_records"),
        sa.UniqueConstraint("digest", name="uq_lineage_records_digest"),
    )
    op.create_table(
        "lineage_inputs",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("record_id", ROW_ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("artifact_hash", DIGEST, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_inputs"),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["lineage_records.id"],
            name="fk_lineage_inputs_record_id_lineage_records",
        ),
        sa.UniqueConstraint("record_id", "name", name="uq_lineage_inputs_record_id_name"),
    )
    op.create_table(
        "cache_entries",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("key", DIGEST, nullable=False),
        sa.Column("task_project", SCOPE, nullable=False),
        sa.Column("task_domain", SCOPE, nullable=False),
        sa.Column("task_name", NAME, nullable=False),
        sa.Column("source_project", SCOPE, nullable=False),
        sa.Column("source_domain", SCOPE, nullable=False),
        sa.Column("source_name", NAME, nullable=False),
        sa.Column("source_node_id", NAME, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cache_entries"),
        sa.UniqueConstraint(
            "key",
            "source_project",
            "source_domain",
            "source_name",
            "source_node_id",
            name="uq_cache_entries_source",
        ),
    )
    op.create_table(
        "cache_reservations",
        sa.Column("key", DIGEST, nullable=False),
        sa.Column("execution_id", ROW_ID, nullable=False),
        sa.Column("node_id", NAME, nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_cache_reservations"),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name="fk_cache_reservations_execution_id_executions",
        ),
    )
    for name, (table_name, columns) in INDEXES.items():
        op.create_index(name, table_name, columns)


def downgrade() -> None:
    for name, (table_name, _) in INDEXES.items():
        op.drop_index(name, table_name=table_name)
    for table_name in (
        "cache_reservations",
        "cache_entries",
        "lineage_inputs",
        "lineage_records",
        "artifact_contents",
        "artifacts",
    ):
        op.drop_table(table_name)
    with op.batch_alter_table("node_executions") as table:
        table.drop_column("output_hashes")
        table.drop_column("cache_key_components")
