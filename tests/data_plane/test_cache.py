"""Caching end to end: a real control plane (its ReserveCache and cache entries), an agent on
real Ray, workflows registered through the SDK. Every task counts its own runs in a file, so
"no Ray task" is a side effect that did not happen, not a report."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_support import admin_token, agent_token, authorized_channel, remember
from dp_support import (
    DOMAIN,
    LEASE_SECONDS,
    PROJECT,
    agent_process,
    execution_outputs,
    get_execution,
    launch,
    node_executions,
    pid_alive,
    read_outputs,
    wait_for,
    wait_until,
)

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.data_plane.agent import Agent
from graven.literals import to_literal, to_python
from graven.remote import Remote
from graven.store import ObjectStore, layout
from graven.store.minio_process import MinioServer
from graven.store.s3 import S3Location
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import execution_pb2 as pb
from graven.v1.cache_service_pb2_grpc import CacheServiceStub
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.identifier_pb2 import RESOURCE_TYPE_WORKFLOW, ExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord

PIPELINE = """
    import os
    import time
    from pathlib import Path

    from graven import Cache, task, workflow

    FOLDER = {folder!r}


    def _ran(name: str) -> None:
        with Path(FOLDER, "ran-" + name).open("a") as f:
            f.write(f"{{os.getpid()}}\\n")


    @task(cache=True)
    def load(n: int) -> list[int]:
        _ran("load")
        return list(range(n))


    @task(cache=True)
    def scale(values: list[int], factor: int) -> list[int]:
        _ran("scale")
        return {scale}


    @task(cache=True)
    def total(values: list[int]) -> int:
        _ran("total")
        return sum(values)


    @workflow
    def pipeline(n: int, factor: int) -> int:
        return total(values=scale(values=load(n=n), factor=factor))


    @task(cache=True)
    def gated(x: int) -> int:
        _ran("gated")
        while not Path(FOLDER, "gate").exists():
            time.sleep(0.02)
        return 10 * x


    @workflow
    def once(x: int) -> int:
        return gated(x=x)


    @task(cache=Cache(ignore_inputs=["note"]))
    def tagged(x: int, note: str) -> int:
        _ran("tagged")
        return 2 * x


    @workflow
    def annotated(x: int, note: str) -> int:
        return tagged(x=x, note=note)


    @task(cache=True)
    def stamp(n: int) -> int:
        # Not a function of its inputs: each run gives another value.
        _ran("stamp")
        return 100 * len(Path(FOLDER, "ran-stamp").read_text().splitlines()) + n


    @task(cache=True)
    def after(x: int) -> int:
        _ran("after")
        return x + 1


    @workflow
    def stamped(n: int) -> int:
        return after(x=stamp(n=n))
"""
SCALE = "[v * factor for v in values]"
NODES = {"load": "n0", "scale": "n1", "total": "n2"}


class Project:
    """The pipeline registered on a control plane, with its run counters in ``folder``."""

    def __init__(self, plane: ControlPlane, executions: ExecutionServiceStub, root: Path) -> None:
        self.plane = plane
        self.executions = executions
        self.root = root
        self.folder = root / "runs"
        self.folder.mkdir(parents=True)
        self.versions: dict[str, str] = {}
        self.register(SCALE)

    def register(self, scale: str) -> None:
        """(Re-)register the project with ``scale``'s body returning ``scale``."""
        source = PIPELINE.format(folder=str(self.folder), scale=scale)
        (self.root / "pipeline.py").write_text(textwrap.dedent(source))
        with Remote(self.plane.grpc_address, token=admin_token(self.plane)) as remote:
            registered = remote.register(self.root / "pipeline.py", project=PROJECT, domain=DOMAIN)
        self.versions = {
            r.id.name: r.id.version
            for r in registered
            if r.id.resource_type == RESOURCE_TYPE_WORKFLOW
        }

    def start(
        self, workflow: str, *, overwrite: bool = False, **inputs: object
    ) -> ExecutionIdentifier:
        name = f"pipeline.{workflow}"
        return launch(
            self.executions, name, self.versions[name], overwrite_cache=overwrite, **inputs
        )

    def run(
        self, workflow: str = "pipeline", *, overwrite: bool = False, **inputs: object
    ) -> ExecutionIdentifier:
        inputs = inputs or {"n": 4, "factor": 3}
        execution_id = self.start(workflow, overwrite=overwrite, **inputs)
        execution = wait_for(self.executions, execution_id)
        assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED, execution.closure.error
        return execution_id

    def runs(self) -> dict[str, int]:
        """How often each task's body ran, for the tasks that ran at all."""
        return {
            path.name.removeprefix("ran-"): len(path.read_text().splitlines())
            for path in sorted(self.folder.glob("ran-*"))
        }

    def nodes(self, execution_id: ExecutionIdentifier) -> dict[str, pb.NodeExecution]:
        """The pipeline's node executions, by task name."""
        recorded = node_executions(self.executions, execution_id)
        return {task: recorded[node_id] for task, node_id in NODES.items()}

    def statuses(self, execution_id: ExecutionIdentifier) -> dict[str, int]:
        return {task: n.cache_status for task, n in self.nodes(execution_id).items()}

    def result(self, execution_id: ExecutionIdentifier) -> int:
        outputs = execution_outputs(self.executions, execution_id)
        return int(to_python(outputs.literals["o0"], int))


