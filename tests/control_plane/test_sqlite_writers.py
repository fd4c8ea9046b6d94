"""Writers of one SQLite database in one process queue on a lock, not on SQLite's busy
handler: with the busy timeout at zero, no writer is ever refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from graven.control_plane.persistence.base import make_engine

THREADS = 8
TRANSACTIONS = 40
JOIN_TIMEOUT_S = 20.0


class Abandoned(Exception):
    pass


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")

    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 0")

    event.listen(engine, "connect", no_busy_wait)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    yield engine
    engine.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT n FROM counter")).scalar_one())


def run_threads(target: Any) -> None:
    threads = [threading.Thread(target=target) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)
        assert not thread.is_alive(), "a writer is still waiting"


def test_concurrent_writers_all_get_in(engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(TRANSACTIONS):
                try:
                    with engine.begin() as connection:
                        connection.execute(text("UPDATE counter SET n = n + 1"))
                        # A read inside the transaction, between writes, as the
                        # repositories do.
                        connection.execute(text("SELECT n FROM counter")).scalar_one()
                        connection.execute(text("UPDATE counter SET n = n + 1"))
                        if i % 5 == 0:
                            raise Abandoned
                except Abandoned:
                    pass
        except BaseException as error:
            errors.append(error)

    run_threads(writer)
    assert errors == []
    committed = THREADS * (TRANSACTIONS - TRANSACTIONS // 5)
    assert count(engine) == 2 * committed


def test_a_connection_closed_mid_transaction_lets_the_next_writer_in(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("UPDATE counter SET n = 100"))
        # Closed without commit or rollback: the pool rolls it back.
    done = threading.Event()

    def writer() -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE counter SET n = n + 1"))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert done.wait(JOIN_TIMEOUT_S), "the abandoned transaction kept the write lock"
    thread.join()
    assert count(engine) == 1
