"""Malformed requests over the wire: each gets the right status and a message naming the
problem, and the server keeps serving."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from cp_support import (
    DOMAIN,
    INT,
    PROJECT,
    STR,
    from_input,
    items,
    launch_plan_id,
    launch_plan_spec,
    node,
    promise,
    task_id,
    task_spec,
    unique,
    value,
    var,
    workflow_id,
    workflow_spec,
)
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from graven.digests import sha256_hex
from graven.literals import collection_literal, int_literal, sealed, string_literal
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.interface_pb2 import Variable
from graven.v1.literals_pb2 import Literal
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.task_pb2 import TaskSpec
from graven.v1.types_pb2 import LiteralType, UnionType
from graven.v1.workflow_pb2 import Node

ADD = task_id(unique("add"))
SHOUT = task_id(unique("shout"))
WORKFLOW = workflow_id(unique("wf"))
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.fixture(scope="module", autouse=True)
def _registered(registry: RegistryServiceStub) -> None:
    registry.CreateTask(
        rs.CreateTaskRequest(
            id=ADD, spec=task_spec([var("x", INT), var("y", INT)], [var("out", INT)])
        )
    )
    registry.CreateTask(
        rs.CreateTaskRequest(id=SHOUT, spec=task_spec([var("text", STR)], [var("loud", STR)]))
    )
    spec = workflow_spec(
        [node("n", ADD, x=from_input("a"), y=from_input("b"))],
        inputs=[var("a", INT), var("b", INT)],
        outputs=[(var("out", INT), promise("n", "out"))],
    )
    registry.CreateWorkflow(rs.CreateWorkflowRequest(id=WORKFLOW, spec=spec))


# --- request builders -----------------------------------------------------------------------


def tid(**fields: Any) -> Identifier:
    identifier = task_id(unique("t"))
    for name, field_value in fields.items():
        setattr(identifier, name, field_value)
    return identifier


def create_task(spec: TaskSpec | None = None, **id_fields: Any) -> rs.CreateTaskRequest:
    return rs.CreateTaskRequest(id=tid(**id_fields), spec=spec or task_spec([var("x", INT)]))


def task_with(**changes: Any) -> TaskSpec:
    """A valid task spec with one dotted path set: {"template.code.module": "x y"}."""
    spec = task_spec([var("x", INT)], [var("out", INT)])
    for path, field_value in changes.items():
        *parents, last = path.split("__")
        target: Any = spec
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, last, field_value)
    return spec


def task_inputs(*inputs: Variable, outputs: tuple[Variable, ...] = ()) -> rs.CreateTaskRequest:
    return create_task(task_spec(inputs, outputs))


def create_workflow(*nodes: Node, outputs: Any = ()) -> rs.CreateWorkflowRequest:
    spec = workflow_spec(nodes, inputs=[var("a", INT), var("s", STR)], outputs=outputs)
    return rs.CreateWorkflowRequest(id=workflow_id(unique("w")), spec=spec)


def create_launch_plan(**kwargs: Any) -> rs.CreateLaunchPlanRequest:
    return rs.CreateLaunchPlanRequest(
        id=launch_plan_id(unique("lp")), spec=launch_plan_spec(WORKFLOW, **kwargs)
    )


def twice_bound() -> Node:
    shout = node("n", SHOUT, text=from_input("s"))
    shout.inputs.add().CopyFrom(shout.inputs[0])
    return shout


def forged_hash() -> Literal:
    literal = int_literal(1)
    literal.hash = sha256_hex(b"not the content")
    return literal


def nested_hash() -> Literal:
    """A list whose item carries a hash, sealed so that only the nested hash is wrong."""
    literal = collection_literal([int_literal(1)])
    literal.collection.literals[0].hash = int_literal(1).hash
    return sealed(literal)


def list_names(**fields: Any) -> rs.ListNamesRequest:
    base: dict[str, Any] = {
        "resource_type": RESOURCE_TYPE_TASK,
        "project": PROJECT,
        "domain": DOMAIN,
    }
    return rs.ListNamesRequest(**{**base, **fields})


def list_versions(**fields: Any) -> rs.ListVersionsRequest:
    base: dict[str, Any] = {
        "resource_type": RESOURCE_TYPE_TASK,
        "project": PROJECT,
        "domain": DOMAIN,
        "name": ADD.name,
    }
    return rs.ListVersionsRequest(**{**base, **fields})


def diff(**fields: Any) -> rs.DiffVersionsRequest:
    base: dict[str, Any] = {
        "resource_type": RESOURCE_TYPE_TASK,
        "project": PROJECT,
        "domain": DOMAIN,
        "name": ADD.name,
        "version_a": "v1",
        "version_b": "v1",
    }
    return rs.DiffVersionsRequest(**{**base, **fields})


def upload(*parts: rs.BundleHeader | bytes) -> list[rs.UploadBundleRequest]:
    return [
        rs.UploadBundleRequest(header=p)
        if isinstance(p, rs.BundleHeader)
        else rs.UploadBundleRequest(chunk=p)
        for p in parts
    ]


def header(data: bytes, **fields: Any) -> rs.BundleHeader:
    return rs.BundleHeader(**{"digest": sha256_hex(data), "size": len(data), **fields})


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field, written by hand (for payloads protobuf refuses)."""
    size, length = bytearray(), len(payload)
    while True:
        size.append((length & 0x7F) | (0x80 if length > 0x7F else 0))
        length >>= 7
        if not length:
            break
    return bytes([field_number << 3 | 2]) + bytes(size) + payload


