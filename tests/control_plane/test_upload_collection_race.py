"""The race of collection with a worker (which the database does not order): a worker output
with the very bytes of an upload abandoned past the grace, found stored (and so not written
again) in the moment the collector takes it away. The collector moves the object aside
instead of deleting it, restores it as soon as anything references it, and deletes the copy
only after a second grace with nothing referencing it.

Each interleaving is played at a fixed point of the collector's move (hooks around it, inside
the transaction of its row delete), on SQLite and PostgreSQL, a folder store and MinIO, the
clock moved by hand (the fixtures of test_upload_collection).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import BinaryIO, cast

import pytest
from cp_support import DOMAIN
from sqlalchemy.orm import Session, sessionmaker
from test_upload_collection import GRACE, Plane, plane  # noqa: F401  (the fixture)

from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.lineage_repository import LineageRepository
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.lineage_records import IndexedRecord, store_records
from graven.control_plane.service.upload_collection import (
    ASIDE_PREFIX,
    Collected,
    parse_aside_key,
)
from graven.digests import sha256_hex
from graven.store import ObjectStore, content_key
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord


class MoveProbe(UploadRepository):
    """The real repository, with hooks just before and after the collector's move of an
    object (its row deleted, not yet committed): where a test puts the worker."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)
        self.before_move: Callable[[], None] = lambda: None
        self.after_move: Callable[[], None] = lambda: None

    def collect(self, content_hash: str, cutoff: datetime, remove: Callable[[], None]) -> bool:
        def probed() -> None:
            self.before_move()
            remove()
            self.after_move()

        return super().collect(content_hash, cutoff, probed)


class Stopped(Exception):
    """The collector's run ends here (its process killed, its database gone)."""


@pytest.fixture
def probe(plane: Plane) -> MoveProbe:  # noqa: F811  (the fixture imported above)
    probed = MoveProbe(make_sessions(plane.plane.engine))
    plane.plane.uploads._uploads = probed
    return probed


def collect(harness: Plane) -> Collected:
    return harness.plane.uploads.collect()


def aside(harness: Plane) -> list[str]:
    return list(harness.plane.store.list(ASIDE_PREFIX))


def worker_records(harness: Plane, artifact: str, contents: list[str]) -> list[IndexedRecord]:
    """A worker's output record, written to the store beside its artifact (not indexed)."""
    execution = ExecutionIdentifier(project=harness.project, domain=DOMAIN, name="worker")
    record = LineageRecord(
        artifact_hash=artifact,
        content_hashes=contents,
        execution_id=execution,
        node_id="n",
        name="o",
        size=1,
    )
    record.created_at.GetCurrentTime()
    return store_records(harness.plane.store, [record])


def index(harness: Plane, records: list[IndexedRecord]) -> None:
    """What the worker's agent does with its records, later."""
    LineageRepository(make_sessions(harness.plane.engine)).index(records)


def abandoned_upload(harness: Plane, size: int) -> tuple[str, bytes]:
    data = os.urandom(size)
    digest = harness.upload(data)
    harness.clock.advance(GRACE + timedelta(seconds=1))
    return digest, data


def test_a_file_found_stored_just_before_the_move_is_restored_once_indexed(
    plane: Plane,  # noqa: F811
    probe: MoveProbe,
) -> None:
    """The worker finds the file's content stored (so it does not write it) just before the
    move; its record, indexed after the move, brings the content back at the next run."""
    digest, data = abandoned_upload(plane, 1500)
    found: list[bool] = []
    probe.before_move = lambda: found.append(plane.stored(digest))
    moved = collect(plane)
    assert found == [True]
    assert (moved.objects, moved.restored, moved.deleted) == (1, 0, 0)
    assert not plane.stored(digest)
    assert len(aside(plane)) == 1

    index(plane, worker_records(plane, sha256_hex(b"a file value"), [digest]))
    assert collect(plane).restored == 1
    assert plane.read(digest) == data
    assert aside(plane) == []
    for _ in range(3):
        plane.clock.advance(GRACE * 2)
        done = collect(plane)
        assert (done.objects, done.restored, done.deleted) == (0, 0, 0)
    assert plane.read(digest) == data


