"""The workflow language in the CLI: `graven executions get` shows nested node executions as a
tree named by their kind, and `graven run PATH:LAUNCH_PLAN` launches a launch plan."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_support import token_for
from cli_language_support import (
    INT,
    PlaneClient,
    agent_stack,
    ident,
    node_event,
    private_plane,
    write_package,
)
from google.protobuf.duration_pb2 import Duration
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_registry import EXAMPLE, assert_one_line_error, graven

from graven.cli import node_tree
from graven.control_plane.app import ControlPlane
from graven.literals import to_python
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1 import workflow_pb2 as wf
from graven.v1.interface_pb2 import TypedInterface, Variable

# --- the tree, from a spec and node executions built by hand ------------------------------

LOAD = ident(idl.RESOURCE_TYPE_TASK, "t.load")
BIG = ident(idl.RESOURCE_TYPE_TASK, "t.big")
SMALL = ident(idl.RESOURCE_TYPE_TASK, "t.small")
FEATURE = ident(idl.RESOURCE_TYPE_TASK, "t.feature")
TRAIN = ident(idl.RESOURCE_TYPE_TASK, "t.train")
CLEAN = ident(idl.RESOURCE_TYPE_TASK, "t.clean")
SUB = ident(idl.RESOURCE_TYPE_WORKFLOW, "w.training")
PLAN = ident(idl.RESOURCE_TYPE_LAUNCH_PLAN, "w.publish")
TOP = ident(idl.RESOURCE_TYPE_WORKFLOW, "w.pipeline")
CHILD = idl.ExecutionIdentifier(project="p", domain="d", name="child-of-n6")


def task(node_id: str, task_id: idl.Identifier) -> wf.Node:
    return wf.Node(id=node_id, task_node=wf.TaskNode(task_id=task_id))


def gate_signal(node_id: str, name: str) -> wf.Node:
    gate = wf.GateNode(signal=wf.SignalCondition(signal_id=name, type=INT))
    return wf.Node(id=node_id, gate_node=gate)


def pipeline() -> wf.Workflow:
    """n0 task; n1 branch (n2 if, n3 else); n4 map; n5 subworkflow (its n0 task, n1 gate);
    n6 launch plan; n7 approval with a timeout; on-failure task."""
    branch = wf.BranchNode(
        cases=[wf.BranchCase(then_node=task("n2", BIG))], else_node=task("n3", SMALL)
    )
    approve = wf.GateNode(
        approve=wf.ApproveCondition(signal_id="ship"), timeout=Duration(seconds=3600)
    )
    template = wf.WorkflowTemplate(
        nodes=[
            task("n0", LOAD),
            wf.Node(id="n1", metadata=wf.NodeMetadata(name="size"), branch_node=branch),
            wf.Node(id="n4", array_node=wf.ArrayNode(task_id=FEATURE, mapped_inputs=["x"])),
            wf.Node(id="n5", workflow_node=wf.WorkflowNode(sub_workflow_id=SUB)),
            wf.Node(id="n6", workflow_node=wf.WorkflowNode(launch_plan_id=PLAN)),
            wf.Node(id="n7", gate_node=approve),
        ],
        failure_node=task("on-failure", CLEAN),
    )
    sub = wf.Workflow(
        id=SUB,
        spec=wf.WorkflowSpec(
            template=wf.WorkflowTemplate(nodes=[task("n0", TRAIN), gate_signal("n1", "lr")])
        ),
    )
    return wf.Workflow(
        id=TOP,
        spec=wf.WorkflowSpec(template=template),
        closure=wf.WorkflowClosure(sub_workflows=[sub]),
    )


S, F, K, R = (
    ex.NODE_PHASE_SUCCEEDED,
    ex.NODE_PHASE_FAILED,
    ex.NODE_PHASE_SKIPPED,
    ex.NODE_PHASE_RUNNING,
)
ELEMENT_PHASES = [S, S, F, S, S, S, S, S, S, S, F, S]  # n4/2 and n4/10 failed


def reported() -> list[ex.NodeExecution]:
    """What ListNodeExecutions answers for the pipeline, in an order of the server's own."""

    def n(
        node_id: str, phase: ex.NodePhase, parent: str = "", **fields: object
    ) -> ex.NodeExecution:
        execution = idl.ExecutionIdentifier(project="p", domain="d", name="run")
        return ex.NodeExecution(
            id=idl.NodeExecutionIdentifier(execution_id=execution, node_id=node_id),
            phase=phase,
            parent_node_id=parent,
            **fields,  # type: ignore[arg-type]
        )

    nodes = [
        n("n0", S, task_id=LOAD),
        n("n1", S),
        n("n1/n2", K, "n1", task_id=BIG),
        n("n1/n3", S, "n1", task_id=SMALL),
        n("n4", F),
        *(n(f"n4/{i}", p, "n4", task_id=FEATURE) for i, p in enumerate(ELEMENT_PHASES)),
        n("n5", R),
        n("n5/n0", S, "n5", task_id=TRAIN),
        n("n5/n1", R, "n5"),
        n("n6", R, child_execution_id=CHILD),
        n("n7", ex.NODE_PHASE_QUEUED),
        n("on-failure", ex.NODE_PHASE_QUEUED, task_id=CLEAN),
    ]
    # Lexicographic, as a database orders strings: n4/10 before n4/2.
    return sorted(nodes, key=lambda node: node.id.node_id)


