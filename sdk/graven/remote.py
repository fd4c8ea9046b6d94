"""The Python client of a Graven control plane.

``Remote`` speaks gRPC to the control plane; everything a user can do from the CLI goes
through it, so the CLI is a thin layer of argument parsing and rendering.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from google.protobuf.message import Message

from graven.channels import open_channel, resolve_token
from graven.errors import GravenTypeError, GravenValueError, located
from graven.files import Directory, File
from graven.literals import from_json_value, to_json_value, to_literal, to_python
from graven.remote_blobs import UPLOAD_CHUNK_BYTES, RemoteBlobs
from graven.remote_cache import CacheCalls
from graven.remote_lineage import LineageCalls
from graven.remote_pages import pages
from graven.remote_schedules import ScheduleCalls
from graven.remote_signals import SignalCalls
from graven.remote_tokens import TokenCalls
from graven.tables import PARQUET_FORMAT
from graven.types import PICKLE_FORMAT
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as exs
from graven.v1 import identifier_pb2 as idl
from graven.v1 import launch_plan_pb2, task_pb2, workflow_pb2
from graven.v1 import literals_pb2 as lit
from graven.v1 import notification_pb2 as nt
from graven.v1 import notification_service_pb2 as nts
from graven.v1 import registry_service_pb2 as reg
from graven.v1.cache_service_pb2_grpc import CacheServiceStub
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub
from graven.v1.notification_service_pb2_grpc import NotificationServiceStub
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.schedule_service_pb2_grpc import ScheduleServiceStub
from graven.v1.signal_service_pb2_grpc import SignalServiceStub
from graven.v1.token_service_pb2_grpc import TokenServiceStub
from graven.v1.types_pb2 import BLOB_DIMENSIONALITY_MULTIPART, BlobType, LiteralType

if TYPE_CHECKING:
    from graven.loader import Project
from graven.versioning import Spec

DEFAULT_ENDPOINT = "127.0.0.1:8089"


def default_endpoint() -> str:
    return os.environ.get("GRAVEN_ENDPOINT", DEFAULT_ENDPOINT)


@dataclass(frozen=True)
class Registered:
    """One entity of a registration and whether this call created it."""

    id: idl.Identifier
    created: bool


class Remote(LineageCalls, CacheCalls, SignalCalls, TokenCalls, ScheduleCalls):
    """A connection to one control plane; lineage, cache, signal and token calls come from
    the mixins."""

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        home: Path | None = None,
        ca: Path | None = None,
    ) -> None:
        """``token``: the bearer token; default GRAVEN_TOKEN, else the token file of ``home``
        (default GRAVEN_HOME, else ~/.graven). ``ca``: the CA of a control plane serving TLS
        (default GRAVEN_CA). See graven.channels."""
        self.endpoint = endpoint or default_endpoint()
        self._channel = open_channel(self.endpoint, resolve_token(token, home), ca=ca)
        self.registry = RegistryServiceStub(self._channel)
        self.executions = ExecutionServiceStub(self._channel)
        self.lineage_service = LineageServiceStub(self._channel)
        self.cache_service = CacheServiceStub(self._channel)
        self.signal_service = SignalServiceStub(self._channel)
        self.token_service = TokenServiceStub(self._channel)
        self.schedule_service = ScheduleServiceStub(self._channel)
        self.notification_service = NotificationServiceStub(self._channel)
        self.blobs = RemoteBlobs(self.lineage_service)

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
        """Register every task, workflow and launch plan found under ``path``, all or none.

        The code bundle is uploaded only when the control plane does not hold it yet; the
        entities go in one Register call, which stores them in one transaction.
        """
        from graven.loader import load_project

        return self.register_project(load_project(path), project, domain, version)

    def register_project(
        self,
        loaded: Project,
        project: str = "default",
        domain: str = "development",
        version: str | None = None,
    ) -> list[Registered]:
        """``register`` of a project loaded already."""
        from graven.bundle import build_bundle
        from graven.serialize import registration_plan

        bundle = build_bundle(loaded.root)
        self.upload_bundle(bundle.digest, bundle.data)
        plan = registration_plan(loaded, project, domain, bundle.digest, version)
        request = reg.RegisterRequest(entries=[_entry(entity_id, spec) for entity_id, spec in plan])
        return [Registered(e.id, e.created) for e in self.registry.Register(request).entities]

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
        request = reg.ListNamesRequest(
            resource_type=kind, project=project, domain=domain, name_prefix=name_prefix
        )
        return pages(self.registry.ListNames, request, "entities")

    def list_versions(
        self, kind: idl.ResourceType, project: str, domain: str, name: str
    ) -> Iterator[reg.EntityVersion]:
        request = reg.ListVersionsRequest(
            resource_type=kind, project=project, domain=domain, name=name
        )
        return pages(self.registry.ListVersions, request, "versions")

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

    # Executions

    def launch(
        self,
        workflow: str,
        inputs: Mapping[str, object] | None = None,
        *,
        project: str = "default",
        domain: str = "development",
        version: str = "",
        launch_plan: bool = False,
        name: str = "",
        overwrite_cache: bool = False,
    ) -> ex.Execution:
        """Launch a registered workflow (or launch plan) by name; an empty version is the latest.

        Input values may be Literals; for a file or folder input, a ``graven.File``, a
        ``graven.Directory`` or a local path (uploaded unless the store holds the content);
        or anything ``graven.literals.from_json_value`` reads: JSON values, or strings as
        typed on a command line.
        """
        kind = idl.RESOURCE_TYPE_LAUNCH_PLAN if launch_plan else idl.RESOURCE_TYPE_WORKFLOW
        target = idl.Identifier(
            resource_type=kind, project=project, domain=domain, name=workflow, version=version
        )
        inputs = inputs or {}
        # Only values still to be typed need the interface (a Get of the whole workflow).
        typed = all(isinstance(value, lit.Literal) for value in inputs.values())
        types = {} if typed else {v.name: v.type for v in self.launch_interface(target).inputs}
        literals = lit.LiteralMap()
        for key, value in inputs.items():
            if isinstance(value, lit.Literal):
                literals.literals[key].CopyFrom(value)
                continue
            if key not in types:
                known = ", ".join(sorted(types)) or "none"
                raise GravenValueError(f"{workflow} has no input {key!r} (inputs: {known})")
            try:
                literal = self._input_literal(value, types[key])
            except (GravenValueError, GravenTypeError) as error:
                raise located(f"{workflow}: input {key!r}", error) from None
            literals.literals[key].CopyFrom(literal)
        request = exs.CreateExecutionRequest(
            project=project,
            domain=domain,
            name=name,
            inputs=literals,
            overwrite_cache=overwrite_cache,
        )
        (request.launch_plan_id if launch_plan else request.workflow_id).CopyFrom(target)
        return self.executions.CreateExecution(request).execution

    def _input_literal(self, value: object, literal_type: LiteralType) -> lit.Literal:
        """A file or folder input (a File, a Directory or a local path) is uploaded and named
        by its content; any other value is read as JSON."""
        kind = _file_kind(literal_type.blob) if literal_type.HasField("blob") else None
        if kind is None or not isinstance(value, File | Directory | str | os.PathLike):
            return from_json_value(value, literal_type)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return from_json_value(value, literal_type)  # content stored before: {sha256, size}
        local = value if isinstance(value, File | Directory) else kind(value)
        exists = local.path.is_dir() if kind is Directory else local.path.is_file()
        if not exists:
            noun = "folder" if kind is Directory else "file"
            raise GravenValueError(f"{os.fspath(local.path)}: no such {noun}")
        return to_literal(local, kind, self.blobs)

    def launch_interface(self, target: idl.Identifier) -> TypedInterface:
        """The inputs a launch of ``target`` (a workflow or launch plan id) accepts."""
        entity = self.get(target)
        if isinstance(entity, launch_plan_pb2.LaunchPlan):
            return entity.closure.expected_interface
        assert isinstance(entity, workflow_pb2.Workflow)
        return entity.spec.template.interface

    def execution(self, execution_id: idl.ExecutionIdentifier) -> ex.Execution:
        return self.executions.GetExecution(exs.GetExecutionRequest(id=execution_id)).execution

    def notification_deliveries(
        self, execution_id: idl.ExecutionIdentifier
    ) -> list[nt.NotificationDelivery]:
        """What the execution's notifications delivered, each with its attempts."""
        request = nts.ListNotificationDeliveriesRequest(execution_id=execution_id)
        return list(self.notification_service.ListNotificationDeliveries(request).deliveries)

    def list_executions(
        self,
        project: str,
        domain: str,
        *,
        workflow_name: str = "",
        workflow_version: str = "",
        phases: Sequence[ex.ExecutionPhase] = (),
    ) -> Iterator[ex.Execution]:
        """Executions newest first, across as many pages as the caller reads."""
        request = exs.ListExecutionsRequest(
            project=project,
            domain=domain,
            workflow_name=workflow_name,
            workflow_version=workflow_version,
            phases=phases,
        )
        return pages(self.executions.ListExecutions, request, "executions")

    def node_executions(self, execution_id: idl.ExecutionIdentifier) -> list[ex.NodeExecution]:
        request = exs.ListNodeExecutionsRequest(execution_id=execution_id)
        return list(pages(self.executions.ListNodeExecutions, request, "node_executions"))

    def watch(self, execution_id: idl.ExecutionIdentifier) -> Iterator[exs.WatchExecutionResponse]:
        """The current state, then every change, until the execution is terminal."""
        yield from self.executions.WatchExecution(exs.WatchExecutionRequest(id=execution_id))

    def wait(self, execution_id: idl.ExecutionIdentifier) -> ex.Execution:
        """Block until the execution is terminal and return it."""
        last = self.execution(execution_id)
        for update in self.watch(execution_id):
            last = update.execution
        return last

    def data(self, execution_id: idl.ExecutionIdentifier) -> exs.GetExecutionDataResponse:
        return self.executions.GetExecutionData(exs.GetExecutionDataRequest(id=execution_id))

    def outputs(self, execution_id: idl.ExecutionIdentifier) -> dict[str, object]:
        """The outputs of a succeeded execution as JSON-compatible values."""
        literals = self.data(execution_id).outputs.literals
        return {name: to_json_value(value) for name, value in sorted(literals.items())}

    def output_values(
        self, execution_id: idl.ExecutionIdentifier, types: Mapping[str, object] | None = None
    ) -> dict[str, object]:
        """The outputs of a succeeded execution as Python values: each of the type ``types``
        names, a file or directory otherwise as a ``File``/``Directory`` downloaded through
        the control plane (into the local blob cache), anything else as its JSON value."""
        literals = self.data(execution_id).outputs.literals
        types = types or {}
        unknown = sorted(set(types) - set(literals))
        if unknown:
            raise GravenValueError(f"the execution has no outputs {unknown}")
        values: dict[str, object] = {}
        for name, literal in sorted(literals.items()):
            tp = types.get(name)
            if tp is None and literal.HasField("blob"):
                tp = _file_kind(literal.blob.type)
            if tp is None:
                values[name] = to_json_value(literal)
            else:
                values[name] = to_python(literal, tp, self.blobs)
        return values

    def terminate(self, execution_id: idl.ExecutionIdentifier, reason: str = "") -> ex.Execution:
        request = exs.TerminateExecutionRequest(id=execution_id, reason=reason)
        return self.executions.TerminateExecution(request).execution

    def relaunch(
        self,
        execution_id: idl.ExecutionIdentifier,
        *,
        version: str = "",
        latest: bool = False,
        overwrite_cache: bool = False,
    ) -> ex.Execution:
        """Run the source's inputs again: on its own version, another version, or the latest."""
        request = exs.RelaunchExecutionRequest(id=execution_id, overwrite_cache=overwrite_cache)
        if latest:
            request.latest = True
        elif version:
            request.workflow_version = version
        return self.executions.RelaunchExecution(request).execution

    def recover(self, execution_id: idl.ExecutionIdentifier) -> ex.Execution:
        """Re-run a failed execution, taking over the outputs of every node that succeeded."""
        request = exs.RecoverExecutionRequest(id=execution_id)
        return self.executions.RecoverExecution(request).execution


def _file_kind(blob_type: BlobType) -> type[File] | type[Directory] | None:
    """The Python type a plain blob converts to; None for a table or a pickle, which need the
    type they were made from."""
    if blob_type.format in (PICKLE_FORMAT, PARQUET_FORMAT):
        return None
    return Directory if blob_type.dimensionality == BLOB_DIMENSIONALITY_MULTIPART else File


def _entry(entity_id: idl.Identifier, spec: Spec) -> reg.RegistrationEntry:
    if isinstance(spec, task_pb2.TaskSpec):
        return reg.RegistrationEntry(task=reg.CreateTaskRequest(id=entity_id, spec=spec))
    if isinstance(spec, workflow_pb2.WorkflowSpec):
        return reg.RegistrationEntry(workflow=reg.CreateWorkflowRequest(id=entity_id, spec=spec))
    return reg.RegistrationEntry(launch_plan=reg.CreateLaunchPlanRequest(id=entity_id, spec=spec))