def test_an_artifact_whose_record_is_in_the_store_is_restored_in_the_same_run(
    plane: Plane,  # noqa: F811
    probe: MoveProbe,
) -> None:
    """The worker's output artifact has the upload's bytes: found stored, and its record
    written beside it before the move, not yet indexed. The run that moves it restores it."""
    digest, data = abandoned_upload(plane, 700)
    written: list[list[IndexedRecord]] = []

    def worker() -> None:
        assert plane.stored(digest)
        written.append(worker_records(plane, digest, []))

    probe.before_move = worker
    done = collect(plane)
    assert (done.objects, done.restored, done.deleted) == (1, 1, 0)
    assert plane.read(digest) == data
    assert aside(plane) == []
    index(plane, written[0])
    plane.clock.advance(GRACE * 3)
    assert collect(plane).objects == 0
    assert plane.read(digest) == data


def test_content_written_again_after_the_move_stays_and_the_copy_goes(
    plane: Plane,  # noqa: F811
    probe: MoveProbe,
) -> None:
    """The worker comes just after the move: it finds the content missing and writes it,
    which the collector never touches again; the aside copy is dropped as redundant."""
    digest, data = abandoned_upload(plane, 900)

    def worker() -> None:
        assert not plane.stored(digest)
        plane.plane.store.put_bytes(content_key(digest), data)

    probe.after_move = worker
    done = collect(plane)
    assert (done.objects, done.restored, done.deleted) == (1, 0, 0)
    assert aside(plane) == []
    plane.clock.advance(GRACE * 3)
    done = collect(plane)
    assert (done.objects, done.restored, done.deleted) == (0, 0, 0)
    assert plane.read(digest) == data


def test_an_aside_copy_nothing_references_is_deleted_after_a_second_grace(
    plane: Plane,  # noqa: F811
) -> None:
    digest, _ = abandoned_upload(plane, 300)
    assert collect(plane).objects == 1
    assert not plane.stored(digest)
    plane.clock.advance(GRACE - timedelta(seconds=1))
    assert collect(plane).deleted == 0
    assert len(aside(plane)) == 1
    plane.clock.advance(timedelta(seconds=2))
    done = collect(plane)
    assert (done.objects, done.restored, done.deleted) == (0, 0, 1)
    assert aside(plane) == []
    assert not plane.stored(digest)


def test_uploading_again_after_the_move_drops_the_copy(plane: Plane) -> None:  # noqa: F811
    digest, data = abandoned_upload(plane, 400)
    assert collect(plane).objects == 1
    assert plane.upload(data) == digest
    done = collect(plane)
    assert (done.objects, done.restored, done.deleted) == (0, 0, 0)
    assert aside(plane) == []
    assert plane.read(digest) == data


def test_a_run_stopped_between_the_move_and_its_commit_loses_nothing(
    plane: Plane,  # noqa: F811
    probe: MoveProbe,
) -> None:
    """The run ends after the move, before its row delete commits: the row is back, the bytes
    are aside; the next run finds nothing to move and restores the copy once referenced."""
    digest, data = abandoned_upload(plane, 600)

    def stop() -> None:
        raise Stopped

    probe.after_move = stop
    with pytest.raises(Stopped):
        collect(plane)
    assert not plane.stored(digest)
    assert len(aside(plane)) == 1
    cutoff = plane.clock() - GRACE
    assert plane.repository.candidates(cutoff, "", 10) == [digest]

    probe.after_move = lambda: None
    done = collect(plane)
    assert (done.objects, done.restored, done.deleted) == (1, 0, 0)
    assert plane.repository.candidates(cutoff, "", 10) == []
    index(plane, worker_records(plane, sha256_hex(b"another file value"), [digest]))
    assert collect(plane).restored == 1
    assert plane.read(digest) == data


class Vanishing:
    """The plane's store, whose aside copies another collection (beside this one) restores
    just before this one opens them."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def open(self, key: str) -> BinaryIO:
        if key.startswith(ASIDE_PREFIX):
            content_hash, _ = parse_aside_key(key)
            self._store.put_bytes(content_key(content_hash), self._store.get_bytes(key))
            self._store.delete(key)
        return self._store.open(key)

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_copy_another_collection_settled_first_is_skipped(plane: Plane) -> None:  # noqa: F811
    digest, data = abandoned_upload(plane, 500)
    assert collect(plane).objects == 1
    index(plane, worker_records(plane, sha256_hex(b"a third file value"), [digest]))
    collector = plane.plane.uploads
    real = collector._store
    collector._store = cast(ObjectStore, Vanishing(real))
    try:
        done = collect(plane)
    finally:
        collector._store = real
    # Restored once, by the other collection; this one skipped the copy it found gone.
    assert (done.objects, done.restored, done.deleted) == (0, 0, 0)
    assert aside(plane) == []
    assert plane.read(digest) == data