def shape(rows: list[node_tree.Row]) -> list[tuple[str, int, str, str, str]]:
    return [(r.node.id.node_id, r.depth, r.kind, r.target, r.detail) for r in rows]


def test_nested_nodes_sit_under_their_parent_named_by_kind() -> None:
    assert shape(node_tree.rows(pipeline(), reported())) == [
        ("n0", 0, "task", "t.load", ""),
        ("n1", 0, "branch", "size", "took n3"),
        ("n1/n2", 1, "task", "t.big", ""),
        ("n1/n3", 1, "task", "t.small", ""),
        ("n4", 0, "map", "t.feature", "12 elements: 10 succeeded, 2 failed"),
        # Only the elements a person has to look at; the counts cover the rest.
        ("n4/2", 1, "element", "t.feature", ""),
        ("n4/10", 1, "element", "t.feature", ""),
        ("n5", 0, "subworkflow", "w.training", ""),
        ("n5/n0", 1, "task", "t.train", ""),
        ("n5/n1", 1, "gate", "", "signal 'lr': int"),
        ("n6", 0, "launch plan", "w.publish", "child p/d/child-of-n6"),
        ("n7", 0, "gate", "", "approve 'ship', timeout 1:00:00"),
        ("on-failure", 0, "task", "t.clean", ""),
    ]


def test_every_element_in_index_order_when_asked() -> None:
    rows = node_tree.rows(pipeline(), reported(), all_elements=True)
    elements = [r.node.id.node_id for r in rows if r.kind == "element"]
    assert elements == [f"n4/{i}" for i in range(len(ELEMENT_PHASES))]


@settings(max_examples=50, deadline=None)
@given(st.permutations(reported()))
def test_the_tree_does_not_depend_on_the_listing_order(nodes: list[ex.NodeExecution]) -> None:
    assert shape(node_tree.rows(pipeline(), nodes)) == shape(node_tree.rows(pipeline(), reported()))


def test_a_node_whose_parent_is_not_reported_yet_is_still_shown() -> None:
    nodes = [n for n in reported() if n.id.node_id != "n5"]
    rows = shape(node_tree.rows(pipeline(), nodes))
    assert ("n5/n0", 0, "task", "t.train", "") in rows
    assert ("n5/n1", 0, "gate", "", "signal 'lr': int") in rows


def test_without_a_spec_nodes_are_shown_as_reported() -> None:
    rows = node_tree.rows(None, reported(), all_elements=True)
    assert len(rows) == len(reported())
    assert ("n1/n3", 1, "task", "t.small", "") in shape(rows)
    assert ("n1", 0, "-", "", "") in shape(rows)


@pytest.mark.parametrize("nested_id", ["n9", "n0/n1", "n4/x", "n4/1/n0", "n5/n7", "n6/n0", "n1/n0"])
def test_ids_the_spec_does_not_have_are_not_placed(nested_id: str) -> None:
    assert node_tree.SpecIndex(pipeline()).place(nested_id) is None


# --- through the CLI, against a real control plane ----------------------------------------


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaneClient]:
    """A control plane of the module's own: the fake agent claims, and claims are global."""
    with private_plane(tmp_path_factory.mktemp("home")) as client:
        yield client


