"""A control plane of a test module's own, specs built by hand as protos, and the agent's side
of the protocol played by hand: claim an execution, report node events (with nested ids and
parent ids, as the data plane reports them), wait for signals as a gate does.

Claims are global (the oldest queued execution of any project), so a module that claims gets
a control plane of its own; starting one takes milliseconds.
"""

from __future__ import annotations

import dataclasses
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import grpc
from auth_support import agent_channel, agent_token, authorized_channel, remember
from google.protobuf.duration_pb2 import Duration

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.digests import sha256_hex
from graven.literals import collection_literal, int_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as es
from graven.v1 import identifier_pb2 as idl
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import signal_pb2 as sig
from graven.v1 import workflow_pb2 as wf
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.task_pb2 import CodeReference, TaskMetadata, TaskSpec, TaskTemplate
from graven.v1.types_pb2 import (
    SIMPLE_TYPE_BOOLEAN,
    SIMPLE_TYPE_INTEGER,
    SIMPLE_TYPE_STRING,
    LiteralType,
)

DOMAIN = "dev"
VERSION = "v1"
WAIT = 10.0  # seconds: a deadline for anything that should happen at once
LEASE_SECONDS = 3600.0
INT = LiteralType(simple=SIMPLE_TYPE_INTEGER)
STR = LiteralType(simple=SIMPLE_TYPE_STRING)
BOOL = LiteralType(simple=SIMPLE_TYPE_BOOLEAN)


def ident(kind: idl.ResourceType, name: str, project: str = "p") -> idl.Identifier:
    return idl.Identifier(
        resource_type=kind, project=project, domain=DOMAIN, name=name, version=VERSION
    )


def task_spec(
    inputs: Sequence[tuple[str, LiteralType]], outputs: Sequence[tuple[str, LiteralType]]
) -> TaskSpec:
    return TaskSpec(
        template=TaskTemplate(
            interface=TypedInterface(
                inputs=[Variable(name=n, type=t) for n, t in inputs],
                outputs=[Variable(name=n, type=t) for n, t in outputs],
            ),
            code=CodeReference(
                bundle_digest=sha256_hex(b"a bundle"),
                module="tasks",
                function="run",
                code_digest=sha256_hex(b"run"),
            ),
            metadata=TaskMetadata(graven_version="test"),
        )
    )


def node_event(
    execution_id: idl.ExecutionIdentifier,
    node_id: str,
    phase: ex.NodePhase,
    *,
    parent: str = "",
    attempt: int = 1,
    task_id: idl.Identifier | None = None,
) -> ex.Event:
    event = ex.NodeEvent(
        id=idl.NodeExecutionIdentifier(execution_id=execution_id, node_id=node_id),
        phase=phase,
        attempt=attempt,
        parent_node_id=parent,
        task_id=task_id,
    )
    event.occurred_at.GetCurrentTime()
    return ex.Event(node=event)


class FakeAgent:
    def __init__(self, client: PlaneClient, agent_id: str) -> None:
        self.client = client
        self.agent_id = agent_id

    def report(self, *events: ex.Event) -> None:
        request = ag.ReportEventsRequest(agent_id=self.agent_id, events=events)
        self.client.agents.ReportEvents(request, timeout=WAIT)

    def wait_signals(
        self,
        execution_id: idl.ExecutionIdentifier,
        *waits: tuple[str, str, LiteralType, datetime | None],
    ) -> list[sig.Signal]:
        """What a gate asks each time it looks: (node id, signal id, type, deadline) each;
        the first ask creates the signal, waiting."""
        request = ag.WaitSignalsRequest(agent_id=self.agent_id)
        for node_id, signal_id, literal_type, deadline in waits:
            wait = request.waits.add(
                id=sig.SignalIdentifier(execution_id=execution_id, signal_id=signal_id),
                type=literal_type,
                node_id=node_id,
            )
            if deadline is not None:
                wait.deadline.FromDatetime(deadline)
        return list(self.client.agents.WaitSignals(request, timeout=WAIT).signals)


