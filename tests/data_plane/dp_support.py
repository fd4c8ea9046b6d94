"""Hand-built workflows, bundles and claims, so the data plane can be driven without the
control plane: what a ClaimExecutionResponse would carry, made here from plain Python."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from auth_support import agent_token_for

from graven.bundle import build_bundle
from graven.literals import to_literal
from graven.store import ObjectStore
from graven.store.layout import bundle_key
from graven.types import literal_type_of
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.agent_service_pb2 import ClaimExecutionResponse
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    ExecutionIdentifier,
    Identifier,
)
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.task_pb2 import (
    CodeReference,
    Resources,
    Task,
    TaskMetadata,
    TaskSpec,
    TaskTemplate,
)
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_UNSPECIFIED,
    Binding,
    BindingCollection,
    BindingData,
    BindingMap,
    FailurePolicy,
    Node,
    OutputReference,
    TaskNode,
    Workflow,
    WorkflowClosure,
    WorkflowMetadata,
    WorkflowSpec,
    WorkflowTemplate,
)

PROJECT = "tests"
DOMAIN = "dev"
# Short, so that a dead agent's executions are taken over within a test's patience.
LEASE_SECONDS = 2.0
TERMINAL = frozenset(
    {
        pb.EXECUTION_PHASE_SUCCEEDED,
        pb.EXECUTION_PHASE_FAILED,
        pb.EXECUTION_PHASE_TERMINATED,
        pb.EXECUTION_PHASE_TIMED_OUT,
    }
)


def upload_project(store: ObjectStore, root: Path, files: Mapping[str, str]) -> str:
    """Write ``files`` (path → source) under ``root``, bundle them, store the bundle."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    bundle = build_bundle(root)
    store.put_bytes(bundle_key(bundle.digest), bundle.data)
    return bundle.digest


def interface(inputs: Mapping[str, object], outputs: Mapping[str, object]) -> TypedInterface:
    return TypedInterface(
        inputs=[Variable(name=n, type=literal_type_of(t)) for n, t in inputs.items()],
        outputs=[Variable(name=n, type=literal_type_of(t)) for n, t in outputs.items()],
    )


def task(
    bundle: str,
    module: str,
    function: str,
    inputs: Mapping[str, object],
    outputs: Mapping[str, object],
    *,
    retries: int = 0,
    timeout: float | None = None,
    resources: Resources | None = None,
) -> Task:
    metadata = TaskMetadata(retries=retries, resources=resources)
    if timeout is not None:
        metadata.timeout.FromTimedelta(datetime.timedelta(seconds=timeout))
    template = TaskTemplate(
        interface=interface(inputs, outputs),
        code=CodeReference(bundle_digest=bundle, module=module, function=function),
        metadata=metadata,
    )
    task_id = Identifier(
        resource_type=RESOURCE_TYPE_TASK,
        project=PROJECT,
        domain=DOMAIN,
        name=f"{module}.{function}",
        version=bundle[7:23],
    )
    return Task(id=task_id, spec=TaskSpec(template=template))


def promise(node_id: str, output: str = "o0") -> BindingData:
    return BindingData(promise=OutputReference(node_id=node_id, output_name=output))


def workflow_input(name: str) -> BindingData:
    return BindingData(workflow_input=name)


def static(value: object, tp: object) -> BindingData:
    return BindingData(literal=to_literal(value, tp))


def collection(*items: BindingData) -> BindingData:
    return BindingData(collection=BindingCollection(bindings=items))


def mapping(**items: BindingData) -> BindingData:
    return BindingData(map=BindingMap(bindings=items))


def node(node_id: str, target: Task, after: tuple[str, ...] = (), **inputs: BindingData) -> Node:
    return Node(
        id=node_id,
        inputs=[Binding(name=n, binding=b) for n, b in inputs.items()],
        upstream_node_ids=after,
        task_node=TaskNode(task_id=target.id),
    )


def workflow(
    nodes: list[Node],
    tasks: list[Task],
    *,
    inputs: Mapping[str, object] | None = None,
    outputs: Mapping[str, tuple[BindingData, object]] | None = None,
    failure_policy: FailurePolicy = FAILURE_POLICY_UNSPECIFIED,
) -> Workflow:
    outputs = outputs or {}
    template = WorkflowTemplate(
        interface=interface(inputs or {}, {n: tp for n, (_, tp) in outputs.items()}),
        nodes=nodes,
        outputs=[Binding(name=n, binding=b) for n, (b, _) in outputs.items()],
        metadata=WorkflowMetadata(failure_policy=failure_policy),
    )
    unique = {(t.id.name, t.id.version): t for t in tasks}
    return Workflow(
        spec=WorkflowSpec(template=template),
        closure=WorkflowClosure(tasks=list(unique.values()), node_order=[n.id for n in nodes]),
    )


