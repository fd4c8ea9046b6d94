"""Alembic environment: runs on the connection that persistence.migrate hands over."""

from __future__ import annotations

from alembic import context

from graven.control_plane.persistence.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through graven.control_plane.persistence.migrate")

context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
