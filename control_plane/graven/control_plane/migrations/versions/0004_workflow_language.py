"""The runtime of the workflow language: signals (what gates wait for), nested node
executions (their parent and a launch-plan node's child execution) and child executions
(their parent node execution).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SCOPE = sa.String(63)
NAME = sa.String(253)

INDEXES = {
    "ix_executions_parent": ("executions", ["parent_project", "parent_domain", "parent_name"]),
    "ix_node_executions_parent": ("node_executions", ["execution_id", "parent_node_id"]),
    "ix_signals_list": ("signals", ["execution_id", "created_at", "signal_id"]),
}


def upgrade() -> None:
    with op.batch_alter_table("executions") as table:
        table.add_column(sa.Column("parent_project", SCOPE, nullable=True))
        table.add_column(sa.Column("parent_domain", SCOPE, nullable=True))
        table.add_column(sa.Column("parent_name", NAME, nullable=True))
        table.add_column(sa.Column("parent_node_id", NAME, nullable=True))
    with op.batch_alter_table("node_executions") as table:
        # Every node recorded before nesting existed is a top-level one. A server default,
        # so writers that predate the column (and the rows they wrote) stay valid.
        table.add_column(sa.Column("parent_node_id", NAME, nullable=False, server_default=""))
        table.add_column(sa.Column("child_project", SCOPE, nullable=True))
        table.add_column(sa.Column("child_domain", SCOPE, nullable=True))
        table.add_column(sa.Column("child_name", NAME, nullable=True))

    op.create_table(
        "signals",
        sa.Column("execution_id", ROW_ID, nullable=False),
        sa.Column("signal_id", NAME, nullable=False),
        sa.Column("node_id", NAME, nullable=False),
        sa.Column("type", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_by", NAME, nullable=False),
        sa.PrimaryKeyConstraint("execution_id", "signal_id", name="pk_signals"),
        sa.ForeignKeyConstraint(
            ["execution_id"], ["executions.id"], name="fk_signals_execution_id_executions"
        ),
    )
    for name, (table_name, columns) in INDEXES.items():
        op.create_index(name, table_name, columns)


def downgrade() -> None:
    for name, (table_name, _) in INDEXES.items():
        op.drop_index(name, table_name=table_name)
    op.drop_table("signals")
    with op.batch_alter_table("node_executions") as table:
        for column in ("child_name", "child_domain", "child_project", "parent_node_id"):
            table.drop_column(column)
    with op.batch_alter_table("executions") as table:
        for column in ("parent_node_id", "parent_name", "parent_domain", "parent_project"):
            table.drop_column(column)
