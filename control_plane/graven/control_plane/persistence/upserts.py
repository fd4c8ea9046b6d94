"""INSERT ... ON CONFLICT, the one statement both databases accept that lets concurrent
writers of one row both succeed: an index row written twice (a re-sent event, a reindex, two
executions producing one artifact) is written once.

SQLAlchemy builds it per dialect; the SQL is the same on SQLite and PostgreSQL. Each
statement is built once per dialect: building one (and its cache key) costs more than
running it, and these run on every launch and event batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite

Insert = postgresql.Insert | sqlite.Insert
Statement = TypeVar("Statement", bound=Executable)


def upsert(
    table: Table, complete: Callable[[Insert], Statement]
) -> Callable[[Connection], Statement]:
    """The insert into ``table`` that ``complete`` finishes (its ON CONFLICT clause, what it
    returns), for a connection's database."""
    built: dict[str, Statement] = {}

    def for_connection(connection: Connection) -> Statement:
        dialect = connection.dialect.name
        statement = built.get(dialect)
        if statement is None:
            insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
            statement = built[dialect] = complete(insert)
        return statement

    return for_connection
