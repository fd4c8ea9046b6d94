"""Uploads: the content objects UploadContent stored, and when, so unreferenced ones can be
collected after a grace period.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("content_hash", sa.String(71), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", name="pk_uploads"),
    )
    op.create_index("ix_uploads_uploaded_at", "uploads", ["uploaded_at"])


def downgrade() -> None:
    op.drop_index("ix_uploads_uploaded_at", table_name="uploads")
    op.drop_table("uploads")
