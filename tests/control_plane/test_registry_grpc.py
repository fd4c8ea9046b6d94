"""The registry over a real gRPC server: the semantics a client relies on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from cp_support import (
    DOMAIN,
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
from grpc_health.v1 import health_pb2, health_pb2_grpc

from graven.control_plane.app import ControlPlane
from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.store.layout import bundle_key
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.task_pb2 import Task, TaskSpec
from graven.versioning import version_digest


def status_of(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def create_task(registry: RegistryServiceStub, identifier: Identifier, spec: TaskSpec) -> Task:
    return registry.CreateTask(rs.CreateTaskRequest(id=identifier, spec=spec)).task


# --- identity and immutability --------------------------------------------------------------


def test_registering_the_same_spec_twice_is_idempotent(registry: RegistryServiceStub) -> None:
    identifier = task_id(unique("idem"))
    spec = task_spec([var("x", INT)], [var("y", INT)])
    first = registry.CreateTask(rs.CreateTaskRequest(id=identifier, spec=spec))
    again = registry.CreateTask(rs.CreateTaskRequest(id=identifier, spec=spec))
    assert first.created
    assert not again.created
    assert again.task == first.task
    assert first.task.closure.digest == version_digest(spec)


def test_a_different_spec_under_a_registered_id_is_already_exists(
    registry: RegistryServiceStub,
) -> None:
    identifier = task_id(unique("clash"))
    stored = create_task(registry, identifier, task_spec([var("x", INT)], function="f"))
    changed = task_spec([var("x", STR)], function="g", description="now with text")
    error = status_of(lambda: create_task(registry, identifier, changed))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    details = error.details()
    assert f"task cp-tests/dev/{identifier.name}@v1 is already registered" in details
    for path in ("template.interface.inputs[0].type.simple", "template.code.function"):
        assert path in details
    assert "description (stored unset, given 'now with text')" in details
    assert registry.GetTask(rs.GetTaskRequest(id=identifier)).task == stored


def test_get_without_a_version_returns_the_latest(registry: RegistryServiceStub) -> None:
    name = unique("latest")
    for version in ("v1", "v3", "v2"):
        create_task(registry, task_id(name, version), task_spec(description=version))
    latest = registry.GetTask(rs.GetTaskRequest(id=task_id(name, version=""))).task
    assert latest.id.version == "v2"
    error = status_of(lambda: registry.GetTask(rs.GetTaskRequest(id=task_id(name, "v9"))))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert f"{name}@v9 is not registered" in error.details()


# --- workflows and launch plans -------------------------------------------------------------


def register_pipeline(registry: RegistryServiceStub) -> tuple[Identifier, list[Task]]:
    """Two tasks and a workflow using them; returns the workflow id and the tasks."""
    add, show = task_id(unique("add")), task_id(unique("show"))
    tasks = [
        create_task(registry, add, task_spec([var("x", INT), var("y", INT)], [var("out", INT)])),
        create_task(registry, show, task_spec([var("n", INT)], [var("text", STR)])),
    ]
    spec = workflow_spec(
        [
            node("render", show, n=promise("sum", "out")),
            node("sum", add, x=from_input("a"), y=from_input("b")),
        ],
        inputs=[var("a", INT), var("b", INT, int_literal(10))],
        outputs=[(var("text", STR), promise("render", "text"))],
    )
    identifier = workflow_id(unique("pipeline"))
    registry.CreateWorkflow(rs.CreateWorkflowRequest(id=identifier, spec=spec))
    return identifier, tasks


def test_a_workflow_closure_holds_its_task_templates(registry: RegistryServiceStub) -> None:
    identifier, tasks = register_pipeline(registry)
    # A later version of a task must not reach into the registered workflow.
    later = task_id(tasks[0].id.name, version="v2")
    create_task(registry, later, task_spec([var("x", INT)], [var("out", INT)], description="v2"))
    workflow = registry.GetWorkflow(rs.GetWorkflowRequest(id=identifier)).workflow
    assert sorted(workflow.closure.tasks, key=lambda t: t.id.name) == sorted(
        tasks, key=lambda t: t.id.name
    )
    assert list(workflow.closure.node_order) == ["sum", "render"]
    assert workflow.closure.created_at.seconds > 0


def test_a_workflow_with_a_dangling_task_is_invalid(registry: RegistryServiceStub) -> None:
    spec = workflow_spec([node("n", task_id(unique("ghost")))])
    request = rs.CreateWorkflowRequest(id=workflow_id(unique("dangling")), spec=spec)
    error = status_of(lambda: registry.CreateWorkflow(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("spec.template.nodes[0].task_node.task_id: node 'n' runs")


def test_a_launch_plan_fixes_and_defaults_inputs(registry: RegistryServiceStub) -> None:
    workflow, _ = register_pipeline(registry)
    identifier = launch_plan_id(unique("nightly"))
    spec = launch_plan_spec(workflow, defaults={"b": int_literal(3)}, fixed={"a": int_literal(1)})
    created = registry.CreateLaunchPlan(rs.CreateLaunchPlanRequest(id=identifier, spec=spec))
    assert created.created
    latest = Identifier()
    latest.CopyFrom(identifier)
    latest.version = ""
    plan = registry.GetLaunchPlan(rs.GetLaunchPlanRequest(id=latest)).launch_plan
    assert plan == created.launch_plan
    [b] = plan.closure.expected_interface.inputs
    assert (b.name, b.default) == ("b", int_literal(3))
    overlap = launch_plan_spec(
        workflow, defaults={"a": int_literal(2)}, fixed={"a": int_literal(1)}
    )
    request = rs.CreateLaunchPlanRequest(id=launch_plan_id(unique("overlap")), spec=overlap)
    error = status_of(lambda: registry.CreateLaunchPlan(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "spec.fixed_inputs.literals[a]" in error.details()


# --- listing and comparing ------------------------------------------------------------------


def test_list_names_pages_in_name_order(registry: RegistryServiceStub) -> None:
    project = unique("names")
    names = ["a_b.one", "a_b.two", "axb", "b", "c"]
    for name in names:
        create_task(registry, task_id(name, project=project), task_spec())
    create_task(registry, task_id("c", "v2", project=project), task_spec(description="2"))

    def list_all(prefix: str, size: int) -> list[rs.NamedEntity]:
        entities: list[rs.NamedEntity] = []
        token = ""
        while True:
            page = registry.ListNames(
                rs.ListNamesRequest(
                    resource_type=RESOURCE_TYPE_TASK,
                    project=project,
                    domain=DOMAIN,
                    page_size=size,
                    page_token=token,
                    name_prefix=prefix,
                )
            )
            assert len(page.entities) <= size
            entities += page.entities
            token = page.next_page_token
            if not token:
                return entities

    everything = list_all("", 2)
    assert [e.name for e in everything] == names
    assert (everything[-1].latest_version, everything[-1].version_count) == ("v2", 2)
    # "_" is a LIKE wildcard in SQL; as a prefix it must match only itself.
    assert [e.name for e in list_all("a_", 1)] == ["a_b.one", "a_b.two"]
    empty = rs.ListNamesRequest(
        resource_type=RESOURCE_TYPE_WORKFLOW, project=project, domain=DOMAIN
    )
    assert not registry.ListNames(empty).entities


def test_list_versions_pages_newest_first(registry: RegistryServiceStub) -> None:
    name = unique("versions")
    versions = [f"v{i}" for i in range(7)]
    for version in versions:
        create_task(registry, task_id(name, version), task_spec(description=version))
    request = rs.ListVersionsRequest(
        resource_type=RESOURCE_TYPE_TASK, project="cp-tests", domain=DOMAIN, name=name, page_size=3
    )
    seen: list[rs.EntityVersion] = []
    while True:
        page = registry.ListVersions(request)
        seen += page.versions
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert [v.id.version for v in seen] == versions[::-1]
    assert seen[0].code_digest == task_spec().template.code.code_digest
    # A token continues its own listing only.
    first = rs.ListVersionsRequest()
    first.CopyFrom(request)
    first.page_token = ""
    other = rs.ListVersionsRequest()
    other.CopyFrom(first)
    other.name = unique("other")
    other.page_token = registry.ListVersions(first).next_page_token
    error = status_of(lambda: registry.ListVersions(other))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("page_token: was issued for a different query")


def test_diff_versions_lists_the_differing_fields(registry: RegistryServiceStub) -> None:
    name = unique("diff")
    create_task(registry, task_id(name, "v1"), task_spec([var("x", INT)], function="f"))
    create_task(registry, task_id(name, "v2"), task_spec([var("x", STR)], function="f"))
    request = rs.DiffVersionsRequest(
        resource_type=RESOURCE_TYPE_TASK,
        project="cp-tests",
        domain=DOMAIN,
        name=name,
        version_a="v1",
        version_b="v2",
    )
    [difference] = registry.DiffVersions(request).differences
    assert difference == rs.FieldDifference(
        path="template.interface.inputs[0].type.simple",
        value_a="SIMPLE_TYPE_INTEGER",
        value_b="SIMPLE_TYPE_STRING",
    )
    request.version_b = "v1"
    assert not registry.DiffVersions(request).differences
    request.version_b = "v7"
    assert status_of(lambda: registry.DiffVersions(request)).code() == grpc.StatusCode.NOT_FOUND


def test_launch_plan_resource_type_lists_launch_plans(registry: RegistryServiceStub) -> None:
    workflow, _ = register_pipeline(registry)
    identifier = launch_plan_id(unique("lp"))
    registry.CreateLaunchPlan(
        rs.CreateLaunchPlanRequest(
            id=identifier, spec=launch_plan_spec(workflow, fixed={"a": int_literal(1)})
        )
    )
    request = rs.ListVersionsRequest(
        resource_type=RESOURCE_TYPE_LAUNCH_PLAN,
        project="cp-tests",
        domain=DOMAIN,
        name=identifier.name,
    )
    [version] = registry.ListVersions(request).versions
    assert version.id == identifier
    assert version.code_digest == ""


# --- bundles and health ---------------------------------------------------------------------


def upload(registry: RegistryServiceStub, data: bytes, digest: str | None = None) -> rs.Bundle:
    header = rs.BundleHeader(digest=digest or sha256_hex(data), size=len(data))
    parts = [rs.UploadBundleRequest(header=header)]
    parts += [
        rs.UploadBundleRequest(chunk=data[i : i + 1_000_000])
        for i in range(0, len(data), 1_000_000)
    ]
    return registry.UploadBundle(iter(parts)).bundle


def test_a_bundle_is_stored_once_under_its_digest(
    registry: RegistryServiceStub, control_plane: ControlPlane
) -> None:
    data = unique("bundle").encode() * 300_000  # several chunks
    digest = sha256_hex(data)
    get = rs.GetBundleRequest(digest=digest)
    assert status_of(lambda: registry.GetBundle(get)).code() == grpc.StatusCode.NOT_FOUND
    assert upload(registry, data) == rs.Bundle(digest=digest, size=len(data))
    assert upload(registry, data) == rs.Bundle(digest=digest, size=len(data))
    assert registry.GetBundle(get).bundle == rs.Bundle(digest=digest, size=len(data))
    assert control_plane.store.get_bytes(bundle_key(digest)) == data
    assert bundle_key(digest) == f"bundles/sha256/{digest.removeprefix('sha256:')}.tar.gz"


def test_a_bundle_whose_bytes_do_not_match_is_not_stored(
    registry: RegistryServiceStub, control_plane: ControlPlane
) -> None:
    data = unique("bundle").encode()
    claimed = sha256_hex(b"something else")
    error = status_of(lambda: upload(registry, data, digest=claimed))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(f"header.digest: {claimed} does not match")
    assert not control_plane.store.exists(bundle_key(claimed))


def test_health_reports_serving(grpc_channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(grpc_channel)
    for service in ("", "graven.v1.RegistryService"):
        response = health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING
