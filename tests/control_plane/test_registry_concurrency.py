"""Concurrent registrations of one id race on the database's unique constraint."""

from __future__ import annotations

import grpc
from cp_support import DOMAIN, INT, PROJECT, task_id, task_spec, unique, var

from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub

CONTENDERS = 50


def test_one_of_fifty_different_registrations_of_one_id_wins(
    registry: RegistryServiceStub,
) -> None:
    identifier = task_id(unique("race"))
    specs = [task_spec([var("x", INT)], description=f"contender {i}") for i in range(CONTENDERS)]
    # Futures put all fifty calls in flight at once; the server runs them on its thread pool.
    calls = [
        registry.CreateTask.future(rs.CreateTaskRequest(id=identifier, spec=spec), timeout=60)
        for spec in specs
    ]
    winners, losers = [], []
    for spec, call in zip(specs, calls, strict=True):
        try:
            response = call.result()
        except grpc.RpcError as error:
            losers.append(error)
        else:
            winners.append((spec, response))
    assert len(winners) == 1
    assert {error.code() for error in losers} == {grpc.StatusCode.ALREADY_EXISTS}
    assert all("description (stored 'contender" in error.details() for error in losers)
    [(spec, response)] = winners
    assert response.created
    stored = registry.GetTask(rs.GetTaskRequest(id=identifier)).task
    assert stored == response.task
    assert stored.spec == spec
    versions = registry.ListVersions(
        rs.ListVersionsRequest(
            resource_type=RESOURCE_TYPE_TASK, project=PROJECT, domain=DOMAIN, name=identifier.name
        )
    ).versions
    assert [v.id.version for v in versions] == ["v1"]


def test_fifty_identical_registrations_all_succeed_and_one_creates(
    registry: RegistryServiceStub,
) -> None:
    request = rs.CreateTaskRequest(id=task_id(unique("same")), spec=task_spec([var("x", INT)]))
    calls = [registry.CreateTask.future(request, timeout=60) for _ in range(CONTENDERS)]
    responses = [call.result() for call in calls]
    assert sum(r.created for r in responses) == 1
    assert len({r.task.SerializeToString(deterministic=True) for r in responses}) == 1
