from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_support import agent_token, authorized_channel, remember
from dp_support import LEASE_SECONDS

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.data_plane.agent import Agent
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
    yield remember(control_plane)
    control_plane.stop(grace=None)


@pytest.fixture
def executions(plane: ControlPlane) -> Iterator[ExecutionServiceStub]:
    channel = authorized_channel(plane)
    yield ExecutionServiceStub(channel)
    channel.close()


@pytest.fixture
def agent(plane: ControlPlane, ray_address: str) -> Iterator[Agent]:
    """An agent of the test's control plane, in this process, on the session's Ray."""
    running = Agent(plane.grpc_address, ray_address, claim_wait=1.0, token=agent_token(plane))
    thread = threading.Thread(target=running.run)
    thread.start()
    yield running
    running.stop()
    thread.join(30)
    assert not thread.is_alive()
