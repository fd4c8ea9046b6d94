"""What the authorization tests share: tokens made through TokenService, a client per token
(stubs of every service on a channel carrying it) and a one-task workflow to register and
launch in a project of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import grpc
from auth_support import admin_token

from graven.channels import open_channel
from graven.control_plane.app import ControlPlane
from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.v1 import agent_service_pb2_grpc as ag_grpc
from graven.v1 import cache_service_pb2_grpc as cs_grpc
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as es
from graven.v1 import execution_service_pb2_grpc as es_grpc
from graven.v1 import identifier_pb2 as idl
from graven.v1 import lineage_service_pb2_grpc as ls_grpc
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import registry_service_pb2_grpc as rs_grpc
from graven.v1 import signal_service_pb2_grpc as ss_grpc
from graven.v1 import token_service_pb2 as tk
from graven.v1 import token_service_pb2_grpc as tk_grpc
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.task_pb2 import CodeReference, TaskMetadata, TaskSpec, TaskTemplate
from graven.v1.types_pb2 import SIMPLE_TYPE_INTEGER, LiteralType
from graven.v1.workflow_pb2 import (
    Binding,
    BindingData,
    Node,
    OutputReference,
    TaskNode,
    WorkflowSpec,
    WorkflowTemplate,
)

DOMAIN = "dev"
WAIT = 10.0
INT = LiteralType(simple=SIMPLE_TYPE_INTEGER)
ROLES = {
    "viewer": tk.TOKEN_ROLE_VIEWER,
    "launcher": tk.TOKEN_ROLE_LAUNCHER,
    "registrar": tk.TOKEN_ROLE_REGISTRAR,
    "admin": tk.TOKEN_ROLE_ADMIN,
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Client:
    """Stubs of every service, calling with one token (or none)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.registry = rs_grpc.RegistryServiceStub(channel)
        self.executions = es_grpc.ExecutionServiceStub(channel)
        self.agents = ag_grpc.AgentServiceStub(channel)
        self.lineage = ls_grpc.LineageServiceStub(channel)
        self.cache = cs_grpc.CacheServiceStub(channel)
        self.signals = ss_grpc.SignalServiceStub(channel)
        self.tokens = tk_grpc.TokenServiceStub(channel)


@contextmanager
def client(plane: ControlPlane, token: str | None) -> Iterator[Client]:
    channel = open_channel(plane.grpc_address, token)
    try:
        yield Client(channel)
    finally:
        channel.close()


def create_token(
    plane: ControlPlane,
    role: str,
    scopes: Sequence[tuple[str, str]],
    *,
    agent: bool = False,
    name: str = "",
) -> tuple[str, str]:
    """A new token made by the plane's admin: (name, secret)."""
    name = name or unique("t")
    request = tk.CreateTokenRequest(
        name=name,
        kind=tk.TOKEN_KIND_AGENT if agent else tk.TOKEN_KIND_USER,
        role=ROLES[role],
        scopes=[tk.TokenScope(project=p, domain=d) for p, d in scopes],
    )
    with client(plane, admin_token(plane)) as admin:
        created = admin.tokens.CreateToken(request, timeout=WAIT)
    return name, created.secret


def identifier(kind: int, project: str, name: str, version: str) -> idl.Identifier:
    return idl.Identifier(
        resource_type=kind,  # type: ignore[arg-type]
        project=project,
        domain=DOMAIN,
        name=name,
        version=version,
    )


def registration(project: str, name: str, version: str) -> rs.RegisterRequest:
    """A task ``<name>.t`` and a workflow ``<name>`` running it once on its input x."""
    task = identifier(idl.RESOURCE_TYPE_TASK, project, f"{name}.t", version)
    interface = TypedInterface(
        inputs=[Variable(name="x", type=INT)], outputs=[Variable(name="o", type=INT)]
    )
    spec = TaskSpec(
        template=TaskTemplate(
            interface=interface,
            code=CodeReference(
                bundle_digest=sha256_hex(b"auth tests"),
                module="tasks",
                function=f"run_{version}",
                code_digest=sha256_hex(version.encode()),
            ),
            metadata=TaskMetadata(graven_version="test"),
        )
    )
    workflow = WorkflowSpec(
        template=WorkflowTemplate(
            interface=interface,
            nodes=[
                Node(
                    id="n",
                    task_node=TaskNode(task_id=task),
                    inputs=[Binding(name="x", binding=BindingData(workflow_input="x"))],
                )
            ],
            outputs=[
                Binding(
                    name="o",
                    binding=BindingData(promise=OutputReference(node_id="n", output_name="o")),
                )
            ],
        )
    )
    return rs.RegisterRequest(
        entries=[
            rs.RegistrationEntry(task=rs.CreateTaskRequest(id=task, spec=spec)),
            rs.RegistrationEntry(
                workflow=rs.CreateWorkflowRequest(
                    id=identifier(idl.RESOURCE_TYPE_WORKFLOW, project, name, version),
                    spec=workflow,
                )
            ),
        ]
    )


def workflow_of(project: str, name: str, version: str = "") -> idl.Identifier:
    return identifier(idl.RESOURCE_TYPE_WORKFLOW, project, name, version)


def launch(executions: es_grpc.ExecutionServiceStub, workflow: idl.Identifier) -> ex.Execution:
    request = es.CreateExecutionRequest(
        project=workflow.project,
        domain=workflow.domain,
        workflow_id=workflow,
        inputs=LiteralMap(literals={"x": int_literal(1)}),
    )
    return executions.CreateExecution(request, timeout=WAIT).execution


class Project:
    """A project of the test's own on the plane, with a workflow registered (by the admin)."""

    def __init__(self, plane: ControlPlane, prefix: str = "p") -> None:
        self.plane = plane
        self.name = unique(prefix)
        self.workflow = "wf"
        with client(plane, admin_token(plane)) as admin:
            admin.registry.Register(registration(self.name, self.workflow, "v1"), timeout=WAIT)

    def workflow_id(self, version: str = "v1") -> idl.Identifier:
        return workflow_of(self.name, self.workflow, version)

    def launch(self) -> ex.Execution:
        with client(self.plane, admin_token(self.plane)) as admin:
            return launch(admin.executions, self.workflow_id())
