"""The registry: one row per registered task, workflow and launch plan version.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "registry_entities",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("resource_type", sa.SmallInteger(), nullable=False),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("domain", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(71), nullable=False),
        sa.Column("code_digest", sa.String(128), nullable=False),
        sa.Column("spec", sa.LargeBinary(), nullable=False),
        sa.Column("closure", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_registry_entities"),
        sa.UniqueConstraint(
            "resource_type", "project", "domain", "name", "version", name="uq_registry_entities_id"
        ),
    )
    op.create_index(
        "ix_registry_entities_name_seq",
        "registry_entities",
        ["resource_type", "project", "domain", "name", "seq"],
    )


def downgrade() -> None:
    op.drop_index("ix_registry_entities_name_seq", table_name="registry_entities")
    op.drop_table("registry_entities")
