"""The node kinds of the workflow language on a real local Ray, through the executor: maps
(their elements batched into Ray tasks), branches and subworkflows, with what each leaves
in the store. The scheduling rules themselves are tested without Ray (test_walk_*.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dp_support import (
    EventLog,
    claim,
    node,
    promise,
    read_outputs,
    static,
    task,
    upload_project,
    workflow,
    workflow_input,
)

from graven.data_plane.executor import Executor
from graven.data_plane.walk_nodes import Backoff
from graven.literals import to_literal, to_python
from graven.store import ObjectStore, layout
from graven.store.layout import LINEAGE_MARK, artifact_key
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, Identifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_GT,
    ArrayNode,
    Binding,
    BindingData,
    BooleanExpression,
    BranchCase,
    BranchNode,
    ComparisonExpression,
    Node,
    Workflow,
    WorkflowNode,
)

pytestmark = pytest.mark.usefixtures("ray_address")

STEPS = """
    from pathlib import Path

    from graven.task import task


    @task
    def square(folder: str, x: int) -> int:
        # One file per run of an element: the test counts side effects, not reports.
        with (Path(folder) / f"ran-{x}").open("a") as f:
            f.write("x")
        if x in (7, 13):
            raise ValueError(f"element {x} fails")
        return x * x


    @task
    def numbers(n: int) -> list[int]:
        return list(range(n))


    @task
    def label(text: str, x: int) -> str:
        return f"{text}:{x}"
