"""Workflows of the workflow language (branch, map, launch-plan, subworkflow and gate nodes,
a failure node) stored as registered versions, for the runtime's tests.

They are written straight into the registry's table, with the closure registration would
derive (a topological order, the inlined workflows): these tests are about what the control
plane does with executions of such versions, and registration's own checks are tested with
the compiler.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cp_support import DOMAIN, INT, from_input, node, task_id, unique, var
from execution_support import Harness

from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.registry_repository import NewEntity, RegistryRepository
from graven.control_plane.service.identifiers import entity_name
from graven.digests import sha256_hex
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.launch_plan_pb2 import LaunchPlan, LaunchPlanSpec
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.workflow_pb2 import (
    ApproveCondition,
    ArrayNode,
    BranchCase,
    BranchNode,
    GateNode,
    Node,
    SignalCondition,
    Workflow,
    WorkflowClosure,
    WorkflowNode,
    WorkflowSpec,
    WorkflowTemplate,
)

# The language workflow's top-level nodes (see Language), in topological order.
TOP_LEVEL = ("n0", "n1", "n4", "n5", "n6", "n7", "n8")


def _store(
    harness: Harness, resource_type: int, identifier: Identifier, spec: bytes, closure: bytes
) -> None:
    repository = RegistryRepository(make_sessions(harness.plane.engine))
    identifier.resource_type = resource_type
    repository.insert_all(
        [
            NewEntity(
                name=entity_name(identifier),
                version=identifier.version,
                digest=sha256_hex(spec),
                code_digest="",
                spec=spec,
                closure=closure,
                created_at=datetime.now(UTC),
            )
        ]
    )


def store_workflow(
    harness: Harness,
    name: str,
    template: WorkflowTemplate,
    sub_workflows: Sequence[Workflow] = (),
) -> Workflow:
    identifier = Identifier(
        resource_type=RESOURCE_TYPE_WORKFLOW,
        project=harness.project,
        domain=DOMAIN,
        name=name,
        version="v1",
    )
    spec = WorkflowSpec(template=template)
    closure = WorkflowClosure(
        node_order=[n.id for n in template.nodes], sub_workflows=sub_workflows
    )
    _store(
        harness,
        RESOURCE_TYPE_WORKFLOW,
        identifier,
        spec.SerializeToString(deterministic=True),
        closure.SerializeToString(deterministic=True),
    )
    return Workflow(id=identifier, spec=spec, closure=closure)


def store_launch_plan(harness: Harness, name: str, workflow: Identifier) -> Identifier:
    identifier = Identifier(
        resource_type=RESOURCE_TYPE_LAUNCH_PLAN,
        project=harness.project,
        domain=DOMAIN,
        name=name,
        version="v1",
    )
    spec = LaunchPlanSpec(workflow_id=workflow, default_inputs=LiteralMap())
    launch_plan = LaunchPlan(id=identifier, spec=spec)
    _store(
        harness,
        RESOURCE_TYPE_LAUNCH_PLAN,
        identifier,
        spec.SerializeToString(deterministic=True),
        launch_plan.closure.SerializeToString(deterministic=True),
    )
    return identifier


class Language:
    """A workflow of every kind of node, ``lang(x: int)``:

    n0 inc(x); n1 a branch (case n2 = inc, else n3 = inc); n4 a map of inc; n5 a launch-plan
    node running ``leaf`` (the harness's test workflow); n6 a subworkflow (its n0, n1: inc);
    n7 a signal gate "answer" (int); n8 an approval "publish"; and a failure node.
    """

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.inc = task_id("inc", project=harness.project)
        self.leaf = harness.register()
        self.leaf_plan = store_launch_plan(harness, unique("leaf-lp"), self.leaf.id)
        inc_node = self._inc
        self.sub = store_workflow(
            harness,
            unique("sub"),
            WorkflowTemplate(
                interface=TypedInterface(inputs=[var("x", INT)]),
                nodes=[inc_node("n0"), inc_node("n1")],
            ),
        )
        template = WorkflowTemplate(
            interface=TypedInterface(inputs=[var("x", INT)]),
            nodes=[
                inc_node("n0"),
                Node(
                    id="n1",
                    branch_node=BranchNode(
                        cases=[BranchCase(then_node=inc_node("n2"))], else_node=inc_node("n3")
                    ),
                ),
                Node(id="n4", array_node=ArrayNode(task_id=self.inc, mapped_inputs=["x"])),
                Node(
                    id="n5",
                    workflow_node=WorkflowNode(launch_plan_id=self.leaf_plan),
                    inputs=node("n5", self.inc, x=from_input("x")).inputs,
                ),
                Node(id="n6", workflow_node=WorkflowNode(sub_workflow_id=self.sub.id)),
                Node(
                    id="n7",
                    gate_node=GateNode(signal=SignalCondition(signal_id="answer", type=INT)),
                ),
                Node(id="n8", gate_node=GateNode(approve=ApproveCondition(signal_id="publish"))),
            ],
            failure_node=Node(id="on-failure", task_node=node("x", self.inc).task_node),
        )
        self.workflow = store_workflow(harness, unique("lang"), template, [self.sub])

    def _inc(self, node_id: str) -> Node:
        return node(node_id, self.inc, x=from_input("x"))
