"""Uploads nothing came to reference are collected after the grace period, and nothing an
execution, a lineage record or a launch plan references ever is: over a real gRPC server, on
SQLite and PostgreSQL, with a folder store and MinIO, the clock moved by hand.

The race the ordering in service/upload_collection exists for is played both ways: a launch
that arrives while the collector deletes its upload is refused (and nothing refers to the
missing bytes), and a collection that runs while a launch is between holding its uploads and
committing them leaves them alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN, launch_plan_id, launch_plan_spec, unique, var
from execution_support import WAIT, Harness
from sqlalchemy.orm import Session, sessionmaker
from test_signals import Gates

from graven.channels import open_channel, resolve_token
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.lineage_repository import LineageRepository
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.lineage_records import store_records
from graven.digests import sha256_hex
from graven.literals import sealed
from graven.store import content_key
from graven.store.minio_process import MinioServer
from graven.v1 import execution_service_pb2 as es
from graven.v1 import lineage_service_pb2 as ls
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import signal_service_pb2 as ss
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub
from graven.v1.literals_pb2 import Blob, Literal, LiteralMap
from graven.v1.signal_service_pb2_grpc import SignalServiceStub
from graven.v1.types_pb2 import BLOB_DIMENSIONALITY_SINGLE, BlobType, LiteralType

GRACE = timedelta(hours=24)
FILE = LiteralType(blob=BlobType(dimensionality=BLOB_DIMENSIONALITY_SINGLE))


class ManualClock:
    """The control plane's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class ProbedUploads(UploadRepository):
    """The real repository, with a hook around a launch's hold of its uploads: where a test
    puts the other side of a race."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)
        self.before_hold: Callable[[], None] = lambda: None
        self.after_hold: Callable[[], None] = lambda: None

    def hold(self, content_hashes: Collection[str], at: datetime) -> None:
        self.before_hold()
        super().hold(content_hashes, at)
        self.after_hold()


class Plane(Harness):
    def __init__(self, plane: ControlPlane, channel: grpc.Channel, clock: ManualClock) -> None:
        super().__init__(plane, channel)
        self.lineage = LineageServiceStub(channel)
        self.signals = SignalServiceStub(channel)
        self.clock = clock
        sessions = make_sessions(plane.engine)
        self.repository = UploadRepository(sessions)
        self.probe = ProbedUploads(sessions)
        plane.executions._uploads = self.probe
        self.workflow = self.register(inputs=[var("f", FILE)]).id

    def upload(self, data: bytes) -> str:
        digest = sha256_hex(data)
        header = ls.ContentHeader(hash=digest, size=len(data))
        parts = [ls.UploadContentRequest(header=header), ls.UploadContentRequest(chunk=data)]
        return self.lineage.UploadContent(iter(parts)).hash

    def stored(self, digest: str) -> bool:
        return self.plane.store.exists(content_key(digest))

    def read(self, digest: str) -> bytes:
        request = ls.ReadContentRequest(hash=digest)
        return b"".join(r.chunk for r in self.lineage.ReadContent(request))

    def launch(self, digest: str, size: int) -> es.CreateExecutionResponse:
        request = es.CreateExecutionRequest(
            project=self.project,
            domain=DOMAIN,
            workflow_id=self.workflow,
            inputs=LiteralMap(literals={"f": file_literal(digest, size)}),
        )
        return self.executions.CreateExecution(request)

    def executions_count(self) -> int:
        request = es.ListExecutionsRequest(project=self.project, domain=DOMAIN, page_size=100)
        return len(self.executions.ListExecutions(request).executions)


def file_literal(digest: str, size: int) -> Literal:
    blob_type = BlobType(dimensionality=BLOB_DIMENSIONALITY_SINGLE)
    blob = Blob(sha256=digest.removeprefix("sha256:"), size=size, type=blob_type)
    return sealed(Literal(blob=blob))


@pytest.fixture(params=["folder", "minio"])
def plane(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Plane]:
    home = tmp_path / "home"
    store_url = None
    if request.param == "minio":
        server: MinioServer = request.getfixturevalue("minio_server")
        store_url = server.url()
    settings = Settings.for_home(home, db_url=database_url, store_url=store_url, grpc_port=0)
    clock = ManualClock()
    # The periodic collection is left to its hour; the tests run collections themselves.
    with ControlPlane(settings, clock=clock) as control_plane:
        channel = open_channel(control_plane.grpc_address, resolve_token(home=home))
        grpc.channel_ready_future(channel).result(timeout=WAIT)
        try:
            yield Plane(control_plane, channel, clock)
        finally:
            channel.close()


def test_an_upload_nothing_references_is_collected_once_past_the_grace(plane: Plane) -> None:
    data = os.urandom(3000)
    digest = plane.upload(data)
    plane.clock.advance(GRACE - timedelta(seconds=1))
    assert plane.plane.uploads.collect().objects == 0
    assert plane.read(digest) == data

    plane.clock.advance(timedelta(seconds=2))
    collected = plane.plane.uploads.collect()
    assert (collected.objects, collected.bytes) == (1, len(data))
    assert not plane.stored(digest)
    with pytest.raises(grpc.RpcError) as refused:
        plane.launch(digest, len(data))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "upload it first" in str(refused.value.details())

    # Uploaded again, the content is stored again and can be used.
    assert plane.upload(data) == digest
    assert plane.launch(digest, len(data)).execution.id.name
    assert plane.read(digest) == data


def test_uploading_again_restarts_the_grace(plane: Plane) -> None:
    data = os.urandom(100)
    digest = plane.upload(data)
    plane.clock.advance(GRACE - timedelta(hours=1))
    plane.upload(data)
    plane.clock.advance(timedelta(hours=2))
    assert plane.plane.uploads.collect().objects == 0
    assert plane.stored(digest)


def test_content_an_execution_takes_in_is_never_collected(plane: Plane) -> None:
    data = os.urandom(5000)
    digest = plane.upload(data)
    execution = plane.launch(digest, len(data)).execution
    for _ in range(3):
        plane.clock.advance(GRACE * 10)
        assert plane.plane.uploads.collect().objects == 0
    assert plane.read(digest) == data
    request = es.GetExecutionDataRequest(id=execution.id)
    inputs = plane.executions.GetExecutionData(request).inputs
    assert inputs.literals["f"].blob.sha256 == digest.removeprefix("sha256:")


def test_content_a_registered_launch_plan_names_is_never_collected(plane: Plane) -> None:
    data = os.urandom(700)
    digest = plane.upload(data)
    identifier = launch_plan_id(unique("lp"), project=plane.project)
    spec = launch_plan_spec(plane.workflow, defaults={"f": file_literal(digest, len(data))})
    plane.registry.CreateLaunchPlan(rs.CreateLaunchPlanRequest(id=identifier, spec=spec))
    plane.clock.advance(GRACE * 2)
    assert plane.plane.uploads.collect().objects == 0
    assert plane.read(digest) == data
    launched = plane.executions.CreateExecution(
        es.CreateExecutionRequest(project=plane.project, domain=DOMAIN, launch_plan_id=identifier)
    )
    assert launched.execution.id.name


def test_only_the_unreferenced_of_many_uploads_are_collected(plane: Plane) -> None:
    kept = {}
    dropped = {}
    for i in range(12):
        data = os.urandom(64 + i)
        digest = plane.upload(data)
        if i % 3 == 0:
            plane.launch(digest, len(data))
            kept[digest] = data
        else:
            dropped[digest] = data
    plane.clock.advance(GRACE + timedelta(minutes=1))
    collected = plane.plane.uploads.collect()
    assert collected.objects == len(dropped)
    assert collected.bytes == sum(map(len, dropped.values()))
    assert not any(plane.stored(digest) for digest in dropped)
    assert all(plane.read(digest) == data for digest, data in kept.items())
    assert plane.plane.uploads.collect().objects == 0


def test_a_launch_arriving_while_its_upload_is_collected_is_refused(plane: Plane) -> None:
    """The collector's row delete comes first: the launch's hold waits for (or follows) the
    collector's commit, which comes only after the object is gone, so the launch finds it
    missing and is refused; nothing then refers to the deleted bytes."""
    data = os.urandom(2048)
    digest = plane.upload(data)
    plane.clock.advance(GRACE + timedelta(seconds=1))
    outcome: dict[str, BaseException | es.CreateExecutionResponse] = {}
    holding = threading.Event()
    plane.probe.before_hold = holding.set

    def launch() -> None:
        try:
            outcome["launch"] = plane.launch(digest, len(data))
        except grpc.RpcError as error:
            outcome["launch"] = error

    launcher = threading.Thread(target=launch)
    store = plane.plane.store

    def remove() -> None:
        # The object is gone and the row's delete not yet committed: the launch comes now.
        store.delete(content_key(digest))
        launcher.start()
        assert holding.wait(WAIT), "the launch never reached its hold"

    cutoff = plane.clock() - GRACE
    assert plane.repository.collect(digest, cutoff, remove)
    launcher.join(WAIT)
    assert not launcher.is_alive()
    refused = outcome["launch"]
    assert isinstance(refused, grpc.RpcError)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "upload it first" in str(refused.details())
    assert plane.executions_count() == 0
    assert not plane.stored(digest)
    # The server serves on, and the content can be uploaded and used again.
    plane.upload(data)
    assert plane.launch(digest, len(data)).execution.id.name
    plane.clock.advance(GRACE * 3)
    assert plane.plane.uploads.collect().objects == 0
    assert plane.read(digest) == data


def test_a_collection_while_a_launch_holds_its_upload_leaves_it(plane: Plane) -> None:
    """The launch's hold comes first: a collection running between the hold and the launch's
    commit finds the upload inside its grace again, and the launch's records keep it for
    good."""
    data = os.urandom(4096)
    digest = plane.upload(data)
    plane.clock.advance(GRACE + timedelta(seconds=1))
    during: list[int] = []
    plane.probe.after_hold = lambda: during.append(plane.plane.uploads.collect().objects)
    execution = plane.launch(digest, len(data)).execution
    assert during == [0]
    assert plane.stored(digest)
    plane.probe.after_hold = lambda: None
    plane.clock.advance(GRACE * 5)
    assert plane.plane.uploads.collect().objects == 0
    assert plane.read(digest) == data
    assert plane.get(execution.id).id == execution.id


def test_graven_admin_collect_uploads_beside_a_running_control_plane(plane: Plane) -> None:
    """The command collects with the real clock: uploads recorded at the test clock's time
    (long past) are past any grace of an hour."""
    referenced, dropped = os.urandom(300), os.urandom(400)
    kept_digest = plane.upload(referenced)
    plane.launch(kept_digest, len(referenced))
    dropped_digest = plane.upload(dropped)
    settings = plane.plane.settings
    command = [sys.executable, "-m", "graven.cli", "admin", "collect-uploads"]
    command += ["--home", str(settings.home), "--db", settings.db_url]
    command += ["--store", settings.store_url, "--grace-hours", "1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Collected 1 unreferenced upload(s), 400 bytes" in result.stdout
    assert not plane.stored(dropped_digest)
    assert plane.read(kept_digest) == referenced


def test_content_a_signal_value_names_is_never_collected(plane: Plane) -> None:
    """A File sent to a gate is referenced by the signal's value until the gate runs (and by
    the gate's records after)."""
    gates = Gates(plane)
    data = os.urandom(900)
    digest = plane.upload(data)
    gates.wait(("document", "n7", FILE, None))
    request = ss.SetSignalRequest(
        id=gates.id("document"), value=file_literal(digest, len(data)), set_by="ana"
    )
    assert plane.signals.SetSignal(request).signal.HasField("value")
    plane.clock.advance(GRACE * 2)
    assert plane.plane.uploads.collect().objects == 0
    assert plane.read(digest) == data


def test_content_a_lineage_record_names_is_never_collected(plane: Plane) -> None:
    """Bytes uploaded that a node's output record names, as the artifact itself or as a
    file's content, are referenced by the lineage index for good."""
    as_artifact, as_content = os.urandom(111), os.urandom(222)
    artifact_digest = plane.upload(as_artifact)
    content_digest = plane.upload(as_content)
    execution = ExecutionIdentifier(project=plane.project, domain=DOMAIN, name="produced")
    records = [
        LineageRecord(
            artifact_hash=artifact_digest, execution_id=execution, node_id="n", name="a", size=1
        ),
        LineageRecord(
            artifact_hash=sha256_hex(b"a file value"),
            content_hashes=[content_digest],
            execution_id=execution,
            node_id="n",
            name="f",
            size=1,
        ),
    ]
    for record in records:
        record.created_at.GetCurrentTime()
    LineageRepository(make_sessions(plane.plane.engine)).index(
        store_records(plane.plane.store, records)
    )
    plane.clock.advance(GRACE * 2)
    assert plane.plane.uploads.collect().objects == 0
    assert plane.read(artifact_digest) == as_artifact
    assert plane.read(content_digest) == as_content
