"""Registry specs built by hand as protos, independent of the SDK's decorators."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from graven.digests import sha256_hex
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.task_pb2 import CodeReference, TaskMetadata, TaskSpec, TaskTemplate
from graven.v1.types_pb2 import (
    SIMPLE_TYPE_FLOAT,
    SIMPLE_TYPE_INTEGER,
    SIMPLE_TYPE_STRING,
    LiteralType,
)
from graven.v1.workflow_pb2 import (
    Binding,
    BindingCollection,
    BindingData,
    Node,
    OutputReference,
    TaskNode,
    WorkflowSpec,
    WorkflowTemplate,
)

PROJECT = "cp-tests"
DOMAIN = "dev"
BUNDLE_DIGEST = sha256_hex(b"a bundle")

INT = LiteralType(simple=SIMPLE_TYPE_INTEGER)
FLOAT = LiteralType(simple=SIMPLE_TYPE_FLOAT)
STR = LiteralType(simple=SIMPLE_TYPE_STRING)


def unique(prefix: str) -> str:
    """A name no other test uses on the shared control plane."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def task_id(name: str, version: str = "v1", project: str = PROJECT) -> Identifier:
    return Identifier(
        resource_type=RESOURCE_TYPE_TASK, project=project, domain=DOMAIN, name=name, version=version
    )


def workflow_id(name: str, version: str = "v1", project: str = PROJECT) -> Identifier:
    return Identifier(
        resource_type=RESOURCE_TYPE_WORKFLOW,
        project=project,
        domain=DOMAIN,
        name=name,
        version=version,
    )


def launch_plan_id(name: str, version: str = "v1", project: str = PROJECT) -> Identifier:
    return Identifier(
        resource_type=RESOURCE_TYPE_LAUNCH_PLAN,
        project=project,
        domain=DOMAIN,
        name=name,
        version=version,
    )


def var(name: str, type_: LiteralType, default: Literal | None = None) -> Variable:
    return Variable(name=name, type=type_, default=default)


def task_spec(
    inputs: Sequence[Variable] = (),
    outputs: Sequence[Variable] = (),
    function: str = "run",
    description: str = "",
) -> TaskSpec:
    return TaskSpec(
        template=TaskTemplate(
            interface=TypedInterface(inputs=inputs, outputs=outputs),
            code=CodeReference(
                bundle_digest=BUNDLE_DIGEST,
                module="tasks",
                function=function,
                code_digest=sha256_hex(function.encode()),
            ),
            metadata=TaskMetadata(graven_version="test"),
        ),
        description=description,
    )


def promise(node_id: str, output: str) -> BindingData:
    return BindingData(promise=OutputReference(node_id=node_id, output_name=output))


def from_input(name: str) -> BindingData:
    return BindingData(workflow_input=name)


def value(literal: Literal) -> BindingData:
    return BindingData(literal=literal)


def items(*bindings: BindingData) -> BindingData:
    return BindingData(collection=BindingCollection(bindings=bindings))


def node(
    node_id: str, task: Identifier, upstream: Sequence[str] = (), **inputs: BindingData
) -> Node:
    return Node(
        id=node_id,
        task_node=TaskNode(task_id=task),
        inputs=[Binding(name=name, binding=data) for name, data in inputs.items()],
        upstream_node_ids=upstream,
    )


def workflow_spec(
    nodes: Sequence[Node],
    inputs: Sequence[Variable] = (),
    outputs: Sequence[tuple[Variable, BindingData]] = (),
    description: str = "",
) -> WorkflowSpec:
    return WorkflowSpec(
        template=WorkflowTemplate(
            interface=TypedInterface(inputs=inputs, outputs=[v for v, _ in outputs]),
            nodes=nodes,
            outputs=[Binding(name=v.name, binding=data) for v, data in outputs],
        ),
        description=description,
    )


def launch_plan_spec(
    workflow: Identifier,
    defaults: Mapping[str, Literal] | None = None,
    fixed: Mapping[str, Literal] | None = None,
) -> LaunchPlanSpec:
    return LaunchPlanSpec(
        workflow_id=workflow,
        default_inputs=LiteralMap(literals=defaults or {}),
        fixed_inputs=LiteralMap(literals=fixed or {}),
    )
