"""The registry: immutable, versioned tasks, workflows and launch plans, and code bundles.

Registering an id that exists is idempotent when the spec is the same (tasks: up to the code
bundle, see _same_version) and fails with AlreadyExists naming the differing fields when it
is not; nothing registered ever changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.errors import AlreadyExists, NotFound
from graven.control_plane.persistence.registry_repository import (
    EntityName,
    NewEntity,
    RegistryRepository,
    StoredEntity,
)
from graven.control_plane.service.bundles import BundleStore
from graven.control_plane.service.compiler import (
    compile_launch_plan,
    compile_task,
    compile_workflow,
)
from graven.control_plane.service.diff import describe_differences, diff_messages
from graven.control_plane.service.identifiers import describe, entity_name, identifier_of
from graven.control_plane.service.paging import decode_page_token, page_size, paginate
from graven.control_plane.service.validation import (
    check_identifier,
    check_name,
    check_name_prefix,
    check_resource_type,
    require,
)
from graven.digests import canonical_bytes, message_digest
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.launch_plan_pb2 import LaunchPlan, LaunchPlanClosure, LaunchPlanSpec
from graven.v1.task_pb2 import Task, TaskClosure, TaskSpec
from graven.v1.workflow_pb2 import Workflow, WorkflowClosure, WorkflowSpec
from graven.versioning import version_digest

Entity = TypeVar("Entity", Task, Workflow, LaunchPlan)
Closure = TaskClosure | WorkflowClosure | LaunchPlanClosure

SPEC_CLASSES: dict[int, type[TaskSpec] | type[WorkflowSpec] | type[LaunchPlanSpec]] = {
    RESOURCE_TYPE_TASK: TaskSpec,
    RESOURCE_TYPE_WORKFLOW: WorkflowSpec,
    RESOURCE_TYPE_LAUNCH_PLAN: LaunchPlanSpec,
}


class RegistryService:
    def __init__(self, repository: RegistryRepository, bundles: BundleStore) -> None:
        self._repository = repository
        self._bundles = bundles

    # --- tasks, workflows, launch plans ---------------------------------------------------

    def create_task(self, request: rs.CreateTaskRequest) -> rs.CreateTaskResponse:
        stored, created = self._register(
            request,
            RESOURCE_TYPE_TASK,
            lambda: compile_task(request.spec),
            request.spec.template.code.code_digest,
        )
        return rs.CreateTaskResponse(task=_entity(Task, stored), created=created)

    def get_task(self, request: rs.GetTaskRequest) -> rs.GetTaskResponse:
        return rs.GetTaskResponse(task=self._get(Task, request, RESOURCE_TYPE_TASK))

    def create_workflow(self, request: rs.CreateWorkflowRequest) -> rs.CreateWorkflowResponse:
        stored, created = self._register(
            request,
            RESOURCE_TYPE_WORKFLOW,
            lambda: compile_workflow(request.spec, self._find_tasks),
        )
        return rs.CreateWorkflowResponse(workflow=_entity(Workflow, stored), created=created)

    def get_workflow(self, request: rs.GetWorkflowRequest) -> rs.GetWorkflowResponse:
        workflow = self._get(Workflow, request, RESOURCE_TYPE_WORKFLOW)
        return rs.GetWorkflowResponse(workflow=workflow)

    def create_launch_plan(
        self, request: rs.CreateLaunchPlanRequest
    ) -> rs.CreateLaunchPlanResponse:
        stored, created = self._register(
            request,
            RESOURCE_TYPE_LAUNCH_PLAN,
            lambda: compile_launch_plan(request.spec, lambda wf_id: self._find(Workflow, wf_id)),
        )
        return rs.CreateLaunchPlanResponse(launch_plan=_entity(LaunchPlan, stored), created=created)

    def get_launch_plan(self, request: rs.GetLaunchPlanRequest) -> rs.GetLaunchPlanResponse:
        launch_plan = self._get(LaunchPlan, request, RESOURCE_TYPE_LAUNCH_PLAN)
        return rs.GetLaunchPlanResponse(launch_plan=launch_plan)

    # --- listing and comparing ------------------------------------------------------------

    def list_names(self, request: rs.ListNamesRequest) -> rs.ListNamesResponse:
        check_resource_type(request.resource_type, "resource_type")
        check_name("project", request.project, "project")
        check_name("domain", request.domain, "domain")
        check_name_prefix(request.name_prefix, "name_prefix")
        size = page_size(request.page_size)
        query = (
            "names",
            request.resource_type,
            request.project,
            request.domain,
            request.name_prefix,
        )
        after = decode_page_token(request.page_token, query, str)
        rows = self._repository.list_names(
            request.resource_type,
            request.project,
            request.domain,
            request.name_prefix,
            after,
            size + 1,
        )
        page, next_token = paginate(rows, size, query, lambda row: row.name)
        return rs.ListNamesResponse(
            entities=[
                rs.NamedEntity(
                    resource_type=request.resource_type,
                    project=request.project,
                    domain=request.domain,
                    name=row.name,
                    latest_version=row.latest_version,
                    version_count=row.version_count,
                    updated_at=_timestamp(row.updated_at),
                )
                for row in page
            ],
            next_page_token=next_token,
        )

    def list_versions(self, request: rs.ListVersionsRequest) -> rs.ListVersionsResponse:
        name = self._checked_name(request)
        size = page_size(request.page_size)
        query = ("versions", request.resource_type, request.project, request.domain, request.name)
        before = decode_page_token(request.page_token, query, int)
        rows = self._repository.list_versions(name, before, size + 1)
        page, next_token = paginate(rows, size, query, lambda row: row.seq)
        return rs.ListVersionsResponse(
            versions=[
                rs.EntityVersion(
                    id=Identifier(
                        resource_type=request.resource_type,
                        project=request.project,
                        domain=request.domain,
                        name=request.name,
                        version=row.version,
                    ),
                    digest=row.digest,
                    created_at=_timestamp(row.created_at),
                    code_digest=row.code_digest,
                )
                for row in page
            ],
            next_page_token=next_token,
        )

    def diff_versions(self, request: rs.DiffVersionsRequest) -> rs.DiffVersionsResponse:
        name = self._checked_name(request)
        specs = []
        for field in ("version_a", "version_b"):
            version = getattr(request, field)
            check_name("version", version, field)
            stored = self._repository.get(name, version)
            if stored is None:
                missing = Identifier(
                    resource_type=request.resource_type,
                    project=request.project,
                    domain=request.domain,
                    name=request.name,
                    version=version,
                )
                raise NotFound(f"{describe(missing)} is not registered")
            specs.append(SPEC_CLASSES[request.resource_type].FromString(stored.spec))
        return rs.DiffVersionsResponse(differences=diff_messages(specs[0], specs[1]))

    # --- code bundles ---------------------------------------------------------------------

    def upload_bundle(
        self, header: rs.BundleHeader, chunks: Iterable[bytes]
    ) -> rs.UploadBundleResponse:
        return rs.UploadBundleResponse(bundle=self._bundles.upload(header, chunks))

    def get_bundle(self, request: rs.GetBundleRequest) -> rs.GetBundleResponse:
        return rs.GetBundleResponse(bundle=self._bundles.get(request.digest))

    # --- shared steps ---------------------------------------------------------------------

    def _register(
        self,
        request: rs.CreateTaskRequest | rs.CreateWorkflowRequest | rs.CreateLaunchPlanRequest,
        resource_type: int,
        compile_closure: Callable[[], Closure],
        code_digest: str = "",
    ) -> tuple[StoredEntity, bool]:
        """Store the spec under its id unless the id exists: (stored entity, created).

        An existing id is looked up before compiling, so an identical re-registration costs
        one read; the unique constraint settles registrations that race past that read.
        """
        require(request.HasField("id"), "id")
        check_identifier(request.id, "id", resource_type)
        require(request.HasField("spec"), "spec")
        name = entity_name(request.id)
        digest = message_digest(request.spec)
        stored = self._repository.get(name, request.id.version)
        created = False
        if stored is None:
            closure = compile_closure()
            now = datetime.now(UTC)
            closure.digest = digest
            closure.created_at.CopyFrom(_timestamp(now))
            stored, created = self._repository.insert(
                NewEntity(
                    name=name,
                    version=request.id.version,
                    digest=digest,
                    code_digest=code_digest,
                    spec=canonical_bytes(request.spec),
                    closure=canonical_bytes(closure),
                    created_at=now,
                )
            )
        if stored.digest != digest and not _same_version(resource_type, stored, request.spec):
            raise AlreadyExists(_conflict(request.id, request.spec, stored))
        return stored, created

    def _get(
        self,
        cls: type[Entity],
        request: rs.GetTaskRequest | rs.GetWorkflowRequest | rs.GetLaunchPlanRequest,
        resource_type: int,
    ) -> Entity:
        """The version the request names, or the latest one when its version is empty."""
        require(request.HasField("id"), "id")
        identifier = request.id
        check_identifier(identifier, "id", resource_type, version_required=False)
        name = entity_name(identifier)
        if identifier.version:
            stored = self._repository.get(name, identifier.version)
        else:
            stored = self._repository.latest(name)
        if stored is None:
            raise NotFound(f"{describe(identifier)} is not registered")
        return _entity(cls, stored)

    def _find(self, cls: type[Entity], identifier: Identifier) -> Entity | None:
        stored = self._repository.get(entity_name(identifier), identifier.version)
        return None if stored is None else _entity(cls, stored)

    def _find_tasks(self, identifiers: Sequence[Identifier]) -> list[Task]:
        wanted = [(entity_name(i), i.version) for i in identifiers]
        return [_entity(Task, stored) for stored in self._repository.get_many(wanted)]

    def _checked_name(self, request: rs.ListVersionsRequest | rs.DiffVersionsRequest) -> EntityName:
        check_resource_type(request.resource_type, "resource_type")
        check_name("project", request.project, "project")
        check_name("domain", request.domain, "domain")
        check_name("name", request.name, "name")
        return EntityName(request.resource_type, request.project, request.domain, request.name)


def _same_version(
    resource_type: int, stored: StoredEntity, spec: TaskSpec | WorkflowSpec | LaunchPlanSpec
) -> bool:
    """Specs that differ only in their code bundle are one version: an unchanged task sent
    again from a newer bundle keeps the bundle it was registered with (graven.versioning)."""
    stored_spec = SPEC_CLASSES[resource_type].FromString(stored.spec)
    return version_digest(stored_spec) == version_digest(spec)


def _entity(cls: type[Entity], stored: StoredEntity) -> Entity:
    entity = cls(id=identifier_of(stored))
    entity.spec.MergeFromString(stored.spec)
    entity.closure.MergeFromString(stored.closure)
    return entity


def _conflict(identifier: Identifier, spec: Message, stored: StoredEntity) -> str:
    differences = diff_messages(type(spec).FromString(stored.spec), spec)
    return (
        f"{describe(identifier)} is already registered with different content "
        f"(stored digest {stored.digest}); differing fields: "
        + describe_differences(differences, ("stored", "given"))
    )


def _timestamp(moment: datetime) -> Timestamp:
    timestamp = Timestamp()
    timestamp.FromDatetime(moment)
    return timestamp