def nested_type(depth: int) -> bytes:
    """A CreateTaskRequest whose first input is list[list[...int...]], ``depth`` deep."""
    literal_type = b"\x08\x02"  # simple: INTEGER
    for _ in range(depth):
        literal_type = length_delimited(2, literal_type)  # collection_type
    variable = length_delimited(1, b"x") + length_delimited(2, literal_type)
    template = length_delimited(1, length_delimited(1, variable))  # interface.inputs
    return length_delimited(1, tid().SerializeToString()) + length_delimited(
        2, length_delimited(1, template)
    )


PAYLOAD = b"bundle bytes"
ONE_VARIANT = LiteralType(union_type=UnionType(variants=[INT]))

CASES = [
    # CreateTask: the identifier
    ("CreateTask", rs.CreateTaskRequest(spec=task_spec()), INVALID, "id: is required"),
    (
        "CreateTask",
        create_task(resource_type=RESOURCE_TYPE_WORKFLOW),
        INVALID,
        "id.resource_type: must be RESOURCE_TYPE_TASK",
    ),
    ("CreateTask", create_task(resource_type=0), INVALID, "id.resource_type:"),
    ("CreateTask", create_task(resource_type=77), INVALID, "id.resource_type:"),
    ("CreateTask", create_task(project=""), INVALID, "id.project: project must not be empty"),
    ("CreateTask", create_task(project="Upper"), INVALID, "id.project: project 'Upper' must match"),
    ("CreateTask", create_task(domain="dev/prod"), INVALID, "id.domain:"),
    ("CreateTask", create_task(name="n" * 300), INVALID, "id.name:"),
    ("CreateTask", create_task(name="white space"), INVALID, "id.name:"),
    ("CreateTask", create_task(version=""), INVALID, "id.version: version must not be empty"),
    ("CreateTask", create_task(version="1.0 final"), INVALID, "id.version:"),
    # CreateTask: the spec
    ("CreateTask", rs.CreateTaskRequest(id=tid()), INVALID, "spec: is required"),
    (
        "CreateTask",
        create_task(TaskSpec(description="no template")),
        INVALID,
        "spec.template: is required",
    ),
    (
        "CreateTask",
        create_task(task_with(template__code__module="not a module")),
        INVALID,
        "spec.template.code.module:",
    ),
    (
        "CreateTask",
        create_task(task_with(template__code__bundle_digest="md5:abc")),
        INVALID,
        "spec.template.code.bundle_digest:",
    ),
    (
        "CreateTask",
        create_task(task_with(template__code__code_digest="")),
        INVALID,
        "spec.template.code.code_digest: is required",
    ),
    (
        "CreateTask",
        create_task(task_with(template__metadata__resources__cpus=-1.0)),
        INVALID,
        "spec.template.metadata.resources.cpus:",
    ),
    (
        "CreateTask",
        create_task(task_with(template__metadata__timeout__seconds=-3)),
        INVALID,
        "spec.template.metadata.timeout:",
    ),
    (
        "CreateTask",
        task_inputs(var("x", INT), var("x", STR)),
        INVALID,
        "spec.template.interface.inputs[1].name: duplicate",
    ),
    (
        "CreateTask",
        task_inputs(var("class-name", INT)),
        INVALID,
        "spec.template.interface.inputs[0].name:",
    ),
    (
        "CreateTask",
        task_inputs(Variable(name="x")),
        INVALID,
        "spec.template.interface.inputs[0].type: is required",
    ),
    (
        "CreateTask",
        task_inputs(var("x", LiteralType(simple=0))),
        INVALID,
        "spec.template.interface.inputs[0].type.simple:",
    ),
    (
        "CreateTask",
        task_inputs(var("x", ONE_VARIANT)),
        INVALID,
        "spec.template.interface.inputs[0].type.union_type.variants:",
    ),
    (
        "CreateTask",
        task_inputs(var("x", INT, string_literal("3"))),
        INVALID,
        "spec.template.interface.inputs[0].default: is not a value",
    ),
    (
        "CreateTask",
        task_inputs(var("x", INT, forged_hash())),
        INVALID,
        "spec.template.interface.inputs[0].default.hash:",
    ),
    (
        "CreateTask",
        task_inputs(var("x", LiteralType(collection_type=INT), nested_hash())),
        INVALID,
        "spec.template.interface.inputs[0].default.collection.literals[0].hash:",
    ),
    (
        "CreateTask",
        task_inputs(outputs=(var("o", INT, int_literal(1)),)),
        INVALID,
        "spec.template.interface.outputs[0].default:",
    ),
    # CreateWorkflow: the graph
    (
        "CreateWorkflow",
        create_workflow(),
        INVALID,
        "spec.template.nodes: a workflow needs at least one node",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", task_id(unique("ghost")), x=from_input("a"))),
        INVALID,
        "spec.template.nodes[0].task_node.task_id: node 'n' runs task",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", tid(version=""))),
        INVALID,
        "spec.template.nodes[0].task_node.task_id.version:",
    ),
    (
        "CreateWorkflow",
        create_workflow(
            node("n", SHOUT, text=from_input("s")), node("n", SHOUT, text=from_input("s"))
        ),
        INVALID,
        "spec.template.nodes[1].id: duplicate node id 'n'",
    ),
    (
        "CreateWorkflow",
        create_workflow(
            node("p", ADD, x=promise("q", "out"), y=from_input("a")),
            node("q", ADD, x=promise("p", "out"), y=from_input("a")),
        ),
        INVALID,
        "spec.template.nodes: the nodes form a cycle: p -> q -> p",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", ADD, x=from_input("a"))),
        INVALID,
        "spec.template.nodes[0].inputs: node 'n' (task",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", ADD, x=from_input("a"), y=from_input("a"), z=from_input("a"))),
        INVALID,
        "spec.template.nodes[0].inputs[2].name:",
    ),
    (
        "CreateWorkflow",
        create_workflow(twice_bound()),
        INVALID,
        "spec.template.nodes[0].inputs[1].name: input 'text'",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("m", ADD, x=from_input("a"), y=from_input("s"))),
        INVALID,
        "spec.template.nodes[0].inputs[1].binding.workflow_input: input 'y'",
    ),
    (
        "CreateWorkflow",
        create_workflow(
            node("s", SHOUT, text=from_input("s")),
            node("n", ADD, x=promise("s", "loud"), y=from_input("a")),
        ),
        INVALID,
        "spec.template.nodes[1].inputs[0].binding.promise: input 'x' of node 'n'",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", ADD, x=promise("nowhere", "out"), y=from_input("a"))),
        INVALID,
        "spec.template.nodes[0].inputs[0].binding.promise.node_id:",
    ),
    (
        "CreateWorkflow",
        create_workflow(
            node("s", SHOUT, text=from_input("s")), node("n", SHOUT, text=promise("s", "quiet"))
        ),
        INVALID,
        "spec.template.nodes[1].inputs[0].binding.promise.output_name:",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", SHOUT, text=from_input("missing"))),
        INVALID,
        "spec.template.nodes[0].inputs[0].binding.workflow_input:",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", SHOUT, text=value(int_literal(3)))),
        INVALID,
        "spec.template.nodes[0].inputs[0].binding.literal: input 'text'",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", SHOUT, text=items(from_input("s")))),
        INVALID,
        "spec.template.nodes[0].inputs[0].binding.collection:",
    ),
    (
        "CreateWorkflow",
        create_workflow(node("n", SHOUT, upstream=["later"], text=from_input("s"))),
        INVALID,
        "spec.template.nodes[0].upstream_node_ids[0]:",
    ),
    (
        "CreateWorkflow",
        create_workflow(
            node("n", SHOUT, text=from_input("s")), outputs=[(var("r", INT), promise("n", "loud"))]
        ),
        INVALID,
        "spec.template.outputs[0].binding.promise:",
    ),
    # CreateLaunchPlan
    (
        "CreateLaunchPlan",
        rs.CreateLaunchPlanRequest(
            id=launch_plan_id("lp"), spec=launch_plan_spec(workflow_id(unique("none")))
        ),
        INVALID,
        "spec.workflow_id: workflow",
    ),
    (
        "CreateLaunchPlan",
        rs.CreateLaunchPlanRequest(id=launch_plan_id("lp"), spec=launch_plan_spec(ADD)),
        INVALID,
        "spec.workflow_id.resource_type:",
    ),
    (
        "CreateLaunchPlan",
        create_launch_plan(defaults={"zz": int_literal(1)}),
        INVALID,
        "spec.default_inputs.literals[zz]:",
    ),
    (
        "CreateLaunchPlan",
        create_launch_plan(fixed={"a": string_literal("1")}),
        INVALID,
        "spec.fixed_inputs.literals[a]: is not a value of type int",
    ),
    (
        "CreateLaunchPlan",
        create_launch_plan(defaults={"a": int_literal(1)}, fixed={"a": int_literal(2)}),
        INVALID,
        "spec.fixed_inputs.literals[a]:",
    ),
    (
        "CreateLaunchPlan",
        rs.CreateLaunchPlanRequest(
            id=tid(resource_type=RESOURCE_TYPE_LAUNCH_PLAN, version="v/2"),
            spec=launch_plan_spec(WORKFLOW),
        ),
        INVALID,
        "id.version:",
    ),
    # Register: each entry's fields are named by their path in the batch
    (
        "Register",
        rs.RegisterRequest(
            entries=[rs.RegistrationEntry(task=create_task()), rs.RegistrationEntry()]
        ),
        INVALID,
        "entries[1]: set one of task, workflow or launch_plan",
    ),
    (
        "Register",
        rs.RegisterRequest(entries=[rs.RegistrationEntry(task=create_task(version="v 1"))]),
        INVALID,
        "entries[0].task.id.version:",
    ),
    (
        "Register",
        rs.RegisterRequest(
            entries=[
                rs.RegistrationEntry(task=create_task()),
                rs.RegistrationEntry(task=create_task(task_with(template__code__module="a b"))),
            ]
        ),
        INVALID,
        "entries[1].task.spec.template.code.module: 'a b' is not a dotted Python name",
    ),
    (
        "Register",
        rs.RegisterRequest(entries=[rs.RegistrationEntry(workflow=create_workflow())]),
        INVALID,
        "entries[0].workflow.spec.template.nodes: a workflow needs at least one node",
    ),
    # Reads
    ("GetTask", rs.GetTaskRequest(), INVALID, "id: is required"),
    ("GetTask", rs.GetTaskRequest(id=tid()), NOT_FOUND, "is not registered"),
    (
        "GetWorkflow",
        rs.GetWorkflowRequest(id=tid()),
        INVALID,
        "id.resource_type: must be RESOURCE_TYPE_WORKFLOW",
    ),
    (
        "GetLaunchPlan",
        rs.GetLaunchPlanRequest(id=tid(resource_type=RESOURCE_TYPE_LAUNCH_PLAN, version="")),
        NOT_FOUND,
        "is not registered",
    ),
    ("ListNames", list_names(resource_type=0), INVALID, "resource_type: must be one of"),
    ("ListNames", list_names(project=""), INVALID, "project:"),
    ("ListNames", list_names(page_size=-5), INVALID, "page_size: must not be negative"),
    (
        "ListNames",
        list_names(page_token="bm90IGEgdG9rZW4"),
        INVALID,
        "page_token: is not a page token",
    ),
    ("ListNames", list_names(name_prefix="Caps%"), INVALID, "name_prefix:"),
    ("ListVersions", list_versions(name=""), INVALID, "name: name must not be empty"),
    ("ListVersions", list_versions(page_token="%%%"), INVALID, "page_token:"),
    ("DiffVersions", diff(version_b=""), INVALID, "version_b:"),
    ("DiffVersions", diff(version_b="v404"), NOT_FOUND, "is not registered"),
    ("DiffVersions", diff(resource_type=RESOURCE_TYPE_WORKFLOW + 10), INVALID, "resource_type:"),
    # Bundles
    (
        "GetBundle",
        rs.GetBundleRequest(digest="sha256:xyz"),
        INVALID,
        "digest: 'sha256:xyz' is not a digest",
    ),
    (
        "GetBundle",
        rs.GetBundleRequest(digest=sha256_hex(b"never uploaded")),
        NOT_FOUND,
        "upload it first",
    ),
    ("UploadBundle", [], INVALID, "header: the first message of an upload must be the header"),
    ("UploadBundle", upload(PAYLOAD), INVALID, "header: the first message"),
    (
        "UploadBundle",
        upload(header(PAYLOAD), PAYLOAD, header(PAYLOAD)),
        INVALID,
        "chunk: message 2 of the upload is not a chunk",
    ),
    (
        "UploadBundle",
        upload(header(PAYLOAD, digest=sha256_hex(b"other")), PAYLOAD),
        INVALID,
        "header.digest:",
    ),
    (
        "UploadBundle",
        upload(header(PAYLOAD, size=3), PAYLOAD),
        INVALID,
        "header.size: announced 3 bytes, received 12",
    ),
    (
        "UploadBundle",
        upload(header(PAYLOAD, size=-1), PAYLOAD),
        INVALID,
        "header.size: must not be negative",
    ),
    ("UploadBundle", upload(header(PAYLOAD, digest="sha1:00")), INVALID, "header.digest:"),
    (
        "UploadBundle",
        upload(header(PAYLOAD, size=1 << 30), PAYLOAD),
        EXHAUSTED,
        "a code bundle may hold at most",
    ),
    # Bytes that are not the message at all
    ("CreateTask", b"\x0a\xff\x01", INVALID, "request: Error parsing message"),
    (
        "CreateTask",
        length_delimited(1, length_delimited(2, b"\xff\xfe")),
        INVALID,
        "request: Error parsing message",
    ),
    ("CreateTask", nested_type(200), INVALID, "request: Error parsing message"),
    ("UploadBundle", [b"\x0a\xff\x01"], INVALID, "request: Error parsing message"),
    (
        "CreateTask",
        create_task(task_with(description="x" * (5 << 20))),
        EXHAUSTED,
        "Received message larger than max",
    ),
]


