"""The ``minio_server`` fixture: the MinIO that `make minio` builds, one for the session.

tests/conftest.py imports the fixture, so any test in the suite can ask for it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_support import missing_service

from graven.store.minio_process import MinioServer, running_minio

BUILT_MINIO = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "minio"


def minio_binary() -> Path | None:
    if BUILT_MINIO.is_file():
        return BUILT_MINIO
    found = shutil.which("minio")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def minio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinioServer]:
    """Its credentials are in the environment for the session, where the S3 store (and every
    process the tests start) reads them."""
    binary = minio_binary()
    if binary is None:
        reason = f"MinIO is not built: `make minio` builds it into {BUILT_MINIO.parent}"
        missing_service(reason)
    with (
        running_minio(binary, tmp_path_factory.mktemp("minio")) as server,
        pytest.MonkeyPatch.context() as env,
    ):
        for name, value in server.environment().items():
            env.setenv(name, value)
        yield server
