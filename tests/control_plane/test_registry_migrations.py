"""The Alembic migrations build exactly the schema the models declare, from an empty database
and from every earlier revision, on each database backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from graven.control_plane.persistence.base import make_engine
from graven.control_plane.persistence.migrate import MIGRATIONS, upgrade
from graven.control_plane.persistence.models import Base

# Oldest first; the head is last.
REVISIONS = [
    script.revision for script in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))
]


def assert_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == REVISIONS[-1]
    constraints = inspect(engine).get_unique_constraints("registry_entities")
    assert [c["name"] for c in constraints] == ["uq_registry_entities_id"]


def test_migrations_match_the_models_and_rerun_as_a_no_op(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)
    assert_schema_matches_the_models(engine)
    engine.dispose()


@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_an_upgrade_from_an_earlier_revision_reaches_the_models(
    database_url: str, revision: str
) -> None:
    engine = make_engine(database_url)
    upgrade(engine, revision)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == revision
    upgrade(engine)
    assert_schema_matches_the_models(engine)
    engine.dispose()
