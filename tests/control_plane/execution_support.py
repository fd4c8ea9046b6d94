"""A private control plane per test, a registered workflow, and an agent played by hand.

Claims are global (the oldest queued execution of any project), so tests that claim get a
control plane of their own: starting one takes a few milliseconds.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import grpc
from auth_support import agent_channel, authorized_channel, remember
from cp_support import (
    DOMAIN,
    INT,
    STR,
    from_input,
    node,
    promise,
    task_id,
    task_spec,
    unique,
    var,
    workflow_id,
    workflow_spec,
)
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.literals import int_literal, string_literal
from graven.store import layout
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import registry_service_pb2 as rs
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier, NodeExecutionIdentifier
from graven.v1.interface_pb2 import Variable
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.workflow_pb2 import Workflow

# The nodes of the test workflow, in topological order: inc1 -> inc2 -> fmt.
NODES = ("inc1", "inc2", "fmt")
WAIT = 10.0  # seconds: a deadline for anything that should happen at once


class Harness:
    """A running control plane with stubs of its three services."""

    def __init__(self, plane: ControlPlane, channel: grpc.Channel) -> None:
        """``channel`` is a user's (the plane's admin); the agent stub speaks as its agent."""
        self.plane = plane
        self.registry = RegistryServiceStub(channel)
        self.executions = ExecutionServiceStub(channel)
        self.agent_channel = agent_channel(plane)
        self.agents = AgentServiceStub(self.agent_channel)
        self.project = unique("p")

    def register(
        self, name: str = "", version: str = "v1", inputs: Sequence[Variable] | None = None
    ) -> Workflow:
        """Register the test workflow ``wf(x: int, s: str = "hi") -> str``: inc1 = inc(x),
        inc2 = inc(inc1), fmt = fmt(inc2, s). With ``inputs``, a variant of one node that
        takes exactly those inputs instead."""
        name = name or unique("wf")
        identifier = workflow_id(name, version, project=self.project)
        if inputs is not None:
            sink = task_id("sink", version=version, project=self.project)
            self.registry.CreateTask(rs.CreateTaskRequest(id=sink, spec=task_spec(inputs)))
            bindings = {v.name: from_input(v.name) for v in inputs}
            spec = workflow_spec([node("sink", sink, **bindings)], inputs=inputs)
            request = rs.CreateWorkflowRequest(id=identifier, spec=spec)
            return self.registry.CreateWorkflow(request).workflow
        inc = task_id("inc", project=self.project)
        fmt = task_id("fmt", project=self.project)
        self.registry.CreateTask(
            rs.CreateTaskRequest(
                id=inc, spec=task_spec([var("x", INT)], [var("o", INT)], function="inc")
            )
        )
        self.registry.CreateTask(
            rs.CreateTaskRequest(
                id=fmt,
                spec=task_spec([var("x", INT), var("s", STR)], [var("o", STR)], function="fmt"),
            )
        )
        spec = workflow_spec(
            [
                node("inc1", inc, x=from_input("x")),
                node("inc2", inc, x=promise("inc1", "o")),
                node("fmt", fmt, x=promise("inc2", "o"), s=from_input("s")),
            ],
            inputs=[var("x", INT), var("s", STR, default=string_literal("hi"))],
            outputs=[(var("out", STR), promise("fmt", "o"))],
        )
        request = rs.CreateWorkflowRequest(id=identifier, spec=spec)
        return self.registry.CreateWorkflow(request).workflow

    def create(self, workflow: Identifier, name: str = "", **inputs: Literal) -> pb.Execution:
        return self.executions.CreateExecution(
            es.CreateExecutionRequest(
                project=self.project,
                domain=DOMAIN,
                name=name,
                workflow_id=workflow,
                inputs=LiteralMap(literals=inputs),
            )
        ).execution

    def get(self, execution_id: ExecutionIdentifier) -> pb.Execution:
        return self.executions.GetExecution(es.GetExecutionRequest(id=execution_id)).execution

    def nodes(self, execution_id: ExecutionIdentifier) -> list[pb.NodeExecution]:
        request = es.ListNodeExecutionsRequest(execution_id=execution_id)
        return list(self.executions.ListNodeExecutions(request).node_executions)

    def agent(self, name: str = "") -> FakeAgent:
        return FakeAgent(self, name or unique("agent"))

    def outputs(self, execution_id: ExecutionIdentifier, node_id: str, value: Literal) -> str:
        """Store a node's (or, with node_id "", the execution's) outputs as a worker would;
        their uri."""
        key = (
            layout.node_outputs_key(execution_id, node_id)
            if node_id
            else layout.execution_outputs_key(execution_id)
        )
        data = LiteralMap(literals={"o" if node_id else "out": value})
        self.plane.store.put_bytes(key, data.SerializeToString(deterministic=True))
        return self.plane.store.uri(key)


class FakeAgent:
    """The data plane's side of the protocol, one call at a time."""

    def __init__(self, harness: Harness, agent_id: str) -> None:
        self.harness = harness
        self.agent_id = agent_id

    def claim(self, wait: float = 0.0) -> ag.ClaimExecutionResponse:
        wait_for = Duration()
        wait_for.FromNanoseconds(int(wait * 1e9))
        return self.harness.agents.ClaimExecution(
            ag.ClaimExecutionRequest(agent_id=self.agent_id, wait_for=wait_for),
            timeout=wait + WAIT,
        )

    def heartbeat(self, *ids: ExecutionIdentifier) -> ag.HeartbeatResponse:
        return self.harness.agents.Heartbeat(
            ag.HeartbeatRequest(agent_id=self.agent_id, execution_ids=ids)
        )

    def report(self, *events: pb.Event) -> None:
        self.harness.agents.ReportEvents(
            ag.ReportEventsRequest(agent_id=self.agent_id, events=events)
        )

    def run(self, execution_id: ExecutionIdentifier, x: int) -> None:
        """Run every node to success, one event per call, then the execution."""
        values = {"inc1": int_literal(x + 1), "inc2": int_literal(x + 2)}
        values["fmt"] = string_literal(f"{x + 2}")
        for node_id in NODES:
            self.report(node_event(execution_id, node_id, pb.NODE_PHASE_RUNNING))
            uri = self.harness.outputs(execution_id, node_id, values[node_id])
            self.report(node_event(execution_id, node_id, pb.NODE_PHASE_SUCCEEDED, outputs_uri=uri))
        uri = self.harness.outputs(execution_id, "", values["fmt"])
        self.report(execution_event(execution_id, pb.EXECUTION_PHASE_SUCCEEDED, outputs_uri=uri))