@pytest.fixture
def project(plane: ControlPlane, executions: ExecutionServiceStub, tmp_path: Path) -> Project:
    return Project(plane, executions, tmp_path / "project")


def all_of(status: int) -> dict[str, int]:
    return dict.fromkeys(NODES, status)


POPULATED = all_of(pb.CACHE_STATUS_POPULATED)
HIT = all_of(pb.CACHE_STATUS_HIT)


def records_beside(store: ObjectStore, artifact_hash: str) -> list[LineageRecord]:
    keys = store.list(layout.artifact_key(artifact_hash) + layout.LINEAGE_MARK)
    return [LineageRecord.FromString(store.get_bytes(key)) for key in keys]


def record_of(store: ObjectStore, node: pb.NodeExecution, output: str = "o0") -> LineageRecord:
    (record,) = [
        r
        for r in records_beside(store, node.output_hashes[output])
        if r.execution_id == node.id.execution_id and r.node_id == node.id.node_id
    ]
    return record


@pytest.mark.usefixtures("agent")
def test_a_second_run_hits_every_node_and_launches_no_ray_task(project: Project) -> None:
    store = project.plane.store
    first = project.run()
    assert project.result(first) == 18
    assert project.statuses(first) == POPULATED
    assert project.runs() == {"load": 1, "scale": 1, "total": 1}

    second = project.run()
    assert project.result(second) == 18
    assert project.statuses(second) == HIT
    # No task body ran again: no Ray task was launched.
    assert project.runs() == {"load": 1, "scale": 1, "total": 1}
    before, after = project.nodes(first), project.nodes(second)
    for task, node in after.items():
        assert node.phase == pb.NODE_PHASE_SUCCEEDED
        assert node.source_execution_id == first
        assert node.cache_key == before[task].cache_key
        assert node.cache_key_components == before[task].cache_key_components
        assert dict(node.output_hashes) == dict(before[task].output_hashes)
        assert not node.attempts
        # A hit's inputs are on record like any node's: the same content as its source's.
        assert read_outputs(store, node.inputs_uri) == read_outputs(store, before[task].inputs_uri)


@pytest.mark.usefixtures("agent")
def test_every_output_has_its_lineage_beside_it_and_a_hit_names_its_source(
    project: Project,
) -> None:
    store = project.plane.store
    first = project.run()
    second = project.run()
    for execution_id in (first, second):
        nodes = project.nodes(execution_id)
        records = {task: record_of(store, node) for task, node in nodes.items()}
        # The inputs of each record are the outputs of the node upstream of it.
        assert dict(records["load"].inputs) == {"n": to_literal(4, int).hash}
        assert dict(records["scale"].inputs) == {
            "values": nodes["load"].output_hashes["o0"],
            "factor": to_literal(3, int).hash,
        }
        assert dict(records["total"].inputs) == {"values": nodes["scale"].output_hashes["o0"]}
        for task, record in records.items():
            assert record.cache_key == nodes[task].cache_key
            assert record.task_id.name == f"pipeline.{task}"
            assert record.code_digest
            data = store.get_bytes(layout.artifact_key(record.artifact_hash))
            assert "sha256:" + hashlib.sha256(data).hexdigest() == record.artifact_hash
            if execution_id == second:
                assert record.cache_source.execution_id == first
                assert record.cache_source.node_id == NODES[task]
            else:
                assert not record.HasField("cache_source")


