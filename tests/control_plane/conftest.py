from __future__ import annotations

import grpc
import pytest
from cp_support import INT, task_id, task_spec, unique, var
from database_fixtures import on_every_backend

from graven.v1 import registry_service_pb2 as rs
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    on_every_backend(metafunc)


@pytest.fixture(scope="session")
def registry(grpc_channel: grpc.Channel) -> RegistryServiceStub:
    return RegistryServiceStub(grpc_channel)


@pytest.fixture(scope="module")
def registered_task_name(registry: RegistryServiceStub) -> str:
    """The name of a task registered (as version v1) for the module's tests to find."""
    identifier = task_id(unique("known"))
    registry.CreateTask(rs.CreateTaskRequest(id=identifier, spec=task_spec([var("x", INT)])))
    return identifier.name
