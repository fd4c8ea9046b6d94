"""Registering every node kind over a real server: the closure (tasks at any depth,
subworkflows, launch plans, the order of the top-level nodes) and the types downstream nodes
see (a branch's, a map's, a subworkflow's, a gate's outputs, attribute paths)."""

from __future__ import annotations

import grpc
import pytest
from cp_support import (
    INT,
    STR,
    from_input,
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
from language_support import (
    approve_gate,
    attr,
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
from graven.types import optional_of
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import Identifier
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub
from graven.v1.types_pb2 import (
    SIMPLE_TYPE_BOOLEAN,
    LiteralType,
    StructuredField,
    StructuredType,
)
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_GT,
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    Workflow,
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

ADD = task_id(unique("add"))
TRIPLE = task_id(unique("triple"))
BIG = task_id(unique("big"))
RANGE = task_id(unique("range"))
SUM = task_id(unique("sum"))
SUM_MAYBE = task_id(unique("sum-maybe"))
POINT_OF = task_id(unique("point"))
SHOUT = task_id(unique("shout"))
CLEANUP = task_id(unique("cleanup"))
INNER = workflow_id(unique("inner"))
MIDDLE = workflow_id(unique("middle"))
INNER_PLAN = launch_plan_id(unique("inner-plan"))
OPTIONAL_INTS = LiteralType(collection_type=optional_of(INT))
TASKS = [
    (ADD, task_spec([var("x", INT), var("y", INT, int_literal(1))], [var("out", INT)], "add")),
    (TRIPLE, task_spec([var("x", INT)], [var("out", INT)], "triple")),
    (BIG, task_spec([var("x", INT)], [var("big", BOOL)], "big")),
    (RANGE, task_spec([var("n", INT)], [var("xs", INTS)], "range")),
    (SUM, task_spec([var("xs", INTS)], [var("total", INT)], "sum")),
    (SUM_MAYBE, task_spec([var("xs", OPTIONAL_INTS)], [var("total", INT)], "sum_maybe")),
    (POINT_OF, task_spec([var("x", INT)], [var("p", POINT)], "point")),
    (SHOUT, task_spec([var("text", STR)], [var("loud", STR)], "shout")),
    (CLEANUP, task_spec([var("a", INT), var("error", WORKFLOW_ERROR_TYPE)], [], "cleanup")),
]


def create(registry: RegistryServiceStub, identifier: Identifier, spec: WorkflowSpec) -> Workflow:
    return registry.CreateWorkflow(rs.CreateWorkflowRequest(id=identifier, spec=spec)).workflow


@pytest.fixture(scope="module", autouse=True)
def _registered(registry: RegistryServiceStub) -> None:
    for identifier, spec in TASKS:
        registry.CreateTask(rs.CreateTaskRequest(id=identifier, spec=spec))
    inner = workflow_spec(
        [node("n0", ADD, x=from_input("a"))],
        inputs=[var("a", INT), var("b", INT, int_literal(2))],
        outputs=[(var("r", INT), promise("n0", "out"))],
    )
    create(registry, INNER, inner)
    registry.CreateLaunchPlan(
        rs.CreateLaunchPlanRequest(
            id=INNER_PLAN, spec=launch_plan_spec(INNER, fixed={"b": int_literal(3)})
        )
    )
    # A subworkflow that itself inlines INNER, maps TRIPLE and starts INNER_PLAN.
    middle = workflow_spec(
        [
            sub_node("n0", INNER, a=from_input("a")),
            node("n1", RANGE, n=promise("n0", "r")),
            map_node("n2", TRIPLE, ["x"], x=promise("n1", "xs")),
            plan_node("n3", INNER_PLAN, a=from_input("a")),
        ],
        inputs=[var("a", INT)],
        outputs=[(var("tripled", INTS), promise("n2", "out")), (var("r", INT), promise("n3", "r"))],
    )
    create(registry, MIDDLE, middle)


def names(workflow: Workflow) -> list[str]:
    return [task.id.name for task in workflow.closure.tasks]


def test_a_branch_compiles_its_case_nodes_into_the_closure(registry: RegistryServiceStub) -> None:
    spec = workflow_spec(
        [
            # Declared last, run last: it reads the branch.
            node("n4", ADD, x=promise("n1", "out")),
            node("n0", BIG, x=from_input("a")),
            branch(
                "n1",
                [
                    (is_true(promise("n0", "big")), node("n2", ADD, x=promise("n5", "out"))),
                ],
                else_node=node("n3", TRIPLE, x=from_input("a")),
            ),
            node("n5", ADD, x=from_input("a")),
        ],
        inputs=[var("a", INT)],
        outputs=[(var("r", INT), promise("n4", "out"))],
    )
    workflow = create(registry, workflow_id(unique("w")), spec)
    # The condition's promise (n0) and the case node's (n5) both order the branch.
    assert list(workflow.closure.node_order) == ["n0", "n5", "n1", "n4"]
    assert names(workflow) == [ADD.name, BIG.name, TRIPLE.name]
    stored = registry.GetWorkflow(rs.GetWorkflowRequest(id=workflow.id)).workflow
    assert stored.closure == workflow.closure


def test_a_nested_branch_gives_its_outputs_up_through_the_outer_one(
    registry: RegistryServiceStub,
) -> None:
    inner = branch(
        "n2",
        [
            (
                compare(COMPARISON_OPERATOR_GT, from_input("a"), value(int_literal(10))),
                node("n3", TRIPLE, x=from_input("a")),
            )
        ],
        else_fail="too small",
    )
    spec = workflow_spec(
        [
            branch(
                "n1",
                [(compare(COMPARISON_OPERATOR_GT, from_input("a"), value(int_literal(0))), inner)],
                else_node=node("n4", ADD, x=from_input("a")),
            ),
            node("n5", SHOUT, text=from_input("s")),
        ],
        inputs=[var("a", INT), var("s", STR)],
        outputs=[(var("r", INT), promise("n1", "out"))],
    )
    workflow = create(registry, workflow_id(unique("w")), spec)
    assert list(workflow.closure.node_order) == ["n1", "n5"]
    assert names(workflow) == [TRIPLE.name, ADD.name, SHOUT.name]


def test_a_branch_without_an_else_has_no_outputs(registry: RegistryServiceStub) -> None:
    cases = [
        (
            compare(COMPARISON_OPERATOR_GT, from_input("a"), value(int_literal(0))),
            node("n2", SHOUT, text=value(string_literal("positive"))),
        )
    ]
    ok = workflow_spec([branch("n1", cases)], inputs=[var("a", INT)])
    assert list(create(registry, workflow_id(unique("w")), ok).closure.node_order) == ["n1"]
    reads = workflow_spec(
        [branch("n1", cases), node("n3", SHOUT, text=promise("n1", "loud"))],
        inputs=[var("a", INT)],
    )
    with pytest.raises(grpc.RpcError) as caught:
        create(registry, workflow_id(unique("w")), reads)
    assert caught.value.details().startswith(
        "spec.template.nodes[1].inputs[0].binding.promise.output_name:"
    )
    assert "node 'n1' has no output 'loud'" in caught.value.details()


def test_a_map_gives_lists_and_optional_elements_below_a_ratio_of_one(
    registry: RegistryServiceStub,
) -> None:
    def mapped(ratio: float | None, consumer: Identifier) -> WorkflowSpec:
        return workflow_spec(
            [
                node("n0", RANGE, n=from_input("n")),
                map_node("n1", ADD, ["x"], ratio, 4, x=promise("n0", "xs"), y=from_input("n")),
                node("n2", consumer, xs=promise("n1", "out")),
            ],
            inputs=[var("n", INT)],
            outputs=[(var("total", INT), promise("n2", "total"))],
        )

    for ratio in (None, 1.0):
        workflow = create(registry, workflow_id(unique("w")), mapped(ratio, SUM))
        assert list(workflow.closure.node_order) == ["n0", "n1", "n2"]
        assert names(workflow) == [RANGE.name, ADD.name, SUM.name]
    create(registry, workflow_id(unique("w")), mapped(0.5, SUM_MAYBE))
    with pytest.raises(grpc.RpcError) as caught:
        create(registry, workflow_id(unique("w")), mapped(0.5, SUM))
    assert caught.value.details().startswith("spec.template.nodes[2].inputs[0].binding.promise:")
    assert "expected list[int], got list[Optional[int]]" in caught.value.details()


def test_subworkflows_bring_their_closures_at_any_depth(registry: RegistryServiceStub) -> None:
    spec = workflow_spec(
        [sub_node("n0", MIDDLE, a=from_input("a")), node("n1", SUM, xs=promise("n0", "tripled"))],
        inputs=[var("a", INT)],
        outputs=[(var("r", INT), promise("n0", "r")), (var("total", INT), promise("n1", "total"))],
    )
    workflow = create(registry, workflow_id(unique("outer")), spec)
    closure = workflow.closure
    assert list(closure.node_order) == ["n0", "n1"]
    assert [w.id for w in closure.sub_workflows] == [MIDDLE, INNER]
    middle = registry.GetWorkflow(rs.GetWorkflowRequest(id=MIDDLE)).workflow
    assert closure.sub_workflows[0] == middle
    assert [w.id for w in middle.closure.sub_workflows] == [INNER]
    assert [lp.id for lp in closure.launch_plans] == [INNER_PLAN]
    # MIDDLE's tasks (INNER's ADD among them), then the outer workflow's own.
    assert names(workflow) == [ADD.name, RANGE.name, TRIPLE.name, SUM.name]


def test_a_launch_plan_node_binds_the_plans_interface(registry: RegistryServiceStub) -> None:
    spec = workflow_spec(
        [plan_node("n0", INNER_PLAN, a=from_input("a")), node("n1", TRIPLE, x=promise("n0", "r"))],
        inputs=[var("a", INT)],
    )
    workflow = create(registry, workflow_id(unique("w")), spec)
    assert [lp.id for lp in workflow.closure.launch_plans] == [INNER_PLAN]
    assert list(workflow.closure.sub_workflows) == []
    # The plan's workflow is a child execution: its tasks are not this workflow's.
    assert names(workflow) == [TRIPLE.name]
    # "b" is fixed by the plan, so the node cannot bind it.
    fixed = workflow_spec(
        [plan_node("n0", INNER_PLAN, a=from_input("a"), b=from_input("a"))],
        inputs=[var("a", INT)],
    )
    with pytest.raises(grpc.RpcError) as caught:
        create(registry, workflow_id(unique("w")), fixed)
    assert caught.value.details().startswith("spec.template.nodes[0].inputs[1].name:")
    assert "node 'n0'" in caught.value.details()


def test_gates_give_their_outputs_and_order_by_upstream_ids(
    registry: RegistryServiceStub,
) -> None:
    spec = workflow_spec(
        [
            node("n3", ADD, x=promise("n2", "o0"), y=promise("n1", "o0")),
            approve_gate("n2", "publish", attr(promise("n4", "p"), "x")),
            signal_gate("n1", "threshold", INT),
            sleep_gate("n0", 5),
            node("n4", POINT_OF, upstream=["n0"], x=from_input("a")),
        ],
        inputs=[var("a", INT)],
        outputs=[(var("r", INT), promise("n3", "out"))],
    )
    workflow = create(registry, workflow_id(unique("w")), spec)
    assert list(workflow.closure.node_order) == ["n1", "n0", "n4", "n2", "n3"]
    assert names(workflow) == [ADD.name, POINT_OF.name]


def test_the_failure_node_and_its_task_are_in_the_closure_not_the_order(
    registry: RegistryServiceStub,
) -> None:
    spec = workflow_spec(
        [node("n0", TRIPLE, x=from_input("a"))],
        inputs=[var("a", INT)],
    )
    spec.template.failure_node.CopyFrom(failure_task(CLEANUP, a=from_input("a"), error=the_error()))
    spec.template.metadata.failure_policy = FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
    workflow = create(registry, workflow_id(unique("w")), spec)
    assert list(workflow.closure.node_order) == ["n0"]
    assert names(workflow) == [TRIPLE.name, CLEANUP.name]


def test_a_subworkflow_may_be_the_failure_node(registry: RegistryServiceStub) -> None:
    spec = workflow_spec([node("n0", TRIPLE, x=from_input("a"))], inputs=[var("a", INT)])
    spec.template.failure_node.CopyFrom(sub_node("on-failure", INNER, a=from_input("a")))
    workflow = create(registry, workflow_id(unique("w")), spec)
    assert [w.id for w in workflow.closure.sub_workflows] == [INNER]
    assert names(workflow) == [TRIPLE.name, ADD.name]


def test_attribute_paths_type_check_downstream(registry: RegistryServiceStub) -> None:
    spec = workflow_spec(
        [
            node("n0", POINT_OF, x=from_input("a")),
            node("n1", RANGE, n=attr(promise("n0", "p"), "y")),
            node("n2", TRIPLE, x=attr(promise("n1", "xs"), 0)),
            node("n3", TRIPLE, x=attr(from_input("pts"), "k", "x")),
        ],
        inputs=[var("a", INT), var("pts", LiteralType(map_value_type=POINT))],
        outputs=[(var("first", INT), attr(promise("n1", "xs"), 2))],
    )
    workflow = create(registry, workflow_id(unique("w")), spec)
    assert list(workflow.closure.node_order) == ["n0", "n1", "n2", "n3"]


def test_a_batch_registers_a_subworkflow_before_the_workflow_using_it(
    registry: RegistryServiceStub,
) -> None:
    inner, outer = workflow_id(unique("in")), workflow_id(unique("out"))
    inner_spec = workflow_spec(
        [node("n0", TRIPLE, x=from_input("a"))],
        inputs=[var("a", INT)],
        outputs=[(var("r", INT), promise("n0", "out"))],
    )
    outer_spec = workflow_spec([sub_node("n0", inner, a=from_input("a"))], inputs=[var("a", INT)])
    request = rs.RegisterRequest(
        entries=[
            rs.RegistrationEntry(workflow=rs.CreateWorkflowRequest(id=inner, spec=inner_spec)),
            rs.RegistrationEntry(workflow=rs.CreateWorkflowRequest(id=outer, spec=outer_spec)),
        ]
    )
    assert [e.created for e in registry.Register(request).entities] == [True, True]
    stored = registry.GetWorkflow(rs.GetWorkflowRequest(id=outer)).workflow
    assert [w.id for w in stored.closure.sub_workflows] == [inner]
    assert names(stored) == [TRIPLE.name]
