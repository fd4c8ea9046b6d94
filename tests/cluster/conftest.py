"""A two-node Ray cluster of separate `ray start` processes per test module, a control plane
of each test's own, and `graven agent` processes joined to the cluster by address.

This test process never connects to the cluster itself (it may be the driver of the suite's
local Ray already): everything that touches the cluster is a process of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_support import remember, token_for
from cluster_support import (
    RayCluster,
    Service,
    StartAgent,
    register_flows,
    start_agent,
    two_node_cluster,
)

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.remote import Remote

# Short, so that a dead agent's executions change hands within a test's patience.
LEASE_SECONDS = 2.0


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    with two_node_cluster(tmp_path_factory.mktemp("ray-logs")) as cluster:
        yield cluster


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    settings = Settings.for_home(tmp_path / "home", grpc_port=0)
    control_plane = ControlPlane(dataclasses.replace(settings, lease_seconds=LEASE_SECONDS))
    control_plane.start()
    yield remember(control_plane)
    control_plane.stop(grace=None)


@pytest.fixture
def remote(plane: ControlPlane) -> Iterator[Remote]:
    with Remote(plane.grpc_address, token=token_for(plane.grpc_address)) as client:
        yield client


@pytest.fixture
def versions(plane: ControlPlane, tmp_path: Path) -> dict[str, str]:
    return register_flows(plane.grpc_address, tmp_path / "project")


@pytest.fixture
def agents(logs: Path, ray_cluster: RayCluster) -> Iterator[StartAgent]:
    """Start `graven agent` processes (endpoint, name, extra options); all stopped after."""
    started: list[Service] = []

    def start(endpoint: str, name: str, *options: str) -> Service:
        agent = start_agent(logs, endpoint, ray_cluster.address, name, *options)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()
