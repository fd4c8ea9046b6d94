"""Artifacts and lineage records written by the workers, on a real local Ray, driven with
hand-built claims (no control plane): every value a node consumed or produced is stored under
the hash of its bytes, and each output has a lineage record beside it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from auth_support import agent_channel
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

from graven.artifacts import artifact_bytes
from graven.control_plane.app import ControlPlane
from graven.data_plane.cache_keys import cache_key, key_components
from graven.data_plane.cache_reservations import CacheReservations
from graven.data_plane.executor import Executor
from graven.files import Directory, File, decode_manifest
from graven.literals import to_literal, to_python
from graven.store import ObjectStore, layout
from graven.types import literal_type_of
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import ClaimExecutionResponse
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import Workflow

pytestmark = pytest.mark.usefixtures("ray_address")

VALUES = """
    import os
    import tempfile
    from pathlib import Path

    from graven import Directory, File


    def _count(folder: str, name: str) -> None:
        with Path(folder, name).open("a") as f:
            f.write(f"{os.getpid()}\\n")


    def double(folder: str, x: int, bonus: int = 3) -> int:
        _count(folder, "double")
        return 2 * x + bonus


    def write(text: str) -> File:
        # A fresh path every time: the value is the content, never the place.
        path = Path(tempfile.mkdtemp(), "out.txt")
        path.write_text(text * 3)
        return File(path)


    def tree(text: str) -> Directory:
        root = Path(tempfile.mkdtemp())
        (root / "a.txt").write_text(text)
        (root / "sub").mkdir()
        (root / "sub" / "b.txt").write_text(text.upper())
        return Directory(root)


    def read(f: File, d: Directory) -> str:
        return f.path.read_text() + "|" + "".join(p.read_text() for p in d.files())