def call(channel: grpc.Channel, registry: RegistryServiceStub, rpc: str, request: Any) -> None:
    streaming = rpc == "UploadBundle"
    if isinstance(request, bytes) or (streaming and any(isinstance(r, bytes) for r in request)):
        path = f"/graven.v1.RegistryService/{rpc}"
        if streaming:
            channel.stream_unary(path)(iter(request), timeout=10)
        else:
            channel.unary_unary(path)(request, timeout=10)
    elif streaming:
        registry.UploadBundle(iter(request), timeout=10)
    else:
        getattr(registry, rpc)(request, timeout=10)


def test_there_are_at_least_thirty_kinds() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("rpc", "request_", "code", "message"),
    CASES,
    ids=[f"{i:02d}-{rpc}" for i, (rpc, *_) in enumerate(CASES)],
)
def test_a_malformed_request_gets_its_status(
    grpc_channel: grpc.Channel,
    registry: RegistryServiceStub,
    rpc: str,
    request_: Message | bytes | list[Any],
    code: grpc.StatusCode,
    message: str,
) -> None:
    """``message`` is where the details start for INVALID_ARGUMENT (the field path first) and
    words they contain otherwise."""
    with pytest.raises(grpc.RpcError) as caught:
        call(grpc_channel, registry, rpc, request_)
    error = caught.value
    assert error.code() == code, error.details()
    if code == INVALID:
        assert error.details().startswith(message)
    else:
        assert message in error.details()
    assert_still_serving(grpc_channel, registry)


def assert_still_serving(channel: grpc.Channel, registry: RegistryServiceStub) -> None:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert registry.GetTask(rs.GetTaskRequest(id=ADD), timeout=10).task.id == ADD