"""


@pytest.fixture
def steps(store: ObjectStore, tmp_path: Path) -> str:
    return upload_project(store, tmp_path / "project", {"steps.py": STEPS})


def map_node(
    node_id: str, target: Task, *, ratio: float | None = None, **inputs: BindingData
) -> Node:
    array = ArrayNode(task_id=target.id, mapped_inputs=["x"])
    if ratio is not None:
        array.min_success_ratio = ratio
    return Node(
        id=node_id,
        inputs=[Binding(name=n, binding=b) for n, b in inputs.items()],
        array_node=array,
    )


def run(store: ObjectStore, response: object) -> EventLog:
    log = EventLog()
    Executor(response, store, log, backoff=Backoff(base=0.01)).run()  # type: ignore[arg-type]
    return log


def final(log: EventLog) -> pb.ExecutionEvent:
    return [e.execution for e in log.events if e.HasField("execution")][-1]


def test_a_map_runs_each_element_once_in_order_and_tolerates_failures_within_its_ratio(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    numbers = task(steps, "steps", "numbers", {"n": int}, {"o0": list[int]})
    square = task(steps, "steps", "square", {"folder": str, "x": int}, {"o0": int})
    wf = workflow(
        [
            node("n0", numbers, n=workflow_input("n")),
            map_node("n1", square, ratio=0.9, folder=static(str(tmp_path), str), x=promise("n0")),
        ],
        [numbers, square],
        inputs={"n": int},
        outputs={"squares": (promise("n1"), list[int | None])},
    )
    response = claim(store, wf, {"n": to_literal(200, int)})
    log = run(store, response)

    assert final(log).phase == pb.EXECUTION_PHASE_SUCCEEDED
    squares = to_python(
        read_outputs(store, final(log).outputs_uri).literals["squares"], list[int | None]
    )
    assert squares == [None if x in (7, 13) else x * x for x in range(200)]
    # Every element ran exactly once, batched or not.
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == sorted(f"ran-{x}" for x in range(200))
    assert all(p.read_text() == "x" for p in tmp_path.glob("ran-*"))
    failed = log.node_events("n1/7")[-1]
    assert failed.phase == pb.NODE_PHASE_FAILED
    assert failed.parent_node_id == "n1"
    assert failed.error.message == "element 7 fails"
    assert "raise ValueError" in failed.error.traceback
    execution_id = response.execution.id
    element = log.node_events("n1/5")[-1]
    assert element.phase == pb.NODE_PHASE_SUCCEEDED
    assert element.outputs_uri == store.uri(layout.node_outputs_key(execution_id, "n1/5"))
    assert to_python(read_outputs(store, element.outputs_uri).literals["o0"], int) == 25
    # The list's lineage record names every element's output, so a walk reaches them.
    (record,) = log.node_events("n1")[-1].lineage
    assert record.node_id == "n1"
    assert record.inputs["[5].o0"] == element.lineage[0].artifact_hash
    assert "[7].o0" not in record.inputs
    stored = list(store.list(artifact_key(record.artifact_hash) + LINEAGE_MARK))
    assert LineageRecord.FromString(store.get_bytes(stored[0])).node_id == "n1"


def test_a_map_below_its_ratio_fails_naming_the_failed_elements(
    store: ObjectStore, steps: str, tmp_path: Path
) -> None:
    square = task(steps, "steps", "square", {"folder": str, "x": int}, {"o0": int})
    wf = workflow(
        [map_node("m", square, folder=static(str(tmp_path), str), x=workflow_input("xs"))],
        [square],
        inputs={"xs": list[int]},
        outputs={"squares": (promise("m"), list[int])},
    )
    log = run(store, claim(store, wf, {"xs": to_literal(list(range(10)), list[int])}))

    assert final(log).phase == pb.EXECUTION_PHASE_FAILED
    assert final(log).error.node_id == "m"
    assert "1 of 10 elements failed" in final(log).error.message
    assert "element m/7: ValueError: element 7 fails" in final(log).error.message
    assert log.node_phases("m/7")[-1] == (1, pb.NODE_PHASE_FAILED)


def test_a_branch_runs_the_case_taken_inside_an_inlined_subworkflow(
    store: ObjectStore, steps: str
) -> None:
    label = task(steps, "steps", "label", {"text": str, "x": int}, {"o0": str})

    def case(node_id: str, text: str) -> Node:
        return node(node_id, label, text=static(text, str), x=workflow_input("x"))

    condition = BooleanExpression(
        comparison=ComparisonExpression(
            operator=COMPARISON_OPERATOR_GT, left=workflow_input("x"), right=static(10, int)
        )
    )
    sub = workflow(
        [
            Node(
                id="n0",
                branch_node=BranchNode(
                    cases=[BranchCase(condition=condition, then_node=case("n1", "big"))],
                    else_node=case("n2", "small"),
                ),
            )
        ],
        [label],
        inputs={"x": int},
        outputs={"o0": (promise("n0"), str)},
    )
    sub.id.CopyFrom(
        Identifier(
            resource_type=RESOURCE_TYPE_WORKFLOW,
            project="tests",
            domain="dev",
            name="sub",
            version="v1",
        )
    )
    outer = workflow(
        [
            Node(
                id="s",
                inputs=[Binding(name="x", binding=workflow_input("value"))],
                workflow_node=WorkflowNode(sub_workflow_id=sub.id),
            ),
            node("after", label, text=promise("s"), x=static(0, int)),
        ],
        [label],
        inputs={"value": int},
        outputs={"o": (promise("after"), str)},
    )
    outer.closure.sub_workflows.append(Workflow(id=sub.id, spec=sub.spec, closure=sub.closure))
    log = run(store, claim(store, outer, {"value": to_literal(3, int)}))

    assert final(log).phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert to_python(read_outputs(store, final(log).outputs_uri).literals["o"], str) == "small:3:0"
    assert log.node_phases("s/n0/n1") == [(0, pb.NODE_PHASE_SKIPPED)]
    assert log.node_phases("s/n0/n2")[-1] == (1, pb.NODE_PHASE_SUCCEEDED)
    assert log.node_events("s/n0/n2")[-1].parent_node_id == "s/n0"
    assert log.node_events("s/n0")[-1].parent_node_id == "s"
    assert log.node_phases("s")[-1] == (1, pb.NODE_PHASE_SUCCEEDED)
