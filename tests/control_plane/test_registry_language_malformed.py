"""Malformed specs of the workflow language over the wire: each is refused with
INVALID_ARGUMENT, its details start with the field path and name the node, nothing of it is
stored, and the server keeps serving (a good registration goes through right after)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import grpc
import pytest
from cp_support import (
    INT,
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
from grpc_health.v1 import health_pb2, health_pb2_grpc
from language_support import (
    approve_gate,
    attr,
    both,
    branch,
    compare,
    failure_task,
    is_true,
    map_node,
    plan_node,
    signal_gate,
    sleep_gate,
    sub_node,
    the_error,
)

from graven.control_plane.service.compiler_scope import WORKFLOW_ERROR_TYPE
from graven.literals import int_literal, string_literal
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import Identifier
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.types_pb2 import (
    SIMPLE_TYPE_BOOLEAN,
    LiteralType,
    StructuredField,
    StructuredType,
)
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_EQ,
    COMPARISON_OPERATOR_GT,
    COMPARISON_OPERATOR_LT,
    BooleanExpression,
    BranchCase,
    BranchNode,
    GateNode,
    Node,
    WorkflowNode,
    WorkflowSpec,
)

BOOL = LiteralType(simple=SIMPLE_TYPE_BOOLEAN)
INTS = LiteralType(collection_type=INT)
POINT = LiteralType(
    structured_type=StructuredType(
        name="shapes.Point",
        fields=[StructuredField(name="x", type=INT), StructuredField(name="y", type=INT)],
    )
)
INVALID = grpc.StatusCode.INVALID_ARGUMENT

ADD = task_id(unique("add"))
SHOUT = task_id(unique("shout"))
BIG = task_id(unique("big"))
POINT_OF = task_id(unique("point"))
CLEANUP = task_id(unique("cleanup"))
CLEANUP_STR = task_id(unique("cleanup-str"))
INNER = workflow_id(unique("inner"))
INNER_PLAN = launch_plan_id(unique("inner-plan"))
GATED = workflow_id(unique("gated"))
GATED_DEEP = workflow_id(unique("gated-deep"))


@pytest.fixture(scope="module", autouse=True)
def _registered(registry: RegistryServiceStub) -> None:
    tasks = [
        (ADD, task_spec([var("x", INT), var("y", INT, int_literal(1))], [var("out", INT)], "add")),
        (SHOUT, task_spec([var("text", STR)], [var("loud", STR)], "shout")),
        (BIG, task_spec([var("x", INT)], [var("big", BOOL)], "big")),
        (POINT_OF, task_spec([var("x", INT)], [var("p", POINT)], "point")),
        (CLEANUP, task_spec([var("error", WORKFLOW_ERROR_TYPE)], [], "cleanup")),
        (CLEANUP_STR, task_spec([var("error", STR)], [], "cleanup_str")),
    ]
    for identifier, spec in tasks:
        registry.CreateTask(rs.CreateTaskRequest(id=identifier, spec=spec))
    inner = workflow_spec(
        [node("n0", ADD, x=from_input("a"))],
        inputs=[var("a", INT)],
        outputs=[(var("r", INT), promise("n0", "out"))],
    )
    registry.CreateWorkflow(rs.CreateWorkflowRequest(id=INNER, spec=inner))
    registry.CreateLaunchPlan(
        rs.CreateLaunchPlanRequest(id=INNER_PLAN, spec=launch_plan_spec(INNER))
    )
    # Inlined into another workflow, its gate waits among that execution's signals.
    gated = workflow_spec(
        [sub_node("n0", INNER, a=value(int_literal(1))), signal_gate("n1", "go", INT)]
    )
    registry.CreateWorkflow(rs.CreateWorkflowRequest(id=GATED, spec=gated))
    deep = workflow_spec([sub_node("n0", GATED)])
    registry.CreateWorkflow(rs.CreateWorkflowRequest(id=GATED_DEEP, spec=deep))


# --- builders -------------------------------------------------------------------------------

Spec = WorkflowSpec | LaunchPlanSpec


def spec_of(*nodes: Node, failure: Node | None = None, policy: int = 0) -> WorkflowSpec:
    spec = workflow_spec(
        nodes,
        inputs=[
            var("a", INT),
            var("s", STR),
            var("flag", BOOL),
            var("xs", INTS),
            var("pt", POINT),
        ],
    )
    if failure is not None:
        spec.template.failure_node.CopyFrom(failure)
    spec.template.metadata.failure_policy = policy  # type: ignore[assignment]
    return spec


def one(
    *nodes: Node, failure: Node | None = None, policy: int = 0
) -> list[tuple[Identifier, Spec]]:
    return [(workflow_id(unique("w")), spec_of(*nodes, failure=failure, policy=policy))]


def positive() -> BooleanExpression:
    return compare(COMPARISON_OPERATOR_GT, from_input("a"), value(int_literal(0)))


def constant(operator: int, left: int, right: int) -> BooleanExpression:
    return compare(operator, value(int_literal(left)), value(int_literal(right)))


def add(node_id: str) -> Node:
    return node(node_id, ADD, x=from_input("a"))


def self_recursive() -> list[tuple[Identifier, Spec]]:
    me = workflow_id(unique("me"))
    return [(me, spec_of(sub_node("n0", me, a=from_input("a"))))]


def mutually_recursive() -> list[tuple[Identifier, Spec]]:
    first, second = workflow_id(unique("ping")), workflow_id(unique("pong"))
    return [
        (first, spec_of(sub_node("n0", second, a=from_input("a")))),
        (second, spec_of(sub_node("n0", first, a=from_input("a")))),
    ]


def recursive_through_a_plan() -> list[tuple[Identifier, Spec]]:
    flow, plan = workflow_id(unique("flow")), launch_plan_id(unique("plan"))
    return [
        (flow, spec_of(add("n0"), plan_node("n1", plan, a=from_input("a")))),
        (plan, launch_plan_spec(flow)),
    ]


def out_of_order() -> list[tuple[Identifier, Spec]]:
    outer, later = workflow_id(unique("outer")), workflow_id(unique("later"))
    later_spec = workflow_spec([add("n0")], inputs=[var("a", INT)])
    return [(outer, spec_of(sub_node("n0", later, a=from_input("a")))), (later, later_spec)]


def with_node_id(node_id: str) -> Node:
    return node(node_id, ADD, x=from_input("a"))


@dataclass(frozen=True)
class Case:
    name: str
    plan: list[tuple[Identifier, Spec]]
    # Where the details start (the field path, without the batch prefix for a lone entry).
    field: str
    # Words the details contain: the node named (and the reason).
    words: tuple[str, ...]


N0 = "spec.template.nodes[0]"
N1 = "spec.template.nodes[1]"
FAILURE = "spec.template.failure_node"

CASES = [
    # --- branches
    Case(
        "condition comparing int and str",
        one(
            branch(
                "n0",
                [(compare(COMPARISON_OPERATOR_EQ, from_input("a"), from_input("s")), add("n1"))],
            )
        ),
        f"{N0}.branch_node.cases[0].condition.comparison",
        ("'n0'", "different types"),
    ),
    Case(
        "condition mismatch inside a conjunction",
        one(
            branch(
                "n0",
                [
                    (
                        both(
                            is_true(from_input("flag")),
                            compare(COMPARISON_OPERATOR_LT, from_input("s"), value(int_literal(3))),
                        ),
                        add("n1"),
                    )
                ],
            )
        ),
        f"{N0}.branch_node.cases[0].condition.conjunction.right.comparison",
        ("'n0'", "case 0"),
    ),
    Case(
        "is_true on an int",
        one(branch("n0", [(is_true(from_input("a")), add("n1"))])),
        f"{N0}.branch_node.cases[0].condition.unary",
        ("'n0'", "need a bool"),
    ),
    Case(
        "condition on an unknown node",
        one(branch("n0", [(is_true(promise("ghost", "big")), add("n1"))])),
        f"{N0}.branch_node.cases[0].condition.unary.operand.promise.node_id",
        ("'n0'", "no node 'ghost'"),
    ),
    Case(
        "outputs that do not unify",
        one(
            branch(
                "n0", [(positive(), add("n1"))], else_node=node("n2", SHOUT, text=from_input("s"))
            )
        ),
        f"{N0}.branch_node.else_node",
        ("'n0'", "'n2'", "out: int", "loud: str"),
    ),
    Case(
        "a branch with no cases",
        one(Node(id="n0", branch_node=BranchNode(else_fail="nothing"))),
        f"{N0}.branch_node.cases",
        ("'n0'", "at least one case"),
    ),
    Case(
        "an empty case node",
        one(branch("n0", [(positive(), Node(id="n1"))])),
        f"{N0}.branch_node.cases[0].then_node",
        ("'n1'", "branch 'n0'", "names no target"),
    ),
    Case(
        "a case with no node",
        one(Node(id="n0", branch_node=BranchNode(cases=[BranchCase(condition=positive())]))),
        f"{N0}.branch_node.cases[0].then_node",
        ("'n0'", "runs no node"),
    ),
    Case(
        "a branch node with inputs",
        one(
            Node(
                id="n0",
                branch_node=branch("n0", [(positive(), add("n1"))]).branch_node,
                inputs=add("x").inputs,
            )
        ),
        f"{N0}.inputs",
        ("'n0'", "takes no inputs"),
    ),
    Case(
        "an else after a case that always holds",
        one(branch("n0", [(constant(COMPARISON_OPERATOR_LT, 1, 2), add("n1"))], else_fail="no")),
        f"{N0}.branch_node.else_fail",
        ("'n0'", "unreachable", "always holds"),
    ),
    Case(
        "a case after a case that always holds",
        one(
            branch(
                "n0", [(constant(COMPARISON_OPERATOR_EQ, 1, 1), add("n1")), (positive(), add("n2"))]
            )
        ),
        f"{N0}.branch_node.cases[1]",
        ("'n0'", "case 1 can never run"),
    ),
    Case(
        "a case that never holds",
        one(
            branch("n0", [(constant(COMPARISON_OPERATOR_GT, 1, 2), add("n1"))], else_node=add("n2"))
        ),
        f"{N0}.branch_node.cases[0].condition",
        ("'n0'", "never holds"),
    ),
    Case(
        "a case repeating an earlier condition",
        one(branch("n0", [(positive(), add("n1")), (positive(), add("n2"))])),
        f"{N0}.branch_node.cases[1].condition",
        ("'n0'", "case 0's"),
    ),
    Case(
        "a node reading a case node",
        one(
            branch("n0", [(positive(), add("n1"))], else_node=add("n2")),
            node("n3", ADD, x=promise("n1", "out")),
        ),
        f"{N1}.inputs[0].binding.promise.node_id",
        ("'n3'", "inside branch 'n0'"),
    ),
    # --- maps
    Case(
        "a map over an int",
        one(map_node("n0", ADD, ["x"], x=from_input("a"))),
        f"{N0}.inputs[0].binding.workflow_input",
        ("'n0'", "expected list[int], got int"),
    ),
    Case(
        "a map over a list of another type",
        one(map_node("n0", SHOUT, ["text"], text=from_input("xs"))),
        f"{N0}.inputs[0].binding.workflow_input",
        ("'n0'", "expected list[str], got list[int]"),
    ),
    Case(
        "a mapped input the task lacks",
        one(map_node("n0", ADD, ["z"], x=from_input("xs"))),
        f"{N0}.array_node.mapped_inputs[0]",
        ("'n0'", "no input 'z'"),
    ),
    Case(
        "an input mapped twice",
        one(map_node("n0", ADD, ["x", "x"], x=from_input("xs"))),
        f"{N0}.array_node.mapped_inputs[1]",
        ("'n0'", "mapped twice"),
    ),
    Case(
        "a map with no mapped input",
        one(map_node("n0", ADD, [], x=from_input("a"))),
        f"{N0}.array_node.mapped_inputs",
        ("'n0'", "at least one mapped input"),
    ),
    Case(
        "a success ratio above one",
        one(map_node("n0", ADD, ["x"], 1.5, x=from_input("xs"))),
        f"{N0}.array_node.min_success_ratio",
        ("'n0'", "between 0 and 1"),
    ),
    Case(
        "a NaN success ratio",
        one(map_node("n0", ADD, ["x"], math.nan, x=from_input("xs"))),
        f"{N0}.array_node.min_success_ratio",
        ("'n0'", "nan"),
    ),
    # --- subworkflows and launch plans
    Case(
        "a subworkflow that is not registered",
        one(sub_node("n0", workflow_id(unique("ghost")), a=from_input("a"))),
        f"{N0}.workflow_node.sub_workflow_id",
        ("'n0'", "not registered"),
    ),
    Case(
        "a launch plan that is not registered",
        one(plan_node("n0", launch_plan_id(unique("ghost")), a=from_input("a"))),
        f"{N0}.workflow_node.launch_plan_id",
        ("'n0'", "not registered"),
    ),
    Case(
        "a subworkflow input that does not exist",
        one(sub_node("n0", INNER, a=from_input("a"), z=from_input("a"))),
        f"{N0}.inputs[1].name",
        ("'n0'", "has no input 'z'"),
    ),
    Case(
        "a subworkflow input left unbound",
        one(sub_node("n0", INNER)),
        f"{N0}.inputs",
        ("'n0'", "missing input binding(s) for 'a'"),
    ),
    Case(
        "a launch plan input of the wrong type",
        one(plan_node("n0", INNER_PLAN, a=from_input("s"))),
        f"{N0}.inputs[0].binding.workflow_input",
        ("'n0'", "expected int, got str"),
    ),
    Case(
        "a workflow node naming nothing",
        one(Node(id="n0", workflow_node=WorkflowNode())),
        f"{N0}.workflow_node",
        ("'n0'", "sub_workflow_id or launch_plan_id"),
    ),
    # --- recursion
    Case(
        "a workflow running itself",
        self_recursive(),
        f"{N0}.workflow_node.sub_workflow_id",
        ("'n0'", "recursion between workflows"),
    ),
    Case(
        "two workflows running each other",
        mutually_recursive(),
        f"entries[0].workflow.{N0}.workflow_node.sub_workflow_id",
        ("'n0'", "recursion between workflows"),
    ),
    Case(
        "a workflow running its own launch plan",
        recursive_through_a_plan(),
        f"entries[0].workflow.{N1}.workflow_node.launch_plan_id",
        ("'n1'", "recursion between workflows", "launch plan"),
    ),
    Case(
        "a subworkflow registered after its user",
        out_of_order(),
        f"entries[0].workflow.{N0}.workflow_node.sub_workflow_id",
        ("'n0'", "creates later"),
    ),
    # --- attribute paths and the workflow's error
    Case(
        "a field the dataclass lacks",
        one(
            node("n0", POINT_OF, x=from_input("a")),
            node("n1", ADD, x=attr(promise("n0", "p"), "z")),
        ),
        f"{N1}.inputs[0].binding.attr_path",
        ("'n1'", "no field 'z'"),
    ),
    Case(
        "an index into a dataclass",
        one(node("n0", ADD, x=attr(from_input("pt"), 0))),
        f"{N0}.inputs[0].binding.attr_path",
        ("'n0'", "only a list takes an index"),
    ),
    Case(
        "an attribute path on a constant",
        one(node("n0", ADD, x=attr(value(int_literal(1)), "x"))),
        f"{N0}.inputs[0].binding.attr_path",
        ("'n0'", "a literal takes no attribute path"),
    ),
    Case(
        "an attribute path on a list binding",
        one(map_node("n0", ADD, ["x"], x=attr(items(from_input("a")), 0))),
        f"{N0}.inputs[0].binding.attr_path",
        ("'n0'", "a collection takes no attribute path"),
    ),
    Case(
        "the workflow's error outside the failure node",
        one(node("n0", SHOUT, text=the_error())),
        f"{N0}.inputs[0].binding.workflow_error",
        ("'n0'", "only the inputs of the failure node"),
    ),
    Case(
        "the workflow's error bound to a str",
        one(add("n0"), failure=failure_task(CLEANUP_STR, error=the_error())),
        f"{FAILURE}.inputs[0].binding.workflow_error",
        ("'on-failure'", "WorkflowError"),
    ),
    Case(
        "the failure node reading a node output",
        one(add("n0"), failure=failure_task(ADD, x=promise("n0", "out"))),
        f"{FAILURE}.inputs[0].binding.promise",
        ("'on-failure'", "workflow inputs"),
    ),
    Case(
        "a failure node with another id",
        one(add("n0"), failure=failure_task(CLEANUP, node_id="cleanup", error=the_error())),
        f"{FAILURE}.id",
        ("'cleanup'", "'on-failure'"),
    ),
    Case(
        "a gate as the failure node",
        one(add("n0"), failure=sleep_gate("on-failure", 1)),
        f"{FAILURE}.gate_node",
        ("'on-failure'", "runs a task"),
    ),
    Case(
        "a launch plan as the failure node",
        one(add("n0"), failure=plan_node("on-failure", INNER_PLAN, a=from_input("a"))),
        f"{FAILURE}.workflow_node",
        ("'on-failure'", "not a launch plan"),
    ),
    # --- gates
    Case(
        "a gate with no condition",
        one(Node(id="n0", gate_node=GateNode())),
        f"{N0}.gate_node",
        ("'n0'", "sleep, signal or approve"),
    ),
    Case(
        "a negative sleep",
        one(sleep_gate("n0", -5)),
        f"{N0}.gate_node.sleep",
        ("'n0'", "not a duration"),
    ),
    Case(
        "a negative timeout",
        one(
            Node(
                id="n0",
                gate_node=GateNode(
                    signal=signal_gate("n0", "go", BOOL).gate_node.signal, timeout={"seconds": -1}
                ),
            )
        ),
        f"{N0}.gate_node.timeout",
        ("'n0'", "not a duration"),
    ),
    Case(
        "a signal with no type",
        one(signal_gate("n0", "go", None)),
        f"{N0}.gate_node.signal.type",
        ("'n0'", "type of its value"),
    ),
    Case(
        "an empty signal id",
        one(signal_gate("n0", "", INT)),
        f"{N0}.gate_node.signal.signal_id",
        ("'n0'", "must not be empty"),
    ),
    Case(
        "a signal id with a slash",
        one(approve_gate("n0", "pub/lish", from_input("a"))),
        f"{N0}.gate_node.approve.signal_id",
        ("'n0'", "must match"),
    ),
    Case(
        "a signal id used twice, once in a branch case",
        one(
            signal_gate("n0", "go", INT),
            branch("n1", [(positive(), approve_gate("n2", "go", from_input("a")))]),
        ),
        f"{N1}.branch_node.cases[0].then_node.gate_node.approve.signal_id",
        ("'n2'", "'go'", "also waited for"),
    ),
    Case(
        "a signal id an inlined subworkflow waits for too",
        one(signal_gate("n0", "go", INT), sub_node("n1", GATED)),
        f"{N1}.workflow_node.sub_workflow_id",
        ("'n1'", "'go'", f"gate 'n1' in workflow cp-tests/dev/{GATED.name}@v1"),
    ),
    Case(
        "a signal id a subworkflow's subworkflow waits for",
        one(approve_gate("n0", "go", from_input("a")), sub_node("n1", GATED_DEEP)),
        f"{N1}.workflow_node.sub_workflow_id",
        ("'n1'", "'go'", f"gate 'n1' in workflow cp-tests/dev/{GATED.name}@v1"),
    ),
    Case(
        "a subworkflow with a gate inlined twice",
        one(sub_node("n0", GATED), sub_node("n1", GATED)),
        f"{N1}.workflow_node.sub_workflow_id",
        ("'n1'", "also waited for at spec.template.nodes[0].workflow_node.sub_workflow_id"),
    ),
    Case(
        "an approval of a constant",
        one(approve_gate("n0", "ok", value(string_literal("yes")))),
        f"{N0}.inputs[0].binding",
        ("'n0'", "approve a promise or a workflow input"),
    ),
    Case(
        "a sleep with inputs",
        one(Node(id="n0", gate_node=sleep_gate("n0", 1).gate_node, inputs=add("x").inputs)),
        f"{N0}.inputs",
        ("'n0'", "takes no inputs"),
    ),
    # --- ids and policy
    Case(
        "a node id with a slash",
        one(with_node_id("n0/n1")),
        f"{N0}.id",
        ("'n0/n1'", "must match"),
    ),
    Case(
        "a case node id with a slash",
        one(branch("n0", [(positive(), with_node_id("n0/1"))])),
        f"{N0}.branch_node.cases[0].then_node.id",
        ("'n0/1'", "must match"),
    ),
    Case(
        "a case node id repeated at the top",
        one(branch("n0", [(positive(), add("n1"))]), add("n1")),
        f"{N1}.id",
        ("'n1'", "duplicate node id", "cases[0].then_node"),
    ),
    Case(
        "a plain node named as the failure node",
        one(with_node_id("on-failure")),
        f"{N0}.id",
        ("'on-failure'", "reserved for the failure node"),
    ),
    Case(
        "an unknown failure policy",
        one(add("n0"), policy=9),
        "spec.template.metadata.failure_policy",
        ("9 is not a failure policy",),
    ),
]


def register(registry: RegistryServiceStub, plan: list[tuple[Identifier, Spec]]) -> None:
    if len(plan) == 1 and isinstance(plan[0][1], WorkflowSpec):
        registry.CreateWorkflow(
            rs.CreateWorkflowRequest(id=plan[0][0], spec=plan[0][1]), timeout=10
        )
        return
    entries = []
    for identifier, spec in plan:
        if isinstance(spec, WorkflowSpec):
            request = rs.CreateWorkflowRequest(id=identifier, spec=spec)
            entries.append(rs.RegistrationEntry(workflow=request))
        else:
            plan_request = rs.CreateLaunchPlanRequest(id=identifier, spec=spec)
            entries.append(rs.RegistrationEntry(launch_plan=plan_request))
    registry.Register(rs.RegisterRequest(entries=entries), timeout=10)


def test_there_are_at_least_twenty_five_kinds() -> None:
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_malformed_spec_is_refused_naming_field_and_node(
    grpc_channel: grpc.Channel, registry: RegistryServiceStub, case: Case
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        register(registry, case.plan)
    error = caught.value
    assert error.code() == INVALID, error.details()
    details = error.details()
    assert details.startswith(f"{case.field}: "), details
    for words in case.words:
        assert words in details, details
    for identifier, spec in case.plan:
        assert_not_stored(registry, identifier, spec)
    assert_still_serving(grpc_channel, registry)


def assert_not_stored(registry: RegistryServiceStub, identifier: Identifier, spec: Spec) -> None:
    get = registry.GetWorkflow if isinstance(spec, WorkflowSpec) else registry.GetLaunchPlan
    request_type = (
        rs.GetWorkflowRequest if isinstance(spec, WorkflowSpec) else rs.GetLaunchPlanRequest
    )
    with pytest.raises(grpc.RpcError) as caught:
        get(request_type(id=identifier), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def assert_still_serving(channel: grpc.Channel, registry: RegistryServiceStub) -> None:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    good = workflow_id(unique("good"))
    spec = spec_of(branch("n0", [(positive(), add("n1"))], else_node=add("n2")))
    created = registry.CreateWorkflow(rs.CreateWorkflowRequest(id=good, spec=spec), timeout=10)
    assert created.created
    assert list(created.workflow.closure.node_order) == ["n0"]
