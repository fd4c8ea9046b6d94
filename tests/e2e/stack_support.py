"""A stack of a test module's own, embedded or production: a control plane with its own home,
database and store — SQLite and a folder, or PostgreSQL (a fresh database on the session's
cluster) and MinIO (a fresh bucket on the session's server) — and a `graven agent` process
that joins the session's Ray.

The caching and lineage tests need a store they can look into, damage and index again, which
the session's shared control plane (a file store other tests write to) is not. The agent is a
process of its own, as in production, because the workers of its Ray job get the store's
credentials from the agent's environment when it connects: the session's Ray was started
before the MinIO credentials existed. A module that imports the fixtures from here replaces
the shared control plane's agent (e2e/conftest.py) with its stack's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from auth_support import agent_token_for, remember
from e2e_support import REPO

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.persistence.postgres_cluster import PostgresCluster
from graven.store import ObjectStore, open_store
from graven.store.minio_process import MinioServer
from graven.store.s3 import S3Location

STORES = ("file", "minio")
AGENT_STOP_SECONDS = 30.0


@dataclass(frozen=True)
class StoreUnderTest:
    """A store URL, and a look into the store that bypasses Graven: the file system, or a
    plain S3 client."""

    url: str
    minio: MinioServer | None

    @property
    def backend(self) -> str:
        return "file" if self.minio is None else "minio"

    def keys(self) -> list[str]:
        if self.minio is None:
            root = self._root()
            return sorted(
                path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()
            )
        bucket, prefix = self._bucket()
        objects = self.minio.client().list_objects(bucket, prefix=prefix, recursive=True)
        return sorted(str(o.object_name).removeprefix(prefix) for o in objects)

    def read(self, key: str) -> bytes:
        if self.minio is None:
            return (self._root() / key).read_bytes()
        bucket, prefix = self._bucket()
        response = self.minio.client().get_object(bucket, prefix + key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        if self.minio is None:
            (self._root() / key).unlink()
            return
        bucket, prefix = self._bucket()
        self.minio.client().remove_object(bucket, prefix + key)

    def open(self) -> ObjectStore:
        """Graven's own client of the store."""
        return open_store(self.url)

    def _root(self) -> Path:
        return Path(self.url.removeprefix("file://"))

    def _bucket(self) -> tuple[str, str]:
        location = S3Location.parse(self.url)
        return location.bucket, f"{location.prefix}/" if location.prefix else ""


@dataclass(frozen=True)
class DatabaseUnderTest:
    """The stack's database: SQLite in its home (url None), or one on the PostgreSQL cluster."""

    url: str | None
    cluster: PostgresCluster | None = None
    name: str = ""

    def settings(self, home: Path, store: StoreUnderTest) -> Settings:
        return Settings.for_home(home, db_url=self.url, store_url=store.url, grpc_port=0)

    def options(self) -> list[str]:
        """How the CLI names it (`--db`), beside `--home`."""
        return [] if self.url is None else ["--db", self.url]

    def wipe(self, home: Path) -> None:
        """Gone, as a lost disk would leave it: an empty database in its place."""
        if self.cluster is not None:
            self.cluster.recreate_database(self.name)
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{home / 'graven.db'}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True)
class Stack:
    home: Path
    store: StoreUnderTest
    database: DatabaseUnderTest
    plane: ControlPlane
    agent: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return self.plane.grpc_address


@contextmanager
def running_stack(
    home: Path, store: StoreUnderTest, database: DatabaseUnderTest, ray_address: str
) -> Iterator[Stack]:
    plane = ControlPlane(database.settings(home, store))
    plane.start()
    remember(plane)
    try:
        with running_agent(plane.grpc_address, ray_address, home / "agent.log") as agent:
            yield Stack(home=home, store=store, database=database, plane=plane, agent=agent)
    finally:
        plane.stop(grace=None)


@contextmanager
def running_agent(endpoint: str, ray_address: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`graven agent` until the block ends; executions queue until it has connected."""
    with log.open("wb") as output:
        agent = subprocess.Popen(
            [sys.executable, "-m", "graven.cli", "agent", "--endpoint", endpoint],
            cwd=REPO,
            env={
                **os.environ,
                "GRAVEN_RAY": ray_address,
                "GRAVEN_TOKEN": agent_token_for(endpoint),
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield agent
    finally:
        exited = agent.poll()
        if exited is None:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(AGENT_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
                message = f"the agent ignored SIGTERM for {AGENT_STOP_SECONDS} s"
                raise AssertionError(message) from None
        else:
            # Whatever the test saw (most likely an execution that never ran), this is why.
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"the agent exited ({exited}) while the stack ran:\n{tail}")


def delete_database(stack: Stack) -> None:
    stack.database.wipe(stack.home)


# Test modules import these fixtures by their function names (so no parameter shadows an
# import) and ask for them by the short names.


@pytest.fixture(name="store", scope="module", params=STORES)
def store_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> StoreUnderTest:
    if request.param == "file":
        return StoreUnderTest(url=tmp_path_factory.mktemp("store").as_uri(), minio=None)
    server: MinioServer = request.getfixturevalue("minio_server")
    return StoreUnderTest(url=server.url(), minio=server)


@pytest.fixture(name="database", scope="module")
def database_fixture(request: pytest.FixtureRequest, store: StoreUnderTest) -> DatabaseUnderTest:
    """The production pair goes together: MinIO with PostgreSQL, a folder with SQLite."""
    if store.minio is None:
        return DatabaseUnderTest(url=None)
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    return DatabaseUnderTest(url=cluster.url(name), cluster=cluster, name=name)


@pytest.fixture(name="stack", scope="module")
def stack_fixture(
    store: StoreUnderTest,
    database: DatabaseUnderTest,
    tmp_path_factory: pytest.TempPathFactory,
    ray_address: str,
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("home")
    with running_stack(home, store, database, ray_address) as running:
        yield running


@pytest.fixture(name="agent", scope="module")
def agent_fixture(stack: Stack) -> subprocess.Popen[bytes]:
    """The module's stack's agent, in place of the shared control plane's."""
    return stack.agent


@pytest.fixture(name="endpoint", scope="module")
def endpoint_fixture(stack: Stack) -> str:
    return stack.endpoint