_names = iter(range(1_000_000))


def claim(
    store: ObjectStore,
    wf: Workflow,
    inputs: Mapping[str, Literal] | None = None,
    *,
    name: str | None = None,
    recorded: list[pb.NodeExecution] | None = None,
) -> ClaimExecutionResponse:
    execution_id = ExecutionIdentifier(
        project=PROJECT, domain=DOMAIN, name=name or f"x{os.getpid()}-{next(_names)}"
    )
    key = f"executions/{PROJECT}/{DOMAIN}/{execution_id.name}/inputs.pb"
    store.put_bytes(key, LiteralMap(literals=inputs or {}).SerializeToString(deterministic=True))
    execution = pb.Execution(id=execution_id, spec=pb.ExecutionSpec(inputs_uri=store.uri(key)))
    return ClaimExecutionResponse(
        execution=execution,
        workflow=wf,
        node_executions=recorded or [],
        store_url=store.url,
    )


class EventLog:
    """An event sink that keeps everything, for assertions."""

    def __init__(self) -> None:
        self.events: list[pb.Event] = []
        self._changed = threading.Condition()

    def emit(self, event: pb.Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def node_events(self, node_id: str) -> list[pb.NodeEvent]:
        with self._changed:
            return [
                e.node for e in self.events if e.HasField("node") and e.node.id.node_id == node_id
            ]

    def node_phases(self, node_id: str) -> list[tuple[int, int]]:
        return [(e.attempt, e.phase) for e in self.node_events(node_id)]

    def execution_phases(self) -> list[int]:
        with self._changed:
            return [e.execution.phase for e in self.events if e.HasField("execution")]

    def wait_for(self, condition: Callable[[EventLog], bool], timeout: float = 30.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self), timeout):
                raise AssertionError(f"condition not met within {timeout} s")


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_outputs(store: ObjectStore, uri: str) -> LiteralMap:
    return LiteralMap.FromString(store.get_bytes(store.key_of(uri)))


# Through a real control plane.


def launch(
    stub: ExecutionServiceStub,
    name: str,
    version: str,
    *,
    overwrite_cache: bool = False,
    **inputs: object,
) -> ExecutionIdentifier:
    literals = LiteralMap(literals={k: to_literal(v, type(v)) for k, v in inputs.items()})
    workflow_id = Identifier(
        resource_type=RESOURCE_TYPE_WORKFLOW,
        project=PROJECT,
        domain=DOMAIN,
        name=name,
        version=version,
    )
    request = es.CreateExecutionRequest(
        project=PROJECT,
        domain=DOMAIN,
        workflow_id=workflow_id,
        inputs=literals,
        overwrite_cache=overwrite_cache,
    )
    return stub.CreateExecution(request).execution.id


def get_execution(stub: ExecutionServiceStub, execution_id: ExecutionIdentifier) -> pb.Execution:
    return stub.GetExecution(es.GetExecutionRequest(id=execution_id)).execution


def wait_for(
    stub: ExecutionServiceStub, execution_id: ExecutionIdentifier, timeout: float = 60
) -> pb.Execution:
    wait_until(
        lambda: get_execution(stub, execution_id).closure.phase in TERMINAL,
        timeout,
        "the execution to end",
    )
    return get_execution(stub, execution_id)


def node_executions(
    stub: ExecutionServiceStub, execution_id: ExecutionIdentifier
) -> dict[str, pb.NodeExecution]:
    request = es.ListNodeExecutionsRequest(execution_id=execution_id, page_size=100)
    return {n.id.node_id: n for n in stub.ListNodeExecutions(request).node_executions}


def execution_outputs(stub: ExecutionServiceStub, execution_id: ExecutionIdentifier) -> LiteralMap:
    return stub.GetExecutionData(es.GetExecutionDataRequest(id=execution_id)).outputs


AGENT_SCRIPT = """
import sys
from graven.data_plane.agent import Agent
Agent(sys.argv[1], sys.argv[2], claim_wait=1.0).run()
"""


def agent_process(endpoint: str, ray_address: str) -> subprocess.Popen[bytes]:
    """An agent in a process of its own, joined to the cluster at ``ray_address`` as a
    separate Ray job (it inherits this process's environment, and the agent token of the
    plane at ``endpoint`` as GRAVEN_TOKEN)."""
    env = {**os.environ, "GRAVEN_TOKEN": agent_token_for(endpoint)}
    return subprocess.Popen([sys.executable, "-c", AGENT_SCRIPT, endpoint, ray_address], env=env)