@pytest.mark.usefixtures("agent")
def test_changed_code_reruns_its_task_and_downstream_only_when_its_output_changed(
    project: Project,
) -> None:
    project.run()
    assert project.runs()["scale"] == 1

    # Same behaviour, other code: scale runs again, and total keys on the same content.
    project.register("[factor * v for v in values]")
    same = project.run()
    assert project.statuses(same) == {
        "load": pb.CACHE_STATUS_HIT,
        "scale": pb.CACHE_STATUS_POPULATED,
        "total": pb.CACHE_STATUS_HIT,
    }
    assert project.runs() == {"load": 1, "scale": 2, "total": 1}
    assert project.result(same) == 18

    # Other output: everything downstream of scale runs again.
    project.register("[v * factor + 1 for v in values]")
    changed = project.run()
    assert project.statuses(changed) == {
        "load": pb.CACHE_STATUS_HIT,
        "scale": pb.CACHE_STATUS_POPULATED,
        "total": pb.CACHE_STATUS_POPULATED,
    }
    assert project.runs() == {"load": 1, "scale": 3, "total": 2}
    assert project.result(changed) == 22


@pytest.mark.usefixtures("agent")
def test_a_deleted_artifact_turns_a_hit_into_a_miss_that_repairs_it(project: Project) -> None:
    store = project.plane.store
    first = project.run()
    lost = project.nodes(first)["scale"].output_hashes["o0"]
    original = store.get_bytes(layout.artifact_key(lost))
    (store.root / layout.artifact_key(lost)).unlink()  # type: ignore[attr-defined]

    repaired = project.run()
    assert project.statuses(repaired) == {
        "load": pb.CACHE_STATUS_HIT,
        "scale": pb.CACHE_STATUS_POPULATED,
        "total": pb.CACHE_STATUS_HIT,
    }
    assert project.runs() == {"load": 1, "scale": 2, "total": 1}
    assert store.get_bytes(layout.artifact_key(lost)) == original
    assert project.result(repaired) == 18

    again = project.run()
    assert project.statuses(again) == HIT
    assert project.nodes(again)["scale"].source_execution_id == repaired
    assert project.runs()["scale"] == 2


@pytest.mark.usefixtures("agent")
def test_overwrite_cache_recomputes_and_the_next_run_reuses_the_new_entry(
    project: Project,
) -> None:
    project.run()
    overwritten = project.run(overwrite=True)
    assert project.statuses(overwritten) == all_of(pb.CACHE_STATUS_OVERWRITTEN)
    assert project.runs() == {"load": 2, "scale": 2, "total": 2}
    after = project.run()
    assert project.statuses(after) == HIT
    assert all(n.source_execution_id == overwritten for n in project.nodes(after).values())


@pytest.mark.usefixtures("agent")
def test_an_ignored_input_is_left_out_of_the_key_and_kept_in_the_record(
    project: Project,
) -> None:
    store = project.plane.store
    first = project.run("annotated", x=4, note="first try")
    second = project.run("annotated", x=4, note="second try")
    assert project.runs() == {"tagged": 1}
    assert project.result(second) == 8
    (node,) = node_executions(project.executions, second).values()
    assert node.cache_status == pb.CACHE_STATUS_HIT
    assert node.source_execution_id == first
    assert list(node.cache_key_components.ignored_inputs) == ["note"]
    assert "note" not in node.cache_key_components.inputs
    # What the hit consumed is its own: the note it was given, not its source's.
    assert to_python(read_outputs(store, node.inputs_uri).literals["note"], str) == "second try"
    assert record_of(store, node).inputs["note"] == to_literal("second try", str).hash
    project.run("annotated", x=5, note="second try")
    assert project.runs() == {"tagged": 2}


@pytest.mark.usefixtures("agent")
def test_an_evicted_entry_is_recomputed_and_nothing_below_reuses_a_stale_key(
    project: Project,
) -> None:
    first = project.run("stamped", n=1)
    assert project.result(first) == 102
    # The agent remembers what stamp's key gave; the control plane no longer has it.
    channel = authorized_channel(project.plane)
    request = cs.EvictCacheRequest(project=PROJECT, domain=DOMAIN, task_name="pipeline.stamp")
    assert CacheServiceStub(channel).EvictCache(request).evicted == 1
    channel.close()
    second = project.run("stamped", n=1)
    # stamp ran again and gave another value: "after" must key on that, not on 101.
    assert project.result(second) == 202
    assert project.runs() == {"stamp": 2, "after": 2}
    statuses = {
        n.id.node_id: n.cache_status for n in node_executions(project.executions, second).values()
    }
    assert statuses == {"n0": pb.CACHE_STATUS_POPULATED, "n1": pb.CACHE_STATUS_POPULATED}


