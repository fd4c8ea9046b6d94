"""The Python client of a Graven control plane.

``Remote`` speaks gRPC to the control plane; everything a user can do from the CLI goes
through it, so the CLI is a thin layer of argument parsing and rendering.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf.message import Message

from graven.v1 import identifier_pb2 as idl
from graven.v1 import launch_plan_pb2, task_pb2, workflow_pb2
from graven.v1 import registry_service_pb2 as reg
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub

DEFAULT_ENDPOINT = "127.0.0.1:8089"
UPLOAD_CHUNK_BYTES = 1 << 20
# Room for large workflow closures; the server enforces its own limit.
MAX_MESSAGE_BYTES = 64 << 20


def default_endpoint() -> str:
    return os.environ.get("GRAVEN_ENDPOINT", DEFAULT_ENDPOINT)


@dataclass(frozen=True)
class Registered:
    """One entity of a registration and whether this call created it."""

    id: idl.Identifier
    created: bool


class Remote:
    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoint = endpoint or default_endpoint()
        self._channel = grpc.insecure_channel(
            self.endpoint,
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self.registry = RegistryServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Registration

    def register(
        self,
        path: Path,
        project: str = "default",
        domain: str = "development",
        version: str | None = None,
    ) -> list[Registered]:
        """Register every task, workflow and launch plan found under ``path``.

        The code bundle is uploaded only when the control plane does not hold it yet, so
        registering unchanged code costs one lookup per entity.
        """
        from graven.bundle import build_bundle
        from graven.loader import load_project
        from graven.serialize import registration_plan

        loaded = load_project(path)
        bundle = build_bundle(loaded.root)
        self.upload_bundle(bundle.digest, bundle.data)
        plan = registration_plan(loaded, project, domain, bundle.digest, version)
        return [self.create(entity_id, spec) for entity_id, spec in plan]

    def upload_bundle(self, digest: str, data: bytes) -> None:
        try:
            self.registry.GetBundle(reg.GetBundleRequest(digest=digest))
            return
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise

        def parts() -> Iterator[reg.UploadBundleRequest]:
            yield reg.UploadBundleRequest(header=reg.BundleHeader(digest=digest, size=len(data)))
            for start in range(0, len(data), UPLOAD_CHUNK_BYTES):
                yield reg.UploadBundleRequest(chunk=data[start : start + UPLOAD_CHUNK_BYTES])

        self.registry.UploadBundle(parts())

    def create(self, entity_id: idl.Identifier, spec: Message) -> Registered:
        if isinstance(spec, task_pb2.TaskSpec):
            t = self.registry.CreateTask(reg.CreateTaskRequest(id=entity_id, spec=spec))
            return Registered(t.task.id, t.created)
        if isinstance(spec, workflow_pb2.WorkflowSpec):
            w = self.registry.CreateWorkflow(reg.CreateWorkflowRequest(id=entity_id, spec=spec))
            return Registered(w.workflow.id, w.created)
        if isinstance(spec, launch_plan_pb2.LaunchPlanSpec):
            lp = self.registry.CreateLaunchPlan(
                reg.CreateLaunchPlanRequest(id=entity_id, spec=spec)
            )
            return Registered(lp.launch_plan.id, lp.created)
        raise TypeError(f"not a registrable spec: {type(spec).__name__}")

    # Reading the registry

    def get(self, entity_id: idl.Identifier) -> Message:
        """The stored entity (Task, Workflow or LaunchPlan); an empty version means latest."""
        kind = entity_id.resource_type
        if kind == idl.RESOURCE_TYPE_TASK:
            return self.registry.GetTask(reg.GetTaskRequest(id=entity_id)).task
        if kind == idl.RESOURCE_TYPE_WORKFLOW:
            return self.registry.GetWorkflow(reg.GetWorkflowRequest(id=entity_id)).workflow
        return self.registry.GetLaunchPlan(reg.GetLaunchPlanRequest(id=entity_id)).launch_plan

    def list_names(
        self, kind: idl.ResourceType, project: str, domain: str, name_prefix: str = ""
    ) -> Iterator[reg.NamedEntity]:
        token = ""
        while True:
            page = self.registry.ListNames(
                reg.ListNamesRequest(
                    resource_type=kind,
                    project=project,
                    domain=domain,
                    name_prefix=name_prefix,
                    page_token=token,
                )
            )
            yield from page.entities
            token = page.next_page_token
            if not token:
                return

    def list_versions(
        self, kind: idl.ResourceType, project: str, domain: str, name: str
    ) -> Iterator[reg.EntityVersion]:
        token = ""
        while True:
            page = self.registry.ListVersions(
                reg.ListVersionsRequest(
                    resource_type=kind, project=project, domain=domain, name=name, page_token=token
                )
            )
            yield from page.versions
            token = page.next_page_token
            if not token:
                return

    def diff(
        self, kind: idl.ResourceType, project: str, domain: str, name: str, a: str, b: str
    ) -> list[reg.FieldDifference]:
        response = self.registry.DiffVersions(
            reg.DiffVersionsRequest(
                resource_type=kind,
                project=project,
                domain=domain,
                name=name,
                version_a=a,
                version_b=b,
            )
        )
        return list(response.differences)
