"""INSERT ... ON CONFLICT, the one statement both databases accept that lets concurrent
writers of one row both succeed: an index row written twice (a re-sent event, a reindex, two
executions producing one artifact) is written once.

SQLAlchemy builds it per dialect; the SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

Insert = postgresql.Insert | sqlite.Insert


def insert_for(connection: Connection, table: Table) -> Insert:
    """An insert into ``table`` that can say what to do ON CONFLICT, for the connection's
    database."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
