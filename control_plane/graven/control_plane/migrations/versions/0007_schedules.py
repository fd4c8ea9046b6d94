"""Schedules: which launch plan version of a name is active, and the ticks the scheduler
claimed (one row per launch plan name and tick time) with what became of them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SCOPE = sa.String(63)
NAME = sa.String(253)
VERSION = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "launch_plan_activations",
        sa.Column("project", SCOPE, nullable=False),
        sa.Column("domain", SCOPE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", VERSION, nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.String(63), nullable=False),
        sa.PrimaryKeyConstraint("project", "domain", "name", name="pk_launch_plan_activations"),
    )
    op.create_table(
        "schedule_ticks",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("project", SCOPE, nullable=False),
        sa.Column("domain", SCOPE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", VERSION, nullable=False),
        sa.Column("tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("execution_name", NAME, nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("skipped_before", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_ticks"),
        sa.UniqueConstraint("project", "domain", "name", "tick_at", name="uq_schedule_ticks_tick"),
    )
    op.create_index("ix_schedule_ticks_state", "schedule_ticks", ["state"])


def downgrade() -> None:
    op.drop_index("ix_schedule_ticks_state", table_name="schedule_ticks")
    op.drop_table("schedule_ticks")
    op.drop_table("launch_plan_activations")
