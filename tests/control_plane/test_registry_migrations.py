"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from graven.control_plane.persistence.base import make_engine
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.persistence.models import Base


def test_migrations_match_the_models_and_rerun_as_a_no_op(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'graven.db'}")
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() is not None
    constraints = inspect(engine).get_unique_constraints("registry_entities")
    assert [c["name"] for c in constraints] == ["uq_registry_entities_id"]
    engine.dispose()