def test_executions_get_shows_the_reported_tree(plane: PlaneClient) -> None:
    """A branch whose first case was skipped, and a map with a failed element, reported as
    the data plane reports them: nested ids with their parent's id."""
    project = plane.project
    pick = plane.register_task("t.pick", [("x", INT)], [("o", INT)])
    square = plane.register_task("t.square", [("x", INT)], [("o", INT)])
    x = wf.BindingData(workflow_input="x")
    xs = wf.BindingData(workflow_input="xs")
    branch = wf.BranchNode(
        cases=[
            wf.BranchCase(
                condition=wf.BooleanExpression(
                    comparison=wf.ComparisonExpression(
                        operator=wf.COMPARISON_OPERATOR_GT,
                        left=x,
                        right=wf.BindingData(literal=plane.int_literal(10)),
                    )
                ),
                then_node=plane.task_node("n1", pick, x=x),
            )
        ],
        else_node=plane.task_node("n2", pick, x=x),
    )
    nodes = [
        wf.Node(id="n0", branch_node=branch),
        wf.Node(
            id="n3",
            inputs=[wf.Binding(name="x", binding=xs)],
            array_node=wf.ArrayNode(task_id=square, mapped_inputs=["x"]),
        ),
    ]
    interface = TypedInterface(
        inputs=[Variable(name="x", type=INT), Variable(name="xs", type=plane.list_of(INT))]
    )
    workflow = plane.register_workflow("w.tree", interface, nodes)
    execution = plane.launch(workflow, x=plane.int_literal(3), xs=plane.int_list([1, 2, 3]))
    agent = plane.claim(execution.id)
    agent.report(
        node_event(execution.id, "n0", ex.NODE_PHASE_SUCCEEDED),
        node_event(execution.id, "n0/n1", ex.NODE_PHASE_SKIPPED, parent="n0", attempt=0),
        node_event(execution.id, "n0/n2", ex.NODE_PHASE_SUCCEEDED, parent="n0", task_id=pick),
        node_event(execution.id, "n3", ex.NODE_PHASE_FAILED),
        node_event(execution.id, "n3/0", ex.NODE_PHASE_SUCCEEDED, parent="n3", task_id=square),
        node_event(execution.id, "n3/1", ex.NODE_PHASE_FAILED, parent="n3", task_id=square),
        node_event(execution.id, "n3/2", ex.NODE_PHASE_SUCCEEDED, parent="n3", task_id=square),
    )

    at = plane.endpoint
    name = execution.id.name
    shown = graven("executions", "get", name, "-p", project, "-d", "dev", endpoint=at)
    assert shown.returncode == 0, shown.stderr
    lines = {_node_cell(line): line for line in _table_rows(shown.stdout)}
    assert "branch" in lines["n0"]
    assert "took n2" in lines["n0"]
    assert "SKIPPED" in lines["  n0/n1"]
    assert "SUCCEEDED" in lines["  n0/n2"]
    assert "3 elements: 2 succeeded, 1 failed" in lines["n3"]
    assert "FAILED" in lines["  n3/1"]
    assert "element" in lines["  n3/1"]
    assert "  n3/0" not in lines  # a succeeded element is folded into the counts

    every = graven("executions", "get", name, "-p", project, "-d", "dev", "--elements", endpoint=at)
    assert every.returncode == 0, every.stderr
    assert {"  n3/0", "  n3/1", "  n3/2"} <= {
        _node_cell(line) for line in _table_rows(every.stdout)
    }

    as_json = graven("executions", "get", name, "-p", project, "-d", "dev", "--json", endpoint=at)
    assert as_json.returncode == 0, as_json.stderr
    parents = {
        n["id"]["node_id"]: n.get("parent_node_id", "")
        for n in json.loads(as_json.stdout)["node_executions"]
    }
    assert parents == {
        "n0": "",
        "n0/n1": "n0",
        "n0/n2": "n0",
        "n3": "",
        "n3/0": "n3",
        "n3/1": "n3",
        "n3/2": "n3",
    }