class PlaneClient:
    """Stubs of a running control plane, and a project of the client's own on it."""

    def __init__(self, plane: ControlPlane, channel: grpc.Channel) -> None:
        self.plane = plane
        self.endpoint = plane.grpc_address
        self.registry = RegistryServiceStub(channel)
        self.executions = ExecutionServiceStub(channel)
        self.agent_channel = agent_channel(plane)
        self.agents = AgentServiceStub(self.agent_channel)
        self.project = f"cli-{uuid.uuid4().hex[:10]}"

    def id(self, kind: idl.ResourceType, name: str) -> idl.Identifier:
        return ident(kind, name, self.project)

    def register_task(
        self,
        name: str,
        inputs: Sequence[tuple[str, LiteralType]],
        outputs: Sequence[tuple[str, LiteralType]],
    ) -> idl.Identifier:
        task_id = self.id(idl.RESOURCE_TYPE_TASK, name)
        request = rs.CreateTaskRequest(id=task_id, spec=task_spec(inputs, outputs))
        self.registry.CreateTask(request, timeout=WAIT)
        return task_id

    def register_workflow(
        self, name: str, interface: TypedInterface, nodes: Sequence[wf.Node]
    ) -> idl.Identifier:
        workflow_id = self.id(idl.RESOURCE_TYPE_WORKFLOW, name)
        spec = wf.WorkflowSpec(template=wf.WorkflowTemplate(interface=interface, nodes=nodes))
        request = rs.CreateWorkflowRequest(id=workflow_id, spec=spec)
        self.registry.CreateWorkflow(request, timeout=WAIT)
        return workflow_id

    @staticmethod
    def task_node(node_id: str, task_id: idl.Identifier, **inputs: wf.BindingData) -> wf.Node:
        return wf.Node(
            id=node_id,
            task_node=wf.TaskNode(task_id=task_id),
            inputs=[wf.Binding(name=name, binding=data) for name, data in inputs.items()],
        )

    @staticmethod
    def int_literal(value: int) -> Literal:
        return int_literal(value)

    @staticmethod
    def int_list(values: Sequence[int]) -> Literal:
        return collection_literal(int_literal(v) for v in values)

    @staticmethod
    def list_of(item: LiteralType) -> LiteralType:
        return LiteralType(collection_type=item)

    def launch(self, workflow_id: idl.Identifier, **inputs: Literal) -> ex.Execution:
        request = es.CreateExecutionRequest(
            project=self.project,
            domain=DOMAIN,
            workflow_id=workflow_id,
            inputs=LiteralMap(literals=inputs),
        )
        return self.executions.CreateExecution(request, timeout=WAIT).execution

    def claim(self, execution_id: idl.ExecutionIdentifier) -> FakeAgent:
        """Claim the execution just launched (the module's plane holds no other queued one)."""
        agent = FakeAgent(self, f"agent-{uuid.uuid4().hex[:8]}")
        wait_for = Duration(seconds=int(WAIT))
        request = ag.ClaimExecutionRequest(agent_id=agent.agent_id, wait_for=wait_for)
        claimed = self.agents.ClaimExecution(request, timeout=2 * WAIT)
        assert claimed.execution.id == execution_id, claimed.execution.id
        return agent


@contextmanager
def private_plane(home: Path) -> Iterator[PlaneClient]:
    # A fake agent does not heartbeat: a lease that outlasts the module keeps each claimed
    # execution with its claimer, so the next claim finds the one just launched.
    settings = dataclasses.replace(
        Settings.for_home(home, grpc_port=0), lease_seconds=LEASE_SECONDS
    )
    with ControlPlane(settings) as plane:
        channel = authorized_channel(remember(plane))
        client = PlaneClient(plane, channel)
        try:
            yield client
        finally:
            client.agent_channel.close()
            channel.close()


@contextmanager
def agent_stack(home: Path, ray_address: str) -> Iterator[PlaneClient]:
    """A control plane of its own with a real agent on the session's Ray: executions run."""
    from graven.data_plane.agent import Agent

    with private_plane(home) as client:
        agent = Agent(client.endpoint, ray_address, claim_wait=1.0, token=agent_token(client.plane))
        thread = threading.Thread(target=agent.run, name="cli-agent", daemon=True)
        thread.start()
        try:
            assert agent.ready.wait(60), "the agent did not start"
            yield client
        finally:
            agent.stop()
            thread.join(30)
            assert not thread.is_alive(), "the agent did not stop"


def write_package(root: Path, name: str, source: str) -> Path:
    """A user's package ``root/name`` whose module ``flows`` holds ``source``; its path."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "flows.py").write_text(textwrap.dedent(source))
    return folder


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