@pytest.mark.usefixtures("agent")
def test_two_executions_of_one_key_at_once_run_it_once(project: Project) -> None:
    first = project.start("once", x=7)
    wait_until(lambda: project.runs().get("gated") == 1, 60, "the first execution's task to start")
    second = project.start("once", x=7)
    # The second execution asks while the first one holds the key: it waits, then reuses.
    wait_until(
        lambda: (
            get_execution(project.executions, second).closure.phase == pb.EXECUTION_PHASE_RUNNING
        ),
        30,
        "the second execution to start",
    )
    (project.folder / "gate").touch()
    for execution_id in (first, second):
        execution = wait_for(project.executions, execution_id)
        assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
        assert project.result(execution_id) == 70
    assert project.runs()["gated"] == 1
    (node,) = node_executions(project.executions, second).values()
    assert node.cache_status == pb.CACHE_STATUS_HIT
    assert node.source_execution_id == first


def test_a_resumed_execution_runs_the_key_its_dead_agent_reserved(
    project: Project, ray_address: str
) -> None:
    doomed = agent_process(project.plane.grpc_address, ray_address)
    try:
        execution_id = project.start("once", x=3)
        wait_until(lambda: project.runs().get("gated") == 1, 60, "the gated task to start")
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    orphan = int((project.folder / "ran-gated").read_text().split()[0])
    wait_until(lambda: not pid_alive(orphan), 30, "Ray to stop the dead agent's task")
    (project.folder / "gate").touch()
    # The key is still reserved for this very node: its successor must run it, not wait.
    successor = Agent(
        project.plane.grpc_address, ray_address, claim_wait=1.0, token=agent_token(project.plane)
    )
    thread = threading.Thread(target=successor.run)
    thread.start()
    try:
        execution = wait_for(project.executions, execution_id, 60)
    finally:
        successor.stop()
        thread.join(30)
    assert execution.closure.phase == pb.EXECUTION_PHASE_SUCCEEDED
    assert project.result(execution_id) == 30
    (node,) = node_executions(project.executions, execution_id).values()
    assert node.cache_status == pb.CACHE_STATUS_POPULATED
    assert project.runs()["gated"] == 2


@pytest.fixture
def s3_plane(tmp_path: Path, minio_server: MinioServer) -> Iterator[ControlPlane]:
    settings = Settings.for_home(tmp_path / "home", grpc_port=0, store_url=minio_server.url())
    plane = ControlPlane(dataclasses.replace(settings, lease_seconds=LEASE_SECONDS))
    plane.start()
    yield remember(plane)
    plane.stop(grace=None)


def test_on_minio_a_second_run_hits_and_a_plain_client_sees_the_layout(
    s3_plane: ControlPlane, minio_server: MinioServer, ray_address: str, tmp_path: Path
) -> None:
    channel = authorized_channel(s3_plane)
    project = Project(s3_plane, ExecutionServiceStub(channel), tmp_path / "project")
    # Its own process and Ray job: the store's credentials reach its workers from the agent.
    agent = agent_process(s3_plane.grpc_address, ray_address)
    try:
        first = project.run()
        second = project.run()
    finally:
        agent.terminate()
        agent.wait(30)
    assert project.statuses(first) == POPULATED
    assert project.statuses(second) == HIT
    assert project.runs() == {"load": 1, "scale": 1, "total": 1}

    client = minio_server.client()
    bucket = S3Location.parse(s3_plane.settings.store_url).bucket
    names = [o.object_name for o in client.list_objects(bucket, "cas/sha256/", recursive=True)]
    for execution_id in (first, second):
        for node in project.nodes(execution_id).values():
            artifact = layout.artifact_key(node.output_hashes["o0"])
            response = client.get_object(bucket, artifact)
            try:
                data = response.read()
            finally:
                response.close()
                response.release_conn()
            assert "sha256:" + hashlib.sha256(data).hexdigest() == node.output_hashes["o0"]
            beside = [n for n in names if n.startswith(artifact + layout.LINEAGE_MARK)]
            records = [record_of(s3_plane.store, node)]
            assert len(beside) >= len(records)
    channel.close()