def node_event(
    execution_id: ExecutionIdentifier,
    node_id: str,
    phase: pb.NodePhase,
    attempt: int = 1,
    at: int = 0,
    **fields: object,
) -> pb.Event:
    """A node event; ``at`` (seconds since the epoch) sets occurred_at when not 0."""
    event = pb.NodeEvent(
        id=NodeExecutionIdentifier(execution_id=execution_id, node_id=node_id),
        phase=phase,
        attempt=attempt,
        **fields,  # type: ignore[arg-type]
    )
    if at:
        event.occurred_at.CopyFrom(Timestamp(seconds=at))
    return pb.Event(node=event)


def execution_event(
    execution_id: ExecutionIdentifier, phase: pb.ExecutionPhase, **fields: object
) -> pb.Event:
    return pb.Event(execution=pb.ExecutionEvent(id=execution_id, phase=phase, **fields))  # type: ignore[arg-type]


@contextmanager
def private_plane(home: Path, db_url: str, **settings: float) -> Iterator[Harness]:
    """A control plane of one's own; ``settings`` override Settings fields (lease_seconds)."""
    config = dataclasses.replace(Settings.for_home(home, db_url=db_url, grpc_port=0), **settings)
    with ControlPlane(config) as plane:
        channel = authorized_channel(remember(plane))
        harness = Harness(plane, channel)
        try:
            yield harness
        finally:
            harness.agent_channel.close()
            channel.close()


def phases(nodes: Sequence[pb.NodeExecution]) -> dict[str, int]:
    return {n.id.node_id: n.phase for n in nodes}


class Watcher:
    """Reads a WatchExecution stream on a thread, so a test can take each message in turn."""

    def __init__(self, harness: Harness, execution_id: ExecutionIdentifier) -> None:
        self.call = harness.executions.WatchExecution(es.WatchExecutionRequest(id=execution_id))
        self.messages: queue.Queue[es.WatchExecutionResponse | BaseException | None] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for message in self.call:
                self.messages.put(message)
            self.messages.put(None)
        except grpc.RpcError as error:
            self.messages.put(error)

    def next(self) -> es.WatchExecutionResponse | None:
        """The next message; None once the stream has ended."""
        item = self.messages.get(timeout=WAIT)
        if isinstance(item, BaseException):
            raise item
        return item
