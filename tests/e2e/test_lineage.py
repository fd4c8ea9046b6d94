"""Lineage as a user queries it, on both stores: a final output walks back through every node
to the workflow's inputs with task versions and code digests, a cache hit names the run it
reused, a local file finds the execution that produced its bytes, and the store holds the
documented layout, each artifact's bytes hashing to its key with its lineage beside it."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

from cached_project import TASKS, by_task, write_project
from e2e_support import REPO, execution_ref, graven, graven_json, one_line_error
from stack_support import (  # noqa: F401  (fixtures)
    Stack,
    agent_fixture,
    database_fixture,
    endpoint_fixture,
    stack_fixture,
    store_fixture,
)

from graven.files import File
from graven.remote import Remote
from graven.store.layout import artifact_key
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import Literal
from graven.v1.task_pb2 import Task

ORDERS = REPO / "examples" / "orders"
HEX = "[0-9a-f]{64}"
LAYOUT = {
    "artifact": re.compile(rf"cas/sha256/(?P<hh>[0-9a-f]{{2}})/(?P<hex>{HEX})"),
    "lineage": re.compile(
        rf"cas/sha256/(?P<hh>[0-9a-f]{{2}})/(?P<hex>{HEX})\.lineage/(?P<record>{HEX})\.pb"
    ),
    "bundle": re.compile(rf"bundles/sha256/{HEX}\.tar\.gz"),
    "execution": re.compile(r"executions/[a-z0-9-]+/[a-z0-9-]+/[a-z0-9]+/.+"),
}


def run_pipeline(stack: Stack, project: str, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    package = write_project(tmp_path / "code", tmp_path / "runs")
    data = tmp_path / "numbers.txt"
    data.write_text("1 2 3 4")
    printed = graven_json(
        stack.endpoint, "run", f"{package}:pipeline", "-p", project, "--data", str(data)
    )
    return printed, data


def steps_of(graph: dict[str, Any], execution: idl.ExecutionIdentifier) -> dict[str, Any]:
    """The execution's steps in a printed lineage graph, by node id ("" for its inputs)."""
    return {
        s["id"].get("node_id", ""): s
        for s in graph.get("steps", [])
        if s["id"]["execution_id"]["name"] == execution.name
    }