def test_get_workflow_names_each_node_by_kind(plane: PlaneClient) -> None:
    square = plane.register_task("t.cube", [("x", INT)], [("o", INT)])
    gate = wf.GateNode(signal=wf.SignalCondition(signal_id="factor", type=INT))
    nodes = [
        wf.Node(id="n0", gate_node=gate),
        wf.Node(
            id="n1",
            inputs=[wf.Binding(name="x", binding=wf.BindingData(workflow_input="xs"))],
            array_node=wf.ArrayNode(task_id=square, mapped_inputs=["x"]),
        ),
    ]
    interface = TypedInterface(inputs=[Variable(name="xs", type=plane.list_of(INT))])
    plane.register_workflow("w.described", interface, nodes)
    shown = graven(
        "get", "workflow", "w.described", "-p", plane.project, "-d", "dev", endpoint=plane.endpoint
    )
    assert shown.returncode == 0, shown.stderr
    assert "n0: gate, signal 'factor': int" in shown.stdout
    assert "n1: map t.cube v1" in shown.stdout


def _node_cell(row: str) -> str:
    """The first cell of a table row as printed, its indentation kept (less rich's padding)."""
    return row.split("│")[1][1:].rstrip()


def _table_rows(printed: str) -> list[str]:
    """The body rows of a rich table: its header is drawn with ┃, its rows with │."""
    return [line for line in printed.splitlines() if line.startswith("│")]


# --- graven run PATH:LAUNCH_PLAN ----------------------------------------------------------


