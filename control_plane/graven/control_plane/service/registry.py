"""The registry: immutable, versioned tasks, workflows and launch plans, and code bundles.

Every Create and the batch Register go through ``registration.Registrar``; what makes a
re-registration idempotent or a clash is the digest rule of ``graven.versioning``. Nothing
registered ever changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from graven.control_plane.errors import NotFound
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.registry_repository import EntityName, RegistryRepository
from graven.control_plane.service.bundles import BundleStore
from graven.control_plane.service.diff import diff_messages
from graven.control_plane.service.identifiers import describe, entity_name, identifier_of
from graven.control_plane.service.paging import decode_page_token, page_size, paginate
from graven.control_plane.service.registration import (
    Entity,
    Registrar,
    entity_message,
    entries_of,
    entry_of,
)
from graven.control_plane.service.validation import (
    check_identifier,
    check_name,
    check_name_prefix,
    check_resource_type,
    require,
)
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.launch_plan_pb2 import LaunchPlan, LaunchPlanSpec
from graven.v1.task_pb2 import Task, TaskSpec
from graven.v1.workflow_pb2 import Workflow, WorkflowSpec

SPEC_CLASSES: dict[int, type[TaskSpec] | type[WorkflowSpec] | type[LaunchPlanSpec]] = {
    RESOURCE_TYPE_TASK: TaskSpec,
    RESOURCE_TYPE_WORKFLOW: WorkflowSpec,
    RESOURCE_TYPE_LAUNCH_PLAN: LaunchPlanSpec,
}


class RegistryService:
    def __init__(self, repository: RegistryRepository, bundles: BundleStore) -> None:
        self._repository = repository
        self._registrar = Registrar(repository)
        self._bundles = bundles

    # --- tasks, workflows, launch plans ---------------------------------------------------

    def register(self, request: rs.RegisterRequest) -> rs.RegisterResponse:
        registered = self._registrar.register(entries_of(request))
        return rs.RegisterResponse(
            entities=[
                rs.RegisteredEntity(
                    id=identifier_of(r.entity), digest=r.entity.digest, created=r.created
                )
                for r in registered
            ]
        )

    def create_task(self, request: rs.CreateTaskRequest) -> rs.CreateTaskResponse:
        [registered] = self._registrar.register([entry_of(request)])
        return rs.CreateTaskResponse(
            task=entity_message(Task, registered.entity), created=registered.created
        )

    def get_task(self, request: rs.GetTaskRequest) -> rs.GetTaskResponse:
        return rs.GetTaskResponse(task=self._get(Task, request, RESOURCE_TYPE_TASK))

    def create_workflow(self, request: rs.CreateWorkflowRequest) -> rs.CreateWorkflowResponse:
        [registered] = self._registrar.register([entry_of(request)])
        return rs.CreateWorkflowResponse(
            workflow=entity_message(Workflow, registered.entity), created=registered.created
        )

    def get_workflow(self, request: rs.GetWorkflowRequest) -> rs.GetWorkflowResponse:
        workflow = self._get(Workflow, request, RESOURCE_TYPE_WORKFLOW)
        return rs.GetWorkflowResponse(workflow=workflow)

    def create_launch_plan(
        self, request: rs.CreateLaunchPlanRequest
    ) -> rs.CreateLaunchPlanResponse:
        [registered] = self._registrar.register([entry_of(request)])
        return rs.CreateLaunchPlanResponse(
            launch_plan=entity_message(LaunchPlan, registered.entity), created=registered.created
        )

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
                    updated_at=to_timestamp(row.updated_at),
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
                    created_at=to_timestamp(row.created_at),
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
        return entity_message(cls, stored)

    def _checked_name(self, request: rs.ListVersionsRequest | rs.DiffVersionsRequest) -> EntityName:
        check_resource_type(request.resource_type, "resource_type")
        check_name("project", request.project, "project")
        check_name("domain", request.domain, "domain")
        check_name("name", request.name, "name")
        return EntityName(request.resource_type, request.project, request.domain, request.name)
