"""The databases tests run on: SQLite files, and a throwaway PostgreSQL cluster (the one
`make postgres` makes sure is installed), one for the session.

``database_backend`` is "sqlite" unless a folder's conftest hands its tests to
``on_every_backend``, as tests/control_plane and tests/e2e do. tests/conftest.py loads this
module as a plugin, so any test in the suite can ask for its fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from service_support import missing_service

from graven.control_plane.persistence.postgres_cluster import (
    PostgresCluster,
    find_binaries,
    running_postgres,
)

BACKENDS = ("sqlite", "postgresql")


def on_every_backend(metafunc: pytest.Metafunc) -> None:
    """For a conftest's ``pytest_generate_tests``: each test that reaches a database runs on
    every backend, with one session-wide control plane per backend."""
    if "database_backend" in metafunc.fixturenames:
        metafunc.parametrize("database_backend", BACKENDS, indirect=True, scope="session")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    binaries = find_binaries()
    if binaries is None:
        reason = "PostgreSQL is not installed: `make postgres` installs it"
        missing_service(reason)
    with running_postgres(binaries) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def database_backend(request: pytest.FixtureRequest) -> str:
    backend: str = getattr(request, "param", "sqlite")
    return backend


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database_backend: str, tmp_path: Path) -> str:
    """A new, empty database of the test's own."""
    return _new_database_url(request, database_backend, tmp_path)


@pytest.fixture(scope="session")
def session_database_url(
    request: pytest.FixtureRequest,
    database_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """A new, empty database for the session's tests on this backend to share."""
    return _new_database_url(request, database_backend, tmp_path_factory.mktemp("database"))


def _new_database_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """A new, empty database: a file in ``folder``, or a database on the session's cluster
    (asked for only here, so SQLite-only runs never need PostgreSQL)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'graven.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.url(cluster.create_database())
