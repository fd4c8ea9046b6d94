"""The registration rules, without a server: specs in, closures or InvalidArgument out."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from cp_support import (
    FLOAT,
    INT,
    STR,
    from_input,
    items,
    launch_plan_spec,
    node,
    promise,
    task_id,
    task_spec,
    value,
    var,
    workflow_id,
    workflow_spec,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from language_support import (
    approve_gate,
    attr,
    both,
    branch,
    compare,
    either,
    is_true,
    map_node,
    signal_gate,
    sub_node,
)

from graven.conditions import SYMBOLS, evaluate
from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.compiler import (
    Resolvers,
    compile_launch_plan,
    compile_task,
    compile_workflow,
)
from graven.control_plane.service.compiler_conditions import fold
from graven.control_plane.service.compiler_walk import condition_operands
from graven.literals import collection_literal, int_literal, string_literal
from graven.types import optional_of
from graven.v1.identifier_pb2 import Identifier
from graven.v1.interface_pb2 import Variable
from graven.v1.task_pb2 import Task, TaskSpec
from graven.v1.types_pb2 import SIMPLE_TYPE_BOOLEAN, LiteralType, UnionType
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_GT,
    BindingData,
    BooleanExpression,
    Workflow,
    WorkflowSpec,
)

ADD = task_id("add")
SHOUT = task_id("shout")
LISTS = task_id("total")
BIGGER = task_id("bigger")
TASKS = {
    "bigger": task_spec(
        [var("x", INT)], [var("big", LiteralType(simple=SIMPLE_TYPE_BOOLEAN))], "bigger"
    ),
    "add": task_spec([var("x", INT), var("y", INT, int_literal(1))], [var("out", INT)]),
    "shout": task_spec([var("text", STR)], [var("loud", STR)]),
    "total": task_spec([var("values", LiteralType(collection_type=INT))], [var("out", INT)]),
}


def resolve_task(identifiers: Sequence[Identifier]) -> list[Task]:
    return [
        Task(id=i, spec=TASKS[i.name]) for i in identifiers if i.name in TASKS and i.version == "v1"
    ]


def compile_(spec: WorkflowSpec) -> list[str]:
    return list(compile_workflow(spec, Resolvers(resolve_task)).node_order)


def field_of(spec: WorkflowSpec) -> str:
    with pytest.raises(InvalidArgument) as caught:
        compile_workflow(spec, Resolvers(resolve_task))
    return caught.value.field


def chain(*node_ids: str) -> list:
    """add nodes where each takes the previous one's output (the first takes input a)."""
    nodes = [node(node_ids[0], ADD, x=from_input("a"))]
    nodes += [node(n, ADD, x=promise(prev, "out")) for prev, n in itertools.pairwise(node_ids)]
    return nodes


# --- tasks ----------------------------------------------------------------------------------


