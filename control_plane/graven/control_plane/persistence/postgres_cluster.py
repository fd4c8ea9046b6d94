"""A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free loopback port: how the tests and
the benchmarks get a real PostgreSQL without any shared state or a system service.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user
that Debian's package creates, and every server command runs through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from graven.ports import free_loopback_port

READY_SECONDS = 60.0
SERVICE_USER = "postgres"
SUPERUSER = "graven"
# Crash safety means nothing for a cluster deleted after use; skipping fsync keeps the
# many small transactions of the tests from waiting on the disk.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


@dataclass(frozen=True)
class PostgresCluster:
    host: str
    port: int
    log: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); its name is returned."""
        name = f"graven_{uuid.uuid4().hex[:16]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._connect() as connection:
            connection.execute(statement)
        return name

    def recreate_database(self, name: str) -> None:
        """Drop a database (closing its connections) and make it again, empty: a lost
        database, as a test of recovery from the store alone needs it."""
        for statement in ("DROP DATABASE {} WITH (FORCE)", "CREATE DATABASE {}"):
            with self._connect() as connection:
                connection.execute(sql.SQL(statement).format(sql.Identifier(name)))

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host, port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest installed version."""
    on_path = [shutil.which(tool) for tool in ("initdb", "pg_ctl")]
    if all(on_path):
        return Path(str(on_path[0])).resolve().parent
    installed = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for folder in reversed(installed):
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl")):
            return Path(folder)
    return None


@contextmanager
def running_postgres(
    binaries: Path, ready_seconds: float = READY_SECONDS
) -> Iterator[PostgresCluster]:
    """Create a cluster in a temporary folder, start it, wait until it accepts connections,
    and stop and delete it after."""
    owner = _service_user() if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="graven-postgres-"))
    try:
        if owner is not None:
            os.chown(home, owner.pw_uid, owner.pw_gid)
        cluster = PostgresCluster(
            host="127.0.0.1", port=free_loopback_port(), log=home / "postgres.log"
        )
        data = home / "data"
        run = _runner(owner is not None)
        run(
            binaries / "initdb",
            *("-D", str(data), "-U", SUPERUSER, "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
        )
        options = f"-p {cluster.port} -h {cluster.host} -k {home} {SERVER_OPTIONS}"
        # -W: readiness is checked below, against a deadline, by connecting as a client would.
        run(
            binaries / "pg_ctl",
            "start",
            "-W",
            "-D",
            str(data),
            "-l",
            str(cluster.log),
            "-o",
            options,
        )
        try:
            _wait_until_ready(cluster, ready_seconds)
            yield cluster
        finally:
            run(binaries / "pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise RuntimeError(
            f"PostgreSQL refuses to run as root, and there is no {SERVICE_USER!r} user to run "
            "it as (Debian's postgresql package creates one)"
        ) from None


def _runner(as_service_user: bool) -> Callable[..., None]:
    prefix = ["runuser", "-u", SERVICE_USER, "--"] if as_service_user else []

    def run(*command: str | Path) -> None:
        completed = subprocess.run(
            [*prefix, *map(str, command)], capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}"
            )

    return run


def _wait_until_ready(cluster: PostgresCluster, ready_seconds: float) -> None:
    deadline = time.monotonic() + ready_seconds
    while True:
        try:
            cluster._connect().close()
            return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                log = cluster.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(
                    f"PostgreSQL did not accept connections within {ready_seconds} s: "
                    f"{error}\n{log}"
                ) from error
        time.sleep(0.05)
