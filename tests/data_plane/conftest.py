from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from dp_support import LEASE_SECONDS

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.store import ObjectStore, open_store
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return open_store((tmp_path / "store").as_uri())


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    """A control plane of the test's own: no other test's agent can claim its executions."""
    settings = Settings.for_home(tmp_path / "home", grpc_port=0)
    control_plane = ControlPlane(dataclasses.replace(settings, lease_seconds=LEASE_SECONDS))
    control_plane.start()
    yield control_plane
    control_plane.stop(grace=None)


@pytest.fixture
def executions(plane: ControlPlane) -> Iterator[ExecutionServiceStub]:
    channel = grpc.insecure_channel(plane.grpc_address)
    yield ExecutionServiceStub(channel)
    channel.close()
