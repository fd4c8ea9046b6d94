"""LineageService over a real gRPC server: what launches and events index, and the queries
over it (artifacts, graphs by direction and depth, content, diffs)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from execution_support import WAIT, node_event
from lineage_support import LineageHarness, Run, code_digest, lineage_plane

from graven.artifacts import artifact_bytes
from graven.digests import sha256_hex
from graven.literals import int_literal, string_literal
from graven.store.layout import LINEAGE_MARK, artifact_key
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.lineage_pb2 import LineageGraph
from graven.v1.literals_pb2 import Blob, Literal
from graven.v1.types_pb2 import BlobType

UP = ls.LINEAGE_DIRECTION_UPSTREAM
DOWN = ls.LINEAGE_DIRECTION_DOWNSTREAM
BOTH = ls.LINEAGE_DIRECTION_BOTH


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[LineageHarness]:
    with lineage_plane(tmp_path, database_url) as harness:
        yield harness


def nodes_of(graph: LineageGraph) -> list[str]:
    return [step.id.node_id for step in graph.steps]


def test_a_launch_stores_each_input_as_an_artifact_with_its_record(cp: LineageHarness) -> None:
    workflow = cp.register()
    execution = cp.create(workflow.id, x=int_literal(7))
    data = cp.executions.GetExecutionData(es.GetExecutionDataRequest(id=execution.id))
    assert set(data.inputs.literals) == {"x", "s"}
    for name, literal in data.inputs.literals.items():
        # The artifact's bytes hash to its key, and a record sits beside it.
        stored = cp.store.get_bytes(artifact_key(literal.hash))
        assert stored == artifact_bytes(literal)
        assert sha256_hex(stored) == literal.hash
        beside = [k for k in cp.store.list(artifact_key(literal.hash) + LINEAGE_MARK)]
        assert len(beside) == 1
        artifact = cp.artifact(literal.hash).artifact
        assert artifact.size == len(stored)
        (record,) = artifact.records
        assert (record.node_id, record.name) == ("", name)
        assert record.execution_id == execution.id
        assert record.workflow_id == workflow.id
        assert record.created_at == execution.closure.created_at


def test_the_lineage_of_a_final_output_walks_back_to_the_inputs(cp: LineageHarness) -> None:
    workflow = cp.register()
    run = cp.run(workflow.id, x=1)
    final = run.output_hash("fmt")

    graph = cp.graph(final).graph
    assert nodes_of(graph) == ["", "inc1", "inc2", "fmt"]
    steps = {step.id.node_id: step for step in graph.steps}
    assert steps["fmt"].outputs == {"o": final}
    assert steps["fmt"].inputs == {"x": run.output_hash("inc2"), "s": run.inputs["s"].hash}
    assert steps["inc1"].task_id.name == "inc"
    assert steps["inc1"].task_id.version == "v1"
    assert steps["inc1"].code_digest == code_digest("inc")
    assert steps[""].outputs == {"x": run.inputs["x"].hash, "s": run.inputs["s"].hash}
    assert all(step.workflow_id == workflow.id for step in graph.steps)
    hashes = {a.hash for a in graph.artifacts}
    assert hashes == {
        run.inputs["x"].hash,
        run.inputs["s"].hash,
        *map(run.output_hash, run.outputs),
    }
    assert all(a.size > 0 for a in graph.artifacts)

    # Depth counts steps from the subject.
    assert nodes_of(cp.graph(final, depth=1).graph) == ["fmt"]
    assert nodes_of(cp.graph(final, depth=2).graph) == ["", "inc2", "fmt"]
    assert nodes_of(cp.graph(final, depth=3).graph) == ["", "inc1", "inc2", "fmt"]


def test_downstream_and_both_directions(cp: LineageHarness) -> None:
    run = cp.run(cp.register().id, x=1)
    x = run.inputs["x"].hash
    assert nodes_of(cp.graph(x, DOWN).graph) == ["inc1", "inc2", "fmt"]
    assert nodes_of(cp.graph(x, DOWN, depth=1).graph) == ["inc1"]
    # An input has its launch as producer, upstream.
    assert nodes_of(cp.graph(x, UP).graph) == [""]
    middle = run.output_hash("inc1")
    assert nodes_of(cp.graph(middle, BOTH, depth=1).graph) == ["inc1", "inc2"]
    assert nodes_of(cp.graph(middle, BOTH).graph) == ["", "inc1", "inc2", "fmt"]
    # The final output fed nothing.
    final = run.output_hash("fmt")
    assert nodes_of(cp.graph(final, DOWN).graph) == []
    assert [a.hash for a in cp.graph(final, DOWN).graph.artifacts] == [final]


def test_the_lineage_of_an_execution_crosses_into_the_executions_that_fed_it(
    cp: LineageHarness,
) -> None:
    workflow = cp.register()
    first = cp.run(workflow.id, x=1)
    # The second run's input is content the first one produced (inc1's output: 2).
    second = cp.run(workflow.id, x=2, s="again")
    assert second.inputs["x"].hash == first.output_hash("inc1")

    own = cp.graph(second.id, UP, depth=0).graph
    by_execution = {(s.id.execution_id.name, s.id.node_id) for s in own.steps}
    # The second execution whole, then where its input x came from: the first's inc1, and
    # on up the first execution; its other input ("again") no execution produced.
    assert {n for e, n in by_execution if e == second.id.name} == {"", "inc1", "inc2", "fmt"}
    assert {n for e, n in by_execution if e == first.id.name} == {"", "inc1"}
    only_own = cp.graph(second.id, DOWN).graph
    assert {s.id.execution_id.name for s in only_own.steps} == {second.id.name}


def test_re_sent_events_index_nothing_twice(cp: LineageHarness) -> None:
    run = cp.run(cp.register().id, x=1)
    record = run.records["inc1"][0]
    again = node_event(run.id, "inc1", pb.NODE_PHASE_SUCCEEDED, lineage=[record])
    run.agent.report(again, again)
    assert len(cp.artifact(run.output_hash("inc1")).artifact.records) == 1
    assert nodes_of(cp.graph(run.output_hash("fmt")).graph) == ["", "inc1", "inc2", "fmt"]


def test_identical_outputs_share_one_artifact_with_a_record_each(cp: LineageHarness) -> None:
    workflow = cp.register()
    first = cp.run(workflow.id, x=1)
    second = cp.run(workflow.id, x=1)
    artifact = cp.artifact(first.output_hash("fmt")).artifact
    assert [r.execution_id for r in artifact.records] == [first.id, second.id]
    # Upstream of shared content starts in both executions, then stays in each.
    graph = cp.graph(artifact.hash).graph
    assert {(s.id.execution_id.name, s.id.node_id) for s in graph.steps} == {
        (e.name, n) for e in (first.id, second.id) for n in ("", "inc1", "inc2", "fmt")
    }


def test_node_executions_record_output_hashes_and_key_components(cp: LineageHarness) -> None:
    workflow = cp.register()
    execution = cp.create(workflow.id, x=int_literal(1))
    run = cp.start(execution)
    run.succeed("inc1", cached=True)
    node = {n.id.node_id: n for n in cp.nodes(run.id)}["inc1"]
    assert dict(node.output_hashes) == {"o": run.output_hash("inc1")}
    assert node.cache_key_components == run.components("inc1")
    assert node.cache_status == pb.CACHE_STATUS_POPULATED


def test_find_by_content_finds_artifacts_by_their_bytes_or_their_blob(
    cp: LineageHarness,
) -> None:
    workflow = cp.register()
    run = cp.run(workflow.id, x=1)
    found = cp.lineage.FindByContent(ls.FindByContentRequest(content_hash=run.output_hash("inc2")))
    assert [a.hash for a in found.artifacts] == [run.output_hash("inc2")]
    assert found.artifacts[0].records[0].node_id == "inc2"

    # A blob output: its content lives beside it, and finds it.
    content = cp.store.put_content(io.BytesIO(b"file content"))
    blob = Literal(blob=Blob(sha256=content.sha256, size=content.size, type=BlobType()))
    blob.hash = sha256_hex(artifact_bytes(blob))
    second = cp.start(cp.create(workflow.id, x=int_literal(5)))
    record = second.succeed("inc1", output=blob)[0]
    assert list(record.content_hashes) == []
    found = cp.lineage.FindByContent(ls.FindByContentRequest(content_hash=content.digest))
    assert found.artifacts == []
    record.content_hashes.append(content.digest)
    second.agent.report(node_event(second.id, "inc1", pb.NODE_PHASE_SUCCEEDED, lineage=[record]))
    found = cp.lineage.FindByContent(ls.FindByContentRequest(content_hash=content.digest))
    assert [a.hash for a in found.artifacts] == [blob.hash]
    assert list(found.artifacts[0].content_hashes) == [content.digest]

    missing = sha256_hex(b"nobody has this")
    assert cp.lineage.FindByContent(ls.FindByContentRequest(content_hash=missing)).artifacts == []


def test_diff_executions_names_each_node_that_differs_and_why(cp: LineageHarness) -> None:
    workflow = cp.register()
    a = cp.run(workflow.id, x=1)
    same = cp.run(workflow.id, x=1)
    diff = cp.lineage.DiffExecutions(ls.DiffExecutionsRequest(a=a.id, b=same.id))
    assert diff.a_workflow_id == workflow.id == diff.b_workflow_id
    assert [(n.node_id, list(n.differences)) for n in diff.nodes] == [
        ("inc1", []),
        ("inc2", []),
        ("fmt", []),
    ]

    b = cp.start(cp.create(workflow.id, x=int_literal(1), s=string_literal("other")))
    b.succeed("inc1")
    b.succeed("inc2", code=sha256_hex(b"edited inc"))
    diff = cp.lineage.DiffExecutions(ls.DiffExecutionsRequest(a=a.id, b=b.id))
    nodes = {n.node_id: n for n in diff.nodes}
    assert list(nodes) == ["inc1", "inc2", "fmt"]
    assert list(nodes["inc1"].differences) == []
    assert list(nodes["inc2"].differences) == [ls.NODE_DIFFERENCE_CODE]
    assert list(nodes["fmt"].differences) == [ls.NODE_DIFFERENCE_MISSING]
    assert nodes["fmt"].a.outputs["o"] == a.output_hash("fmt")
    assert not nodes["fmt"].HasField("b")

    c = cp.run(workflow.id, x=5)
    nodes = {
        n.node_id: n
        for n in cp.lineage.DiffExecutions(ls.DiffExecutionsRequest(a=a.id, b=c.id)).nodes
    }
    assert list(nodes["inc1"].differences) == [
        ls.NODE_DIFFERENCE_INPUTS,
        ls.NODE_DIFFERENCE_OUTPUTS,
    ]
    assert list(nodes["inc1"].changed_inputs) == ["x"]
    assert list(nodes["inc1"].changed_outputs) == ["o"]


def test_a_cache_hit_reads_its_outputs_from_the_artifacts(cp: LineageHarness) -> None:
    workflow = cp.register()
    first = cp.start(cp.create(workflow.id, x=int_literal(1)))
    assert [a.decision for a in first.reserve("inc1")] == [ag.CACHE_DECISION_RUN]
    first.succeed("inc1", cached=True)
    second = cp.start(cp.create(workflow.id, x=int_literal(1)))
    (hit,) = second.reserve("inc1")
    second.succeed("inc1", cached=True, hit=hit)
    data = cp.executions.GetNodeExecutionData(
        es.GetNodeExecutionDataRequest(id=second.node("inc1"))
    )
    assert data.outputs.literals["o"] == first.outputs["inc1"]
    node = {n.id.node_id: n for n in cp.nodes(second.id)}["inc1"]
    assert node.cache_status == pb.CACHE_STATUS_HIT
    assert node.source_execution_id == first.id
    graph = cp.graph(second.output_hash("inc1")).graph
    (step,) = [s for s in graph.steps if s.id == second.node("inc1")]
    assert step.cache_source == first.node("inc1")


def test_a_recovery_takes_over_the_lineage_of_the_nodes_it_reuses(cp: LineageHarness) -> None:
    workflow = cp.register()
    run = cp.start(cp.create(workflow.id, x=int_literal(1)))
    run.succeed("inc1")
    run.succeed("inc2")
    run.finish(pb.EXECUTION_PHASE_FAILED)
    recovered = cp.executions.RecoverExecution(es.RecoverExecutionRequest(id=run.id)).execution
    again = cp.start(recovered)
    again.outputs.update(run.outputs)
    again.succeed("fmt")
    again.finish()
    graph = cp.graph(again.output_hash("fmt")).graph
    steps = {s.id.node_id: s for s in graph.steps}
    assert {s.id.execution_id.name for s in graph.steps} == {recovered.id.name}
    assert list(steps) == ["", "inc1", "inc2", "fmt"]
    assert steps["inc2"].cache_source == run.node("inc2")
    assert steps["inc2"].outputs == {"o": run.output_hash("inc2")}


def test_executions_indexing_one_artifact_at_once_all_succeed(cp: LineageHarness) -> None:
    workflow = cp.register()
    runs = [cp.start(cp.create(workflow.id, x=int_literal(1))) for _ in range(6)]
    barrier = threading.Barrier(len(runs))

    def succeed(run: Run) -> None:
        barrier.wait(timeout=WAIT)
        run.succeed("inc1")

    with ThreadPoolExecutor(len(runs)) as pool:
        list(pool.map(succeed, runs))
    artifact = cp.artifact(runs[0].output_hash("inc1")).artifact
    assert sorted(r.execution_id.name for r in artifact.records) == sorted(
        run.id.name for run in runs
    )
