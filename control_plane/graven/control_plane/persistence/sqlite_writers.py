"""SQLite writers of one process queue on a lock instead of on SQLite's busy handler.

SQLite lets one writer in at a time; the others are refused and their busy handler sleeps
and retries, in steps that grow to 100 ms, so under concurrent writes most of a call's time
is spent asleep while the database is free. Queued on a lock, the next writer starts the
moment the last one is done. Writers in other processes (an admin command) still meet the
busy handler, as before.

The SQLite driver opens a transaction at the first INSERT, UPDATE, DELETE or REPLACE (reads
before it run outside any transaction), so that statement is where the lock is taken. It is
given back when the connection returns to the pool: by then the transaction has committed
or the pool has rolled it back (SQLAlchemy's commit event comes before the commit itself).
Every session here is a short block, so a connection never holds the lock past its work.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import ConnectionPoolEntry

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# A writer nested in another's transaction on one thread would wait for itself; after this
# long it goes on and SQLite's own busy timeout decides, as without the queue.
WAIT_SECONDS = 30.0
HOLDS = "graven_holds_write_lock"


def queue_writers(engine: Engine) -> None:
    lock = threading.Lock()

    def before_write(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        info = connection.connection.info
        if info.get(HOLDS) or not statement.lstrip()[:7].upper().startswith(WRITES):
            return
        if lock.acquire(timeout=WAIT_SECONDS):
            info[HOLDS] = True

    def checked_in(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop(HOLDS, False):
            lock.release()

    event.listen(engine, "before_cursor_execute", before_write)
    event.listen(engine.pool, "checkin", checked_in)
