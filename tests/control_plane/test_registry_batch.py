"""Register: a batch of entries applied in order, in one transaction, over a real server."""

from __future__ import annotations

import grpc
import pytest
from cp_support import (
    INT,
    STR,
    from_input,
    launch_plan_id,
    launch_plan_spec,
    node,
    promise,
    task_id,
    task_spec,
    unique,
    var,
    workflow_id,
    workflow_spec,
)

from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import Identifier
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.task_pb2 import TaskSpec
from graven.v1.workflow_pb2 import WorkflowSpec
from graven.versioning import version_digest

Spec = TaskSpec | WorkflowSpec | LaunchPlanSpec


def entry(identifier: Identifier, spec: Spec) -> rs.RegistrationEntry:
    if isinstance(spec, TaskSpec):
        return rs.RegistrationEntry(task=rs.CreateTaskRequest(id=identifier, spec=spec))
    if isinstance(spec, WorkflowSpec):
        return rs.RegistrationEntry(workflow=rs.CreateWorkflowRequest(id=identifier, spec=spec))
    return rs.RegistrationEntry(launch_plan=rs.CreateLaunchPlanRequest(id=identifier, spec=spec))


def register(
    registry: RegistryServiceStub, plan: list[tuple[Identifier, Spec]]
) -> list[rs.RegisteredEntity]:
    request = rs.RegisterRequest(entries=[entry(i, s) for i, s in plan])
    return list(registry.Register(request).entities)


def rejection(registry: RegistryServiceStub, plan: list[tuple[Identifier, Spec]]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        register(registry, plan)
    return caught.value


def pipeline() -> list[tuple[Identifier, Spec]]:
    """Two tasks, a workflow running them and a launch plan of it, in dependency order."""
    add, show = task_id(unique("add")), task_id(unique("show"))
    flow = workflow_id(unique("flow"))
    return [
        (add, task_spec([var("x", INT), var("y", INT)], [var("out", INT)], function="add")),
        (show, task_spec([var("n", INT)], [var("text", STR)], function="show")),
        (
            flow,
            workflow_spec(
                [
                    node("sum", add, x=from_input("a"), y=from_input("b")),
                    node("render", show, n=promise("sum", "out")),
                ],
                inputs=[var("a", INT), var("b", INT)],
                outputs=[(var("text", STR), promise("render", "text"))],
            ),
        ),
        (launch_plan_id(unique("daily")), launch_plan_spec(flow, fixed={"b": int_literal(1)})),
    ]


def is_stored(registry: RegistryServiceStub, identifier: Identifier) -> bool:
    request = rs.ListVersionsRequest(
        resource_type=identifier.resource_type,
        project=identifier.project,
        domain=identifier.domain,
        name=identifier.name,
    )
    return any(v.id == identifier for v in registry.ListVersions(request).versions)


def test_a_batch_creates_entities_that_use_earlier_entries(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    entities = register(registry, plan)
    assert [(e.id, e.digest, e.created) for e in entities] == [
        (i, version_digest(s), True) for i, s in plan
    ]
    assert all(is_stored(registry, identifier) for identifier, _ in plan)
    [(add, _), (show, _), (flow, _), (daily, _)] = plan
    workflow = registry.GetWorkflow(rs.GetWorkflowRequest(id=flow)).workflow
    assert [t.id for t in workflow.closure.tasks] == [add, show]
    assert workflow.closure.digest == entities[2].digest
    assert list(workflow.closure.node_order) == ["sum", "render"]
    launch_plan = registry.GetLaunchPlan(rs.GetLaunchPlanRequest(id=daily)).launch_plan
    assert [v.name for v in launch_plan.closure.expected_interface.inputs] == ["a"]


def test_sending_a_batch_again_creates_nothing(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    first = register(registry, plan)
    again = register(registry, plan)
    assert [(e.id, e.digest) for e in again] == [(e.id, e.digest) for e in first]
    assert not any(e.created for e in again)


def test_a_batch_mixes_stored_and_new_entities(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    register(registry, plan[:1])
    entities = register(registry, plan)
    assert [e.created for e in entities] == [False, True, True, True]


def test_a_bad_entry_stores_nothing_and_is_named(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    flow = plan[2][1]
    assert isinstance(flow, WorkflowSpec)
    # "render" takes an int; bind it to the text input instead.
    flow.template.interface.inputs.add().CopyFrom(var("s", STR))
    flow.template.nodes[1].inputs[0].binding.CopyFrom(from_input("s"))
    error = rejection(registry, plan)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(
        "entries[2].workflow.spec.template.nodes[1].inputs[0].binding.workflow_input: "
    )
    assert not any(is_stored(registry, identifier) for identifier, _ in plan[:2])


def test_an_entry_sees_only_the_entries_before_it(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    error = rejection(registry, [plan[2], *plan[:2]])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("entries[0].workflow.spec.template.nodes[0].task_node")
    assert "is not registered" in error.details()


def test_a_clash_with_a_stored_version_stores_nothing(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    add_id = plan[0][0]
    register(registry, [(add_id, task_spec([var("x", INT)], function="add"))])
    error = rejection(registry, plan[1:2] + plan[:1])
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    details = error.details()
    assert details.startswith(f"entries[1].task: task cp-tests/dev/{add_id.name}@v1 is already")
    assert "template.interface.inputs[1]" in details
    assert not is_stored(registry, plan[1][0])


def test_one_id_twice_in_a_batch(registry: RegistryServiceStub) -> None:
    identifier = task_id(unique("twice"))
    spec = task_spec([var("x", INT)])
    same = register(registry, [(identifier, spec), (identifier, spec)])
    assert [e.created for e in same] == [True, False]
    other = task_id(unique("twice"))
    error = rejection(registry, [(other, spec), (other, task_spec(description="changed"))])
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details().startswith(f"entries[1].task: task cp-tests/dev/{other.name}@v1 is")
    assert "is also entries[0].task, with different content" in error.details()
    assert "description (earlier unset, given 'changed')" in error.details()
    assert not is_stored(registry, other)


def test_a_task_from_another_bundle_is_the_same_version(registry: RegistryServiceStub) -> None:
    """The digest leaves the bundle out: the stored task keeps its first bundle."""
    identifier = task_id(unique("rebundled"))
    spec = task_spec([var("x", INT)])
    rebundled = TaskSpec()
    rebundled.CopyFrom(spec)
    rebundled.template.code.bundle_digest = sha256_hex(b"a newer bundle")
    [first] = register(registry, [(identifier, spec)])
    [again] = register(registry, [(identifier, rebundled)])
    assert (again.created, again.digest) == (False, first.digest)
    stored = registry.GetTask(rs.GetTaskRequest(id=identifier)).task
    assert stored.spec == spec
    assert stored.closure.digest == version_digest(rebundled)
    changed = TaskSpec()
    changed.CopyFrom(rebundled)
    changed.template.code.code_digest = sha256_hex(b"other code")
    error = rejection(registry, [(identifier, changed)])
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "template.code.code_digest" in error.details()
    assert "bundle_digest" not in error.details()


def test_an_entry_must_name_its_entity(registry: RegistryServiceStub) -> None:
    plan = pipeline()
    request = rs.RegisterRequest(entries=[entry(*plan[0]), rs.RegistrationEntry()])
    with pytest.raises(grpc.RpcError) as caught:
        registry.Register(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "entries[1]: set one of task, workflow or launch_plan"
    assert not is_stored(registry, plan[0][0])