def test_run_launches_a_launch_plan_with_its_fixed_and_default_inputs(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    project = f"cli-{uuid.uuid4().hex[:10]}"
    at = control_plane.grpc_address
    result = graven(
        "run",
        f"{EXAMPLE}:daily",
        "--corpus",
        "a b a",
        "-p",
        project,
        "--no-wait",
        "--json",
        endpoint=at,
    )
    assert result.returncode == 0, result.stderr
    execution = json.loads(result.stdout)
    assert execution["spec"]["launch_plan_id"]["name"] == "wordcount.daily"
    assert execution["spec"]["workflow_id"]["name"] == "wordcount.workflows.wordcount"
    data = graven(
        "executions", "get", execution["id"]["name"], "-p", project, "--json", endpoint=at
    )
    assert data.returncode == 0, data.stderr


def test_run_refuses_a_fixed_input_of_a_launch_plan(control_plane: ControlPlane) -> None:
    project = f"cli-{uuid.uuid4().hex[:10]}"
    result = graven(
        "run",
        f"{EXAMPLE}:daily",
        "--corpus",
        "a",
        "--title",
        "mine",
        "-p",
        project,
        "--no-wait",
        endpoint=control_plane.grpc_address,
    )
    assert_one_line_error(result, "title")


def test_run_of_an_unknown_name_lists_the_workflows_and_launch_plans(
    control_plane: ControlPlane,
) -> None:
    project = f"cli-{uuid.uuid4().hex[:10]}"
    result = graven("run", f"{EXAMPLE}:nightly", "-p", project, endpoint=control_plane.grpc_address)
    assert_one_line_error(
        result,
        "no single workflow 'nightly' or launch plan 'nightly'",
        "wordcount.workflows.wordcount",
        "launch plans: wordcount.daily",
    )


# --- with a real agent: the tree of a run, and a launch plan run to its end -----------------

LANGUAGE = """
    import graven
    from graven import LaunchPlan, task, workflow


    @task
    def double(x: int) -> int:
        return 2 * x


    @task
    def negate(x: int) -> int:
        return -x


    @task
    def add(x: int, y: int) -> int:
        return x + y


    @task
    def total(xs: list[int]) -> int:
        return sum(xs)


    @workflow
    def inner(x: int) -> int:
        return negate(x=double(x=x))


    @workflow
    def plain(x: int, y: int) -> int:
        return add(x=x, y=y)


    padded = LaunchPlan("lang.padded", plain, fixed_inputs={"y": 100})


    @workflow
    def everything(xs: list[int], x: int) -> int:
        doubled = total(xs=graven.map(double)(x=xs))
        picked = graven.conditional("sign").if_(x > 0).then(double(x=x)).else_().then(negate(x=x))
        return add(x=doubled, y=padded(x=inner(x=picked)))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[PlaneClient]:
    with agent_stack(tmp_path_factory.mktemp("agent-home"), ray_address) as running:
        yield running


@pytest.fixture(scope="module")
def language_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_package(tmp_path_factory.mktemp("code"), "lang", LANGUAGE)


def test_run_of_a_launch_plan_follows_it_to_its_outputs(
    stack: PlaneClient, language_package: Path
) -> None:
    result = graven(
        "run",
        f"{language_package}:padded",
        "--x",
        "5",
        "-p",
        stack.project,
        "--json",
        endpoint=stack.endpoint,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["execution"]["spec"]["launch_plan_id"]["name"] == "lang.padded"
    assert printed["outputs"] == {"o0": 105}
    # Followed live, as a person runs it: the nodes, then the outputs.
    live = graven(
        "run",
        f"{language_package}:padded",
        "--x",
        "6",
        "-p",
        stack.project,
        endpoint=stack.endpoint,
    )
    assert live.returncode == 0, live.stderr
    title = " ".join(live.stdout.split())  # rich wraps a title to the table's width
    assert "lang.flows.plain" in title
    assert "(launch plan lang.padded)" in title
    assert live.stdout.rstrip().endswith("o0 = 106")


def test_the_tree_of_a_run_with_every_kind_of_node(
    stack: PlaneClient, language_package: Path
) -> None:
    at = stack.endpoint
    result = graven(
        "run",
        f"{language_package}:everything",
        "--xs",
        "[1, 2, 3]",
        "--x",
        "4",
        "-p",
        stack.project,
        "--json",
        endpoint=at,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    # Locally: total([2, 4, 6]) + (-(2 * (2 * 4)) + 100).
    assert printed["outputs"] == {"o0": 12 + 84}
    name = printed["execution"]["id"]["name"]

    shown = graven("executions", "get", name, "-p", stack.project, "--elements", endpoint=at)
    assert shown.returncode == 0, shown.stderr
    rows = {_node_cell(line).strip(): line for line in _table_rows(shown.stdout)}
    kinds = {node: row.split("│")[2].strip() for node, row in rows.items()}
    top = {node: kind for node, kind in kinds.items() if "/" not in node}
    assert sorted(top.values()) == sorted(
        ["map", "task", "branch", "subworkflow", "launch plan", "task"]
    ), shown.stdout
    branch = next(node for node, kind in top.items() if kind == "branch")
    cases = {node: row for node, row in rows.items() if node.startswith(branch + "/")}
    assert sorted("SKIPPED" in row for row in cases.values()) == [False, True], shown.stdout
    mapped = next(node for node, kind in top.items() if kind == "map")
    assert "3 elements: 3 succeeded" in rows[mapped]
    assert [n for n in rows if n.startswith(mapped + "/")] == [f"{mapped}/{i}" for i in range(3)]
    sub = next(node for node, kind in top.items() if kind == "subworkflow")
    assert len([n for n in rows if n.startswith(sub + "/")]) == 2
    plan = next(node for node, kind in top.items() if kind == "launch plan")
    assert f"child {stack.project}/" in rows[plan]

    # The child links back to the node that started it.
    child = rows[plan].split("child ")[1].split("│")[0].strip()
    back = graven("executions", "get", child, endpoint=at)
    assert back.returncode == 0, back.stderr
    assert f"started by node {plan} of {stack.project}/development/{name}" in back.stdout
    assert "o0 = 84" in back.stdout


RELEASE = """
from graven import task, workflow


@task
def tag(version: str) -> str:
    return f"v{version}"


@workflow
def release(version: str) -> str:
    return tag(version=version)
"""


def test_an_input_named_like_a_run_option_is_refused_unless_given_after_a_separator(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    (tmp_path / "release.py").write_text(RELEASE)
    project = f"cli-{uuid.uuid4().hex[:10]}"
    at = control_plane.grpc_address
    target = f"{tmp_path / 'release.py'}:release"
    clash = graven("run", target, "--version", "7", "-p", project, "--no-wait", endpoint=at)
    assert_one_line_error(clash, "--version is both an option of graven run", "-- --version")
    # Refused before anything was registered (not under the version "7").
    listed = graven("get", "workflows", "-p", project, "--json", endpoint=at)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []

    launched = graven(
        "run", target, "-p", project, "--no-wait", "--json", "--", "--version", "7", endpoint=at
    )
    assert launched.returncode == 0, launched.stderr
    execution = json.loads(launched.stdout)
    with Remote(at, token=token_for(at)) as remote:
        recorded = remote.data(
            idl.ExecutionIdentifier(
                project=project, domain="development", name=execution["id"]["name"]
            )
        )
    assert to_python(recorded.inputs.literals["version"], str) == "7"