"""

CODE_DIGEST = "sha256:" + "c0de" * 16


@pytest.fixture
def values(store: ObjectStore, tmp_path: Path) -> str:
    return upload_project(store, tmp_path / "project", {"values.py": VALUES})


def coded(target: Task) -> Task:
    target.spec.template.code.code_digest = CODE_DIGEST
    return target


def walk(store: ObjectStore, response: ClaimExecutionResponse) -> EventLog:
    log = EventLog()
    Executor(response, store, log).run()
    return log


def succeeded(log: EventLog, node_id: str) -> pb.NodeEvent:
    (event,) = [e for e in log.node_events(node_id) if e.phase == pb.NODE_PHASE_SUCCEEDED]
    return event


def stored_record(store: ObjectStore, record: LineageRecord) -> LineageRecord:
    data = record.SerializeToString(deterministic=True)
    key = layout.lineage_key(record.artifact_hash, data)
    assert key in list(store.list(layout.artifact_key(record.artifact_hash)))
    return LineageRecord.FromString(store.get_bytes(key))


def assert_artifact(store: ObjectStore, artifact_hash: str) -> bytes:
    data = store.get_bytes(layout.artifact_key(artifact_hash))
    assert "sha256:" + hashlib.sha256(data).hexdigest() == artifact_hash
    return data


def test_every_value_is_an_artifact_and_every_output_has_its_lineage_beside_it(
    store: ObjectStore, values: str, tmp_path: Path
) -> None:
    double = coded(
        task(values, "values", "double", {"folder": str, "x": int, "bonus": int}, {"o0": int})
    )
    double.spec.template.interface.inputs[2].default.CopyFrom(to_literal(3, int))
    folder = static(str(tmp_path), str)
    wf = workflow(
        [
            node("first", double, folder=folder, x=workflow_input("x")),
            node("second", double, folder=folder, x=promise("first"), bonus=static(1, int)),
        ],
        [double],
        inputs={"x": int},
        outputs={"o": (promise("second"), int)},
    )
    response = claim(store, wf, {"x": to_literal(5, int)})
    log = walk(store, response)
    assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED

    first, second = succeeded(log, "first"), succeeded(log, "second")
    first_out = read_outputs(store, first.outputs_uri).literals["o0"]
    second_out = read_outputs(store, second.outputs_uri).literals["o0"]
    assert to_python(second_out, int) == 2 * (2 * 5 + 3) + 1
    # Every input (the workflow input, a constant, a default) and every output is stored.
    for value in (5, 3, 1, 13, 27):
        literal = to_literal(value, int)
        assert assert_artifact(store, literal.hash) == artifact_bytes(literal)
    assert first_out.hash == to_literal(13, int).hash

    (record,) = second.lineage
    assert stored_record(store, record) == record
    assert record.artifact_hash == second_out.hash
    assert record.name == "o0"
    assert record.type == literal_type_of(int)
    assert record.size == len(artifact_bytes(second_out))
    assert record.execution_id == response.execution.id
    assert record.node_id == "second"
    assert record.attempt == 1
    assert record.task_id == double.id
    assert record.code_digest == CODE_DIGEST
    assert record.cache_key == ""
    assert not record.HasField("cache_source")
    assert record.HasField("created_at")
    assert dict(record.inputs) == {
        "folder": to_literal(str(tmp_path), str).hash,
        "x": first_out.hash,
        "bonus": to_literal(1, int).hash,
    }
    (upstream,) = first.lineage
    # The default filled in for "bonus" is consumed content like any other.
    assert upstream.inputs["bonus"] == to_literal(3, int).hash
    assert upstream.inputs["x"] == to_literal(5, int).hash


def test_files_and_directories_travel_between_nodes_by_content(
    store: ObjectStore, values: str
) -> None:
    write = task(values, "values", "write", {"text": str}, {"o0": File})
    tree = task(values, "values", "tree", {"text": str}, {"o0": Directory})
    read = task(values, "values", "read", {"f": File, "d": Directory}, {"o0": str})
    wf = workflow(
        [
            node("w", write, text=static("hi", str)),
            node("t", tree, text=static("x", str)),
            node("r", read, f=promise("w"), d=promise("t")),
        ],
        [write, tree, read],
        outputs={"o": (promise("r"), str)},
    )
    log = walk(store, claim(store, wf))
    assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert to_python(read_outputs(store, final.outputs_uri).literals["o"], str) == "hihihi|xX"

    file_sha = hashlib.sha256(b"hihihi").hexdigest()
    (file_record,) = succeeded(log, "w").lineage
    file_value = read_outputs(store, succeeded(log, "w").outputs_uri).literals["o0"]
    assert file_value.blob.sha256 == file_sha
    assert list(file_record.content_hashes) == ["sha256:" + file_sha]
    assert assert_artifact(store, "sha256:" + file_sha) == b"hihihi"

    (tree_record,) = succeeded(log, "t").lineage
    members = {"sha256:" + hashlib.sha256(text).hexdigest() for text in (b"x", b"X")}
    directory = read_outputs(store, succeeded(log, "t").outputs_uri).literals["o0"]
    manifest = assert_artifact(store, "sha256:" + directory.blob.sha256)
    assert [e.path for e in decode_manifest(manifest)] == ["a.txt", "sub/b.txt"]
    assert set(tree_record.content_hashes) == members | {"sha256:" + directory.blob.sha256}
    for content in tree_record.content_hashes:
        assert_artifact(store, content)
    (read_record,) = succeeded(log, "r").lineage
    assert dict(read_record.inputs) == {"f": file_value.hash, "d": directory.hash}


def test_a_resumed_walk_reports_the_lineage_of_outputs_nobody_reported(
    store: ObjectStore, values: str, tmp_path: Path
) -> None:
    double = task(values, "values", "double", {"folder": str, "x": int, "bonus": int}, {"o0": int})
    folder = static(str(tmp_path), str)
    wf = workflow(
        [
            node("a", double, folder=folder, x=static(1, int), bonus=static(0, int)),
            node("b", double, folder=folder, x=promise("a"), bonus=static(0, int)),
        ],
        [double],
    )
    first = claim(store, wf)
    before = walk(store, first)
    # Another agent takes over an execution whose every success went unreported.
    after = walk(store, claim(store, wf, name=first.execution.id.name))
    assert len((tmp_path / "double").read_text().splitlines()) == 2
    for node_id in ("a", "b"):
        assert succeeded(after, node_id).lineage == succeeded(before, node_id).lineage


def test_a_resumed_cached_node_reports_the_key_its_inputs_make(
    store: ObjectStore, values: str, tmp_path: Path, plane: ControlPlane
) -> None:
    """A cached node whose worker finished unreported is reported POPULATED, with the key its
    recorded inputs make, so the control plane still makes its cache entry."""
    plain = task(values, "values", "double", {"folder": str, "x": int, "bonus": int}, {"o0": int})
    cached = Task()
    cached.CopyFrom(plain)
    cached.spec.template.metadata.cache.enabled = True
    folder = static(str(tmp_path), str)

    def graph(target: Task) -> Workflow:
        return workflow(
            [node("a", target, folder=folder, x=static(1, int), bonus=static(0, int))], [target]
        )

    first = claim(store, graph(plain))
    before = walk(store, first)
    channel = agent_channel(plane)
    cache = CacheReservations(AgentServiceStub(channel), "resuming-agent")
    after = EventLog()
    resumed = claim(store, graph(cached), name=first.execution.id.name)
    Executor(resumed, store, after, cache=cache).run()
    channel.close()

    assert len((tmp_path / "double").read_text().splitlines()) == 1
    event = succeeded(after, "a")
    outputs = read_outputs(store, event.outputs_uri)
    recorded = read_outputs(store, store.uri(layout.node_inputs_key(first.execution.id, "a")))
    assert event.cache_status == pb.CACHE_STATUS_POPULATED
    assert event.cache_key_components == key_components(cached, recorded.literals)
    assert event.cache_key == cache_key(event.cache_key_components)
    assert event.lineage == succeeded(before, "a").lineage
    assert to_python(outputs.literals["o0"], int) == 2
