"""A PostgreSQL URL in the form libpq and most tools print reaches the server through the
driver Graven ships (psycopg 3), not psycopg2."""

from __future__ import annotations

from sqlalchemy import text

from graven.control_plane.persistence.base import make_engine
from graven.control_plane.persistence.postgres_cluster import PostgresCluster


def test_a_plain_postgresql_url_connects_through_psycopg(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.url(postgres_cluster.create_database())
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    assert plain != url
    engine = make_engine(plain)
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT current_database()")).scalar() == url.rsplit("/", 1)[1]
        )
    engine.dispose()
