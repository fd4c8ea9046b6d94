"""Fixtures every part of the suite shares: a real control plane on a free loopback port, and
one local Ray for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from auth_support import authorized_channel, remember
from hypothesis import settings
from store.minio_server import minio_server  # noqa: F401  (a real MinIO, for any test)

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings

# How long an example takes is the benchmarks' business (bench/), not the tests': on a
# loaded machine hypothesis's per-example deadline would fail tests that are right.
settings.register_profile("graven", deadline=None)
settings.load_profile("graven")

# SQLite or a real PostgreSQL, for any test.
pytest_plugins = ["database_fixtures"]

# Small enough that the oversized-message test stays fast, large enough for any test spec.
TEST_MAX_MESSAGE_BYTES = 4 << 20


@pytest.fixture(scope="session")
def control_plane(
    tmp_path_factory: pytest.TempPathFactory, session_database_url: str
) -> Iterator[ControlPlane]:
    """One control plane per database backend for the session (with a file store in a
    temporary home).

    Tests share it, so each registers under names of its own (see cp_support.unique)."""
    home = tmp_path_factory.mktemp("graven-home")
    settings = Settings.for_home(
        home,
        db_url=session_database_url,
        grpc_port=0,
        max_message_bytes=TEST_MAX_MESSAGE_BYTES,
    )
    plane = ControlPlane(settings)
    plane.start()
    yield remember(plane)
    plane.stop(grace=None)


@pytest.fixture(scope="session")
def ray_token_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file holding the session Ray's token (ray_runtime creates it)."""
    return tmp_path_factory.mktemp("ray") / "ray-token"


@pytest.fixture(scope="session")
def ray_address(ray_token_path: Path) -> Iterator[str]:
    """One local Ray for the whole session, closed as `graven up`'s is (loopback only, its
    token in ray_token_path); agents started as subprocesses join it, inheriting the token's
    path from this process's environment.

    Imported here rather than at the top, so tests that never run anything on Ray do not pay
    for importing it."""
    import ray

    from graven.data_plane import ray_runtime

    ray_runtime.connect(num_cpus=2, token_path=ray_token_path)
    yield ray_runtime.cluster_address()
    ray.shutdown()


@pytest.fixture(scope="session")
def grpc_channel(control_plane: ControlPlane) -> Iterator[grpc.Channel]:
    channel = authorized_channel(control_plane)
    grpc.channel_ready_future(channel).result(timeout=10)
    yield channel
    channel.close()
