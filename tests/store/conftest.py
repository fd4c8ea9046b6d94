from __future__ import annotations

from pathlib import Path

import pytest
from store_support import BACKENDS

from graven.ports import free_loopback_port
from graven.store import ObjectStore, open_store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """A fresh, empty store of each backend: a folder, or a bucket of its own on MinIO."""
    if request.param == "file":
        return open_store((tmp_path / "store").as_uri())
    return open_store(request.getfixturevalue("minio_server").url())


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    return free_loopback_port()
