"""Executions run by hand as the data plane runs them for lineage and caching: every output an
artifact in the store with its lineage record beside it, the records sent in the node's
SUCCEEDED event, cached nodes reserving their keys first.

The workflow is execution_support's ``wf(x: int, s: str = "hi") -> str``: inc1 = inc(x),
inc2 = inc(inc1), fmt = fmt(inc2, s).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from auth_support import authorized_channel
from cp_support import DOMAIN, task_id
from execution_support import WAIT, FakeAgent, Harness, execution_event, node_event, private_plane
from google.protobuf.timestamp_pb2 import Timestamp

from graven.artifacts import artifact_bytes, put_artifact, read_artifact
from graven.control_plane.app import ControlPlane
from graven.digests import message_digest, sha256_hex
from graven.literals import int_literal, string_literal
from graven.store.layout import lineage_key
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.cache_pb2 import CacheKeyComponents
from graven.v1.cache_service_pb2_grpc import CacheServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier, NodeExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import SIMPLE_TYPE_INTEGER, SIMPLE_TYPE_STRING, LiteralType

INT = LiteralType(simple=SIMPLE_TYPE_INTEGER)
STR = LiteralType(simple=SIMPLE_TYPE_STRING)
# node id -> (task name, output type), in topological order.
NODE_TASKS = {"inc1": ("inc", INT), "inc2": ("inc", INT), "fmt": ("fmt", STR)}


class LineageHarness(Harness):
    """A private control plane with stubs of every service."""

    def __init__(self, plane: ControlPlane, channel: grpc.Channel) -> None:
        super().__init__(plane, channel)
        self.lineage = LineageServiceStub(channel)
        self.cache = CacheServiceStub(channel)
        self.store = plane.store

    def run(self, workflow: Identifier, x: int, s: str = "hi", **options: object) -> Run:
        """Create an execution, claim it with a new agent and run every node to success."""
        execution = self.create(workflow, x=int_literal(x), s=string_literal(s))
        run = self.start(execution)
        run.run_all(**options)  # type: ignore[arg-type]
        return run

    def start(self, execution: pb.Execution, agent: FakeAgent | None = None) -> Run:
        agent = agent or self.agent()
        claimed = agent.claim()
        assert claimed.execution.id == execution.id, "another execution was queued"
        inputs = self.executions.GetExecutionData(es.GetExecutionDataRequest(id=execution.id))
        return Run(self, agent, claimed.execution, dict(inputs.inputs.literals))

    def artifact(self, artifact_hash: str) -> ls.GetArtifactResponse:
        return self.lineage.GetArtifact(ls.GetArtifactRequest(hash=artifact_hash))

    def graph(
        self,
        subject: str | ExecutionIdentifier,
        direction: int = ls.LINEAGE_DIRECTION_UPSTREAM,
        depth: int = 0,
    ) -> ls.GetLineageResponse:
        request = ls.GetLineageRequest(direction=direction, depth=depth)  # type: ignore[arg-type]
        if isinstance(subject, str):
            request.artifact_hash = subject
        else:
            request.execution_id.CopyFrom(subject)
        return self.lineage.GetLineage(request)


@dataclass
class Run:
    """One claimed execution, run node by node."""

    harness: LineageHarness
    agent: FakeAgent
    execution: pb.Execution
    inputs: dict[str, Literal]
    outputs: dict[str, Literal] = field(default_factory=dict)
    records: dict[str, list[LineageRecord]] = field(default_factory=dict)

    @property
    def id(self) -> ExecutionIdentifier:
        return self.execution.id

    def node_inputs(self, node_id: str) -> dict[str, Literal]:
        if node_id == "inc1":
            return {"x": self.inputs["x"]}
        if node_id == "inc2":
            return {"x": self.outputs["inc1"]}
        return {"x": self.outputs["inc2"], "s": self.inputs["s"]}

    def value(self, node_id: str, inputs: Mapping[str, Literal]) -> Literal:
        if node_id == "fmt":
            s, x = inputs["s"].primitive.string_value, inputs["x"].primitive.integer
            return string_literal(f"{s}:{x}")
        return int_literal(inputs["x"].primitive.integer + 1)

    def components(self, node_id: str, code: str = "") -> CacheKeyComponents:
        task_name, _ = NODE_TASKS[node_id]
        return CacheKeyComponents(
            task=Identifier(project=self.harness.project, domain=DOMAIN, name=task_name),
            interface_digest=sha256_hex(f"interface of {task_name}".encode()),
            code_digest=code or code_digest(task_name),
            inputs={name: literal.hash for name, literal in self.node_inputs(node_id).items()},
        )

    def reserve(self, *node_ids: str, overwrite: bool = False) -> list[ag.CacheAnswer]:
        """Ask for the keys of these nodes, computed from their inputs."""
        keys = [(node_id, message_digest(self.components(node_id))) for node_id in node_ids]
        return self.ask(keys, overwrite=overwrite)

    def ask(self, keys: Iterable[tuple[str, str]], overwrite: bool = False) -> list[ag.CacheAnswer]:
        """Ask for (node id, key) pairs as given."""
        request = ag.ReserveCacheRequest(
            agent_id=self.agent.agent_id,
            execution_id=self.id,
            requests=[ag.CacheRequest(node_id=node_id, key=key) for node_id, key in keys],
            overwrite=overwrite,
        )
        return list(self.harness.agents.ReserveCache(request).answers)

    def succeed(
        self,
        node_id: str,
        *,
        cached: bool = False,
        status: int = 0,
        code: str = "",
        output: Literal | None = None,
        hit: ag.CacheAnswer | None = None,
    ) -> list[LineageRecord]:
        """Run (or, given a HIT answer, reuse) a node as a worker does: its output stored as
        an artifact with its record beside it, then its events."""
        inputs = self.node_inputs(node_id)
        task_name, output_type = NODE_TASKS[node_id]
        if hit is not None:
            output = read_artifact(self.harness.store, hit.entry.outputs["o"])
        value = output if output is not None else self.value(node_id, inputs)
        put_artifact(self.harness.store, value)
        self.outputs[node_id] = value
        components = self.components(node_id, code)
        record = LineageRecord(
            artifact_hash=value.hash,
            type=output_type,
            size=len(artifact_bytes(value)),
            execution_id=self.id,
            workflow_id=self.execution.spec.workflow_id,
            node_id=node_id,
            name="o",
            attempt=1,
            task_id=task_id(task_name, project=self.harness.project),
            code_digest=code or code_digest(task_name),
            cache_key=message_digest(components) if cached else "",
            inputs={name: literal.hash for name, literal in inputs.items()},
            created_at=now(),
        )
        if hit is not None:
            record.cache_source.CopyFrom(hit.entry.source)
        data = record.SerializeToString(deterministic=True)
        self.harness.store.put_bytes(lineage_key(record.artifact_hash, data), data)
        self.records[node_id] = [record]
        fields: dict[str, object] = {"lineage": [record]}
        if cached:
            fields.update(
                cache_key=record.cache_key,
                cache_key_components=components,
                cache_status=status
                or (pb.CACHE_STATUS_HIT if hit is not None else pb.CACHE_STATUS_POPULATED),
            )
        if hit is not None:
            fields["source_execution_id"] = hit.entry.source.execution_id
        events = [] if hit is not None else [node_event(self.id, node_id, pb.NODE_PHASE_RUNNING)]
        events.append(node_event(self.id, node_id, pb.NODE_PHASE_SUCCEEDED, **fields))
        self.agent.report(*events)
        return [record]

    def run_all(self, cached: bool = False, code: Mapping[str, str] | None = None) -> None:
        self.agent.report(execution_event(self.id, pb.EXECUTION_PHASE_RUNNING))
        for node_id in NODE_TASKS:
            self.succeed(node_id, cached=cached, code=(code or {}).get(node_id, ""))
        self.finish()

    def finish(self, phase: int = pb.EXECUTION_PHASE_SUCCEEDED) -> None:
        self.agent.report(execution_event(self.id, phase))  # type: ignore[arg-type]

    def output_hash(self, node_id: str) -> str:
        return self.outputs[node_id].hash

    def node(self, node_id: str) -> NodeExecutionIdentifier:
        return NodeExecutionIdentifier(execution_id=self.id, node_id=node_id)


def code_digest(task_name: str) -> str:
    """The code digest cp_support.task_spec gives a task whose function is its name."""
    return sha256_hex(task_name.encode())


def now() -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(time.time_ns() // 1000 * 1000)
    return stamp


@contextmanager
def lineage_plane(home: Path, db_url: str, **settings: float) -> Iterator[LineageHarness]:
    with private_plane(home, db_url, **settings) as harness:
        channel = authorized_channel(harness.plane)
        grpc.channel_ready_future(channel).result(timeout=WAIT)
        lineage = LineageHarness(harness.plane, channel)
        try:
            yield lineage
        finally:
            lineage.agent_channel.close()
            channel.close()
