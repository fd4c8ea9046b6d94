"""The stack a user runs: the session's control plane, an agent on the session's Ray, and a
client. Claims are global, so the agent runs only while an e2e module runs (module scope):
no other part of the suite finds its executions taken."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from auth_support import agent_token, token_for
from database_fixtures import on_every_backend

from graven.control_plane.app import ControlPlane
from graven.data_plane.agent import Agent
from graven.remote import Remote


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    on_every_backend(metafunc)


@pytest.fixture(scope="module", autouse=True)
def agent(control_plane: ControlPlane, ray_address: str) -> Iterator[Agent]:
    running = Agent(
        control_plane.grpc_address, ray_address, claim_wait=1.0, token=agent_token(control_plane)
    )
    thread = threading.Thread(target=running.run, name="e2e-agent", daemon=True)
    thread.start()
    assert running.ready.wait(60), "the agent did not start"
    yield running
    running.stop()
    thread.join(30)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def endpoint(control_plane: ControlPlane) -> str:
    return control_plane.grpc_address


@pytest.fixture(scope="module")
def remote(endpoint: str) -> Iterator[Remote]:
    with Remote(endpoint, token=token_for(endpoint)) as client:
        yield client


@pytest.fixture
def project() -> str:
    """A project of the test's own on the shared control plane."""
    return f"e2e-{uuid.uuid4().hex[:10]}"