def test_a_valid_task_compiles() -> None:
    assert compile_task(TASKS["add"]) is not None


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (TaskSpec(), "spec.template"),
        (task_spec([var("x", INT), var("x", STR)]), "spec.template.interface.inputs[1].name"),
        (task_spec([var("not-an-identifier", INT)]), "spec.template.interface.inputs[0].name"),
        (task_spec([Variable(name="x")]), "spec.template.interface.inputs[0].type"),
        (
            task_spec([var("x", INT, string_literal("one"))]),
            "spec.template.interface.inputs[0].default",
        ),
        (
            task_spec(outputs=[var("o", INT, int_literal(1))]),
            "spec.template.interface.outputs[0].default",
        ),
        (
            task_spec([var("x", LiteralType(union_type=UnionType(variants=[INT])))]),
            "spec.template.interface.inputs[0].type.union_type.variants",
        ),
    ],
)
def test_a_malformed_task_names_the_field(spec: TaskSpec, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        compile_task(spec)
    assert caught.value.field == field


def test_a_default_with_a_forged_hash_is_rejected() -> None:
    default = int_literal(1)
    default.hash = int_literal(2).hash
    with pytest.raises(InvalidArgument, match="content hash") as caught:
        compile_task(task_spec([var("x", INT, default)]))
    assert caught.value.field == "spec.template.interface.inputs[0].default.hash"


def test_task_code_and_metadata_are_checked() -> None:
    spec = task_spec([var("x", INT)])
    spec.template.code.module = "not a module"
    with pytest.raises(InvalidArgument, match="dotted Python name"):
        compile_task(spec)
    spec = task_spec([var("x", INT)])
    spec.template.metadata.cache.ignore_inputs.append("nope")
    with pytest.raises(InvalidArgument) as caught:
        compile_task(spec)
    assert caught.value.field == "spec.template.metadata.cache.ignore_inputs[0]"
    spec = task_spec()
    spec.template.metadata.resources.custom["gpu-a100"] = float("nan")
    with pytest.raises(InvalidArgument) as caught:
        compile_task(spec)
    assert caught.value.field == "spec.template.metadata.resources.custom[gpu-a100]"


# --- workflows ------------------------------------------------------------------------------


def test_the_closure_holds_each_task_once_and_a_topological_order() -> None:
    spec = workflow_spec(
        # Declared out of order: n3 reads n2, which reads n1.
        [
            node("n3", ADD, x=promise("n2", "out"), y=promise("n1", "out")),
            node("n1", ADD, x=from_input("a")),
            node("n2", ADD, x=promise("n1", "out")),
            node("s", SHOUT, text=value(string_literal("hi"))),
        ],
        inputs=[var("a", INT)],
        outputs=[(var("result", INT), promise("n3", "out"))],
    )
    closure = compile_workflow(spec, Resolvers(resolve_task))
    assert list(closure.node_order) == ["n1", "n2", "n3", "s"]
    assert [t.id.name for t in closure.tasks] == ["add", "shout"]
    assert closure.tasks[0].spec == TASKS["add"]


def test_independent_nodes_keep_their_declared_order() -> None:
    spec = workflow_spec([node(f"n{i}", SHOUT, text=from_input("t")) for i in (3, 1, 2)])
    spec.template.interface.inputs.append(var("t", STR))
    assert compile_(spec) == ["n3", "n1", "n2"]


def test_upstream_node_ids_order_nodes_without_data() -> None:
    spec = workflow_spec(
        [node("late", ADD, upstream=["early"], x=value(int_literal(1))), *chain("early")],
        inputs=[var("a", INT)],
    )
    assert compile_(spec) == ["early", "late"]


def test_a_cycle_is_named() -> None:
    spec = workflow_spec(
        [
            node("a", ADD, x=promise("c", "out")),
            node("b", ADD, x=promise("a", "out")),
            node("c", ADD, x=promise("b", "out")),
            node("d", ADD, x=promise("c", "out")),
        ]
    )
    with pytest.raises(InvalidArgument) as caught:
        compile_workflow(spec, Resolvers(resolve_task))
    assert caught.value.field == "spec.template.nodes"
    assert "cycle: a -> b -> c -> a" in str(caught.value)


def test_a_node_reading_itself_is_a_cycle() -> None:
    spec = workflow_spec([node("a", ADD, x=promise("a", "out"))])
    with pytest.raises(InvalidArgument, match="cycle: a -> a"):
        compile_workflow(spec, Resolvers(resolve_task))


def test_a_long_chain_compiles_in_order() -> None:
    ids = [f"n{i}" for i in range(500)]
    spec = workflow_spec(chain(*reversed(ids)), inputs=[var("a", INT)])
    assert compile_(spec) == list(reversed(ids))


@pytest.mark.parametrize(
    ("nodes", "field", "words"),
    [
        ([], "spec.template.nodes", "at least one node"),
        (
            [node("n", task_id("missing"))],
            "spec.template.nodes[0].task_node.task_id",
            "not registered",
        ),
        (
            [node("n", task_id("add", version="v2"), x=from_input("a"))],
            "spec.template.nodes[0].task_node.task_id",
            "add@v2",
        ),
        (
            [node("n", ADD, x=from_input("a")), node("n", ADD, x=from_input("a"))],
            "spec.template.nodes[1].id",
            "duplicate node id",
        ),
        ([node("bad id", ADD, x=from_input("a"))], "spec.template.nodes[0].id", "must match"),
        ([node("n", ADD)], "spec.template.nodes[0].inputs", "missing input binding(s) for 'x'"),
        (
            [node("n", ADD, x=from_input("a"), z=from_input("a"))],
            "spec.template.nodes[0].inputs[1].name",
            "has no input 'z'; its inputs are 'x', 'y'",
        ),
        (
            [node("n", ADD, x=promise("ghost", "out"))],
            "spec.template.nodes[0].inputs[0].binding.promise.node_id",
            "no node 'ghost'",
        ),
        (
            [*chain("m"), node("n", ADD, x=promise("m", "nope"))],
            "spec.template.nodes[1].inputs[0].binding.promise.output_name",
            "has no output 'nope'",
        ),
        (
            [node("s", SHOUT, text=from_input("t")), node("n", ADD, x=promise("s", "loud"))],
            "spec.template.nodes[1].inputs[0].binding.promise",
            "expected int, got str",
        ),
        (
            [node("n", ADD, x=from_input("b"))],
            "spec.template.nodes[0].inputs[0].binding.workflow_input",
            "no input 'b'",
        ),
        (
            [node("n", ADD, x=from_input("f"))],
            "spec.template.nodes[0].inputs[0].binding.workflow_input",
            "expected int, got float",
        ),
        (
            [node("n", ADD, x=value(string_literal("1")))],
            "spec.template.nodes[0].inputs[0].binding.literal",
            "not a value of type int",
        ),
        (
            [node("n", ADD, x=items(from_input("a")))],
            "spec.template.nodes[0].inputs[0].binding.collection",
            "a list cannot bind to int",
        ),
        (
            [node("n", LISTS, values=items(from_input("a"), from_input("t")))],
            "spec.template.nodes[0].inputs[0].binding.collection.bindings[1].workflow_input",
            "expected int, got str",
        ),
        (
            [node("n", ADD, upstream=["ghost"], x=from_input("a"))],
            "spec.template.nodes[0].upstream_node_ids[0]",
            "no node 'ghost'",
        ),
    ],
)
def test_a_malformed_workflow_names_the_field(nodes: list, field: str, words: str) -> None:
    spec = workflow_spec(nodes, inputs=[var("a", INT), var("f", FLOAT), var("t", STR)])
    with pytest.raises(InvalidArgument) as caught:
        compile_workflow(spec, Resolvers(resolve_task))
    assert caught.value.field == field
    assert words in str(caught.value)


def test_list_bindings_type_check_each_item() -> None:
    spec = workflow_spec(
        [*chain("m"), node("n", LISTS, values=items(promise("m", "out"), from_input("a")))],
        inputs=[var("a", INT)],
    )
    assert compile_(spec) == ["m", "n"]


def test_an_optional_input_takes_a_plain_value_but_not_the_reverse() -> None:
    spec = workflow_spec(
        [node("n", ADD, x=from_input("maybe"))], inputs=[var("maybe", optional_of(INT))]
    )
    with pytest.raises(InvalidArgument, match="may be None"):
        compile_workflow(spec, Resolvers(resolve_task))


def test_workflow_outputs_are_bound_exactly_once() -> None:
    spec = workflow_spec(
        chain("n"), inputs=[var("a", INT)], outputs=[(var("r", INT), promise("n", "out"))]
    )
    spec.template.interface.outputs.append(var("unbound", INT))
    assert field_of(spec) == "spec.template.outputs"
    spec = workflow_spec(
        chain("n"), inputs=[var("a", INT)], outputs=[(var("r", STR), promise("n", "out"))]
    )
    assert field_of(spec) == "spec.template.outputs[0].binding.promise"


def test_tasks_are_resolved_in_one_call_each_once() -> None:
    asked: list[list[str]] = []

    def counting(identifiers: Sequence[Identifier]) -> list[Task]:
        asked.append([i.name for i in identifiers])
        return resolve_task(identifiers)

    nodes = [*chain("a", "b"), node("s", SHOUT, text=value(string_literal("x")))]
    compile_workflow(workflow_spec(nodes, inputs=[var("a", INT)]), Resolvers(counting))
    assert asked == [["add", "shout"]]


# --- launch plans ---------------------------------------------------------------------------

WORKFLOW = workflow_spec(
    [node("n", ADD, x=from_input("a"), y=from_input("b"))],
    inputs=[var("a", INT), var("b", INT, int_literal(5)), var("c", STR)],
    outputs=[(var("out", INT), promise("n", "out"))],
)


def resolve_workflow(identifier: Identifier) -> Workflow | None:
    return Workflow(id=identifier, spec=WORKFLOW) if identifier.name == "wf" else None


def test_the_expected_interface_drops_fixed_inputs_and_applies_defaults() -> None:
    spec = launch_plan_spec(
        workflow_id("wf"), defaults={"b": int_literal(7)}, fixed={"a": int_literal(1)}
    )
    interface = compile_launch_plan(spec, resolve_workflow).expected_interface
    assert [v.name for v in interface.inputs] == ["b", "c"]
    assert interface.inputs[0].default == int_literal(7)
    assert not interface.inputs[1].HasField("default")
    assert list(interface.outputs) == list(WORKFLOW.template.interface.outputs)


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (launch_plan_spec(workflow_id("other")), "spec.workflow_id", "not registered"),
        (launch_plan_spec(task_id("wf")), "spec.workflow_id.resource_type", "WORKFLOW"),
        (
            launch_plan_spec(workflow_id("wf"), defaults={"z": int_literal(1)}),
            "spec.default_inputs.literals[z]",
            "has no input 'z'",
        ),
        (
            launch_plan_spec(workflow_id("wf"), fixed={"c": int_literal(1)}),
            "spec.fixed_inputs.literals[c]",
            "not a value of type str",
        ),
        (
            launch_plan_spec(
                workflow_id("wf"), defaults={"a": int_literal(1)}, fixed={"a": int_literal(2)}
            ),
            "spec.fixed_inputs.literals[a]",
            "either fixed or defaulted",
        ),
        (
            launch_plan_spec(
                workflow_id("wf"), defaults={"a": collection_literal([int_literal(1)])}
            ),
            "spec.default_inputs.literals[a]",
            "not a value of type int",
        ),
    ],
)
def test_a_malformed_launch_plan_names_the_field(spec, field: str, words: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        compile_launch_plan(spec, resolve_workflow)
    assert caught.value.field == field
    assert words in str(caught.value)


# --- the workflow language ------------------------------------------------------------------


def comparison(operator: int, left: BindingData, right: BindingData) -> BooleanExpression:
    return compare(operator, left, right)


def test_every_task_at_any_depth_is_resolved_in_one_call() -> None:
    asked: list[list[str]] = []

    def counting(identifiers: Sequence[Identifier]) -> list[Task]:
        asked.append([i.name for i in identifiers])
        return resolve_task(identifiers)

    positive = comparison(COMPARISON_OPERATOR_GT, from_input("a"), value(int_literal(0)))
    spec = workflow_spec(
        [
            branch(
                "n0",
                [(positive, branch("n1", [(positive, node("n2", SHOUT, text=from_input("t")))]))],
            ),
            map_node("n3", ADD, ["x"], x=from_input("xs")),
        ],
        inputs=[var("a", INT), var("t", STR), var("xs", LiteralType(collection_type=INT))],
    )
    spec.template.failure_node.CopyFrom(node("on-failure", LISTS, values=from_input("xs")))
    closure = compile_workflow(spec, Resolvers(counting))
    assert asked == [["shout", "add", "total"]]
    assert [t.id.name for t in closure.tasks] == ["shout", "add", "total"]
    assert list(closure.node_order) == ["n0", "n3"]


def test_recursion_is_found_through_entries_not_stored_yet() -> None:
    """A -> B -> C -> A, where B and C come later in the same registration."""
    a, b, c = workflow_id("a"), workflow_id("b"), workflow_id("c")

    def calls(callee: Identifier) -> WorkflowSpec:
        return workflow_spec([sub_node("n0", callee, x=from_input("x"))], inputs=[var("x", INT)])

    pending = {"a": calls(b), "b": calls(c), "c": calls(a)}
    resolvers = Resolvers(resolve_task, pending=lambda i: pending.get(i.name))
    with pytest.raises(InvalidArgument) as caught:
        compile_workflow(pending["a"], resolvers, registering=a)
    assert caught.value.field == "spec.template.nodes[0].workflow_node.sub_workflow_id"
    assert "cp-tests/dev/a@v1 -> workflow cp-tests/dev/b@v1 -> workflow cp-tests/dev/c@v1 -> " in (
        str(caught.value)
    )
    # Without the cycle, the same reference is an entry out of order.
    pending["c"] = workflow_spec(chain("n0"), inputs=[var("a", INT)])
    with pytest.raises(InvalidArgument, match="creates later"):
        compile_workflow(pending["a"], resolvers, registering=a)


def test_gate_and_map_outputs_reach_downstream_types() -> None:
    spec = workflow_spec(
        [
            map_node("n0", ADD, ["x"], 0.9, x=from_input("xs")),
            approve_gate("n1", "ok", attr(promise("n0", "out"), 0)),
            signal_gate("n2", "more", INT),
            node("n3", ADD, x=promise("n2", "o0")),
        ],
        inputs=[var("xs", LiteralType(collection_type=INT))],
        outputs=[(var("first", optional_of(INT)), promise("n1", "o0"))],
    )
    assert compile_(spec) == ["n0", "n1", "n2", "n3"]
    # The approved value is an Optional[int] (a map below a ratio of 1): not an int.
    spec.template.nodes[3].inputs[0].binding.CopyFrom(promise("n1", "o0"))
    assert field_of(spec) == "spec.template.nodes[3].inputs[0].binding.promise"


def test_a_case_node_may_read_upstream_nodes_which_order_the_branch() -> None:
    spec = workflow_spec(
        [
            branch(
                "b",
                [(is_true(promise("flag", "big")), node("c", ADD, x=promise("m", "out")))],
                else_node=node("d", ADD, x=from_input("a"), upstream=["late"]),
            ),
            node("late", SHOUT, text=from_input("t")),
            node("m", ADD, x=from_input("a")),
            node("flag", BIGGER, x=from_input("a")),
        ],
        inputs=[var("a", INT), var("t", STR)],
    )
    assert compile_(spec) == ["late", "m", "flag", "b"]
    spec.template.nodes[2].inputs[0].binding.CopyFrom(promise("b", "out"))
    with pytest.raises(InvalidArgument, match="cycle: b -> m -> b"):
        compile_workflow(spec, Resolvers(resolve_task))


# Leaves over one int input ``a`` or constants, joined by & and |.
LEAVES = st.tuples(
    st.sampled_from(sorted(SYMBOLS)),
    st.one_of(st.just(None), st.integers(-2, 2)),
    st.integers(-2, 2),
).map(
    lambda t: comparison(
        t[0],
        from_input("a") if t[1] is None else value(int_literal(t[1])),
        value(int_literal(t[2])),
    )
)
EXPRESSIONS = st.recursive(
    LEAVES,
    lambda inner: st.builds(both, inner, inner) | st.builds(either, inner, inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_folding_agrees_with_every_run(expression: BooleanExpression) -> None:
    """What registration decides about a condition holds for every value at run time."""
    folded = fold(expression)
    outcomes = {
        evaluate(expression, lambda d, a=a: d.literal if d.HasField("literal") else int_literal(a))
        for a in range(-3, 4)
    }
    if folded is not None:
        assert outcomes == {folded}
    if not any(d.HasField("workflow_input") for d in condition_operands(expression)):
        assert folded is not None
