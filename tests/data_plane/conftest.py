from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from graven.data_plane import ray_runtime
from graven.store import ObjectStore, open_store


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """One local Ray for the whole session; agents started as subprocesses join it."""
    ray_runtime.connect(num_cpus=2)
    yield ray_runtime.cluster_address()
    ray.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return open_store((tmp_path / "store").as_uri())