def test_the_final_output_walks_back_to_the_workflow_inputs(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    printed, _ = run_pipeline(stack, project, tmp_path)
    execution_id, name = execution_ref(printed)
    nodes = by_task(remote, execution_id)
    (total_hash,) = nodes["total"].output_hashes.values()
    data_hash = remote.data(execution_id).inputs.literals["data"].hash

    graph = graven_json(stack.endpoint, "lineage", total_hash)
    steps = steps_of(graph, execution_id)
    chain = [nodes[t].id.node_id for t in ("total", "double", "load")]
    assert set(steps) == {*chain, ""}, "upstream of total: total, double, load and the inputs"
    # Walk it: each step's input is the output of the next one up, down to the input file.
    wanted = total_hash
    for node_id in chain:
        step = steps[node_id]
        assert wanted in step["outputs"].values()
        (wanted,) = step["inputs"].values()
    assert wanted == data_hash == steps[""]["outputs"]["data"]
    for task in ("total", "double", "load"):
        node = nodes[task]
        step = steps[node.id.node_id]
        registered = remote.get(node.task_id)
        assert isinstance(registered, Task)
        assert step["task_id"]["name"] == node.task_id.name
        assert step["task_id"]["version"] == node.task_id.version
        assert step["code_digest"] == registered.spec.template.code.code_digest
    assert steps[""]["workflow_id"]["name"] == printed["execution"]["spec"]["workflow_id"]["name"]
    hashes = {a["hash"] for a in graph["artifacts"]}
    assert {total_hash, data_hash} <= hashes

    tree = graven(stack.endpoint, "lineage", total_hash)
    assert tree.returncode == 0, tree.stderr
    for task in ("total", "double", "load"):
        assert nodes[task].task_id.version in tree.stdout
        assert nodes[task].id.node_id in tree.stdout
    assert "workflow inputs of" in tree.stdout
    assert total_hash in tree.stdout  # whole at the root, shortened below it
    assert data_hash[: len("sha256:") + 16] in tree.stdout

    # One step up only: the producer, not its ancestors.
    near = graven_json(stack.endpoint, "lineage", total_hash, "--depth", "1")
    assert set(steps_of(near, execution_id)) == {nodes["total"].id.node_id}

    # From the input down: every node consumed it, directly or not.
    down = graven_json(stack.endpoint, "lineage", data_hash, "--downstream")
    assert set(steps_of(down, execution_id)) >= {nodes[t].id.node_id for t in TASKS}

    # The execution as a whole: every node, and the tree starts from its final outputs.
    whole = graven_json(stack.endpoint, "lineage", name, "--upstream", "--downstream")
    assert set(steps_of(whole, execution_id)) == {*(n.id.node_id for n in nodes.values()), ""}
    shown = graven(stack.endpoint, "lineage", name)
    assert shown.returncode == 0, shown.stderr
    assert name in shown.stdout
    assert all(n.task_id.version in shown.stdout for n in nodes.values())

    artifact = remote.artifact(total_hash)
    assert [r.node_id for r in artifact.records] == [nodes["total"].id.node_id]
    assert artifact.records[0].code_digest == steps[nodes["total"].id.node_id]["code_digest"]


def test_a_cache_hit_names_the_run_it_reused(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    printed, _ = run_pipeline(stack, project, tmp_path)
    first_id, first_name = execution_ref(printed)
    second_id, second_name = execution_ref(
        graven_json(stack.endpoint, "relaunch", first_name, "--wait")
    )
    graph = graven_json(stack.endpoint, "lineage", second_name)
    steps = steps_of(graph, second_id)
    nodes = by_task(remote, second_id)
    for node in nodes.values():
        source = steps[node.id.node_id]["cache_source"]
        assert source["execution_id"]["name"] == first_id.name
        assert source["node_id"] == node.id.node_id
    shown = graven(stack.endpoint, "lineage", second_name)
    assert shown.returncode == 0, shown.stderr
    assert f"cache hit of {project}/development/{first_id.name}" in shown.stdout


def test_a_local_file_finds_the_execution_that_produced_it(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    """The shipped example: a CSV in, a report file out, all through the CLI and Remote."""
    orders = ORDERS / "data" / "orders.csv"
    printed = graven_json(
        stack.endpoint,
        *("run", f"{ORDERS}:sales_report", "-p", project, "--data", str(orders)),
    )
    execution_id, name = execution_ref(printed)
    assert printed["outputs"]["best"] == "north"

    values = remote.output_values(execution_id)
    report = values["report"]
    assert isinstance(report, File)
    text = report.path.read_text()
    assert text.startswith("# Sales by region")
    assert "Best region: north" in text
    local = tmp_path / "downloaded.md"
    shutil.copyfile(report.path, local)

    found = graven_json(stack.endpoint, "lineage", "--file", str(local))
    assert found["content_hash"] == "sha256:" + hashlib.sha256(local.read_bytes()).hexdigest()
    (hit,) = found["found"]
    (record,) = hit["artifact"]["records"]
    assert record["execution_id"]["name"] == execution_id.name
    assert record["task_id"]["name"] == "orders.tasks.write_report"
    assert found["content_hash"] in hit["artifact"]["content_hashes"]
    tree = graven(stack.endpoint, "lineage", "--file", str(local))
    assert tree.returncode == 0, tree.stderr
    assert "orders.tasks.write_report" in tree.stdout
    assert "orders.tasks.parse_orders" in tree.stdout

    # The input file is found too: as the input of the execution.
    source = graven_json(stack.endpoint, "lineage", "--file", str(orders))
    records = [r for f in source["found"] for r in f["artifact"]["records"]]
    assert any(r["execution_id"]["name"] == execution_id.name for r in records)
    assert {r["name"] for r in records if not r.get("node_id")} == {"data"}

    unknown = tmp_path / "never-stored.txt"
    unknown.write_text("no execution ever saw these bytes")
    assert "no artifact holds" in one_line_error(
        graven(stack.endpoint, "lineage", "--file", str(unknown))
    )

    # The example's point: the same data from any path computes nothing new.
    copy = tmp_path / "copy.csv"
    shutil.copyfile(orders, copy)
    again = graven_json(
        stack.endpoint, *("run", f"{ORDERS}:sales_report", "-p", project, "--data", str(copy))
    )
    assert again["outputs"] == printed["outputs"]
    assert {n.cache_status for n in remote.node_executions(execution_ref(again)[0])} == {
        ex.CACHE_STATUS_HIT
    }
    assert name != execution_ref(again)[1]


def test_the_store_holds_the_documented_layout(
    stack: Stack, remote: Remote, project: str, tmp_path: Path
) -> None:
    """Seen without Graven: a plain S3 client on MinIO, the file system otherwise."""
    printed, data = run_pipeline(stack, project, tmp_path)
    execution_id, _ = execution_ref(printed)
    keys = stack.store.keys()
    kinds: dict[str, list[re.Match[str]]] = {kind: [] for kind in LAYOUT}
    for key in keys:
        matched = [(k, m) for k, p in LAYOUT.items() if (m := p.fullmatch(key))]
        assert len(matched) == 1, f"{key} is not in the documented layout"
        kind, match = matched[0]
        kinds[kind].append(match)
    assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}
    assert any(k.startswith(f"executions/{project}/development/{execution_id.name}/") for k in keys)

    artifacts = set()
    for match in kinds["artifact"]:
        assert match["hh"] == match["hex"][:2]
        content = stack.store.read(match.group(0))
        assert hashlib.sha256(content).hexdigest() == match["hex"], match.group(0)
        artifacts.add("sha256:" + match["hex"])
    for match in kinds["lineage"]:
        raw = stack.store.read(match.group(0))
        assert hashlib.sha256(raw).hexdigest() == match["record"]
        record = LineageRecord.FromString(raw)
        assert record.artifact_hash == "sha256:" + match["hex"]
        assert record.artifact_hash in artifacts, "a lineage record beside no artifact"

    # Every output of the run is an artifact with its lineage beside it, and the input
    # file's bytes are stored under their own hash.
    beside = {"sha256:" + m["hex"] for m in kinds["lineage"]}
    for node in remote.node_executions(execution_id):
        for artifact_hash in node.output_hashes.values():
            assert artifact_hash in artifacts
            assert artifact_hash in beside
    data_hash = "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()
    assert data_hash in artifacts
    # An artifact is the canonical encoding of its value: its hash field left empty.
    (total_hash,) = by_task(remote, execution_id)["total"].output_hashes.values()
    value = Literal.FromString(stack.store.read(artifact_key(total_hash)))
    assert value.primitive.integer == 20
    assert not value.hash
