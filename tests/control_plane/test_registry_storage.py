"""The repository, the registrar and the bundle store on their own, for what the server
cannot show deterministically: the insert race's losing side, and a stream larger than
announced."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cp_support import INT, task_id, task_spec, var
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.errors import AlreadyExists, InvalidArgument, ResourceExhausted
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.persistence.registry_repository import (
    EntityName,
    IdTaken,
    NewEntity,
    RegistryRepository,
)
from graven.control_plane.service.bundles import BundleStore, bundle_key, split_upload
from graven.control_plane.service.registration import Entry, Registrar, entry_of
from graven.digests import sha256_hex
from graven.store import open_store
from graven.v1.registry_service_pb2 import BundleHeader, CreateTaskRequest, UploadBundleRequest
from graven.v1.task_pb2 import TaskSpec


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_sessions(engine)
    engine.dispose()


@pytest.fixture
def repository(sessions: sessionmaker[Session]) -> RegistryRepository:
    return RegistryRepository(sessions)


def entity(digest: str, version: str = "v1") -> NewEntity:
    return NewEntity(
        name=EntityName(1, "p", "d", "n"),
        version=version,
        digest=digest,
        code_digest="",
        spec=digest.encode(),
        closure=b"",
        created_at=datetime.now(UTC),
    )


def test_a_batch_with_a_taken_id_stores_nothing(repository: RegistryRepository) -> None:
    first = entity("sha256:a")
    repository.insert_all([first])
    with pytest.raises(IdTaken):
        repository.insert_all([entity("sha256:c", version="v2"), entity("sha256:b")])
    assert repository.get(first.name, "v2") is None
    stored = repository.get(first.name, "v1")
    assert stored is not None
    assert (stored.digest, stored.spec) == ("sha256:a", b"sha256:a")
    assert stored.created_at.tzinfo is UTC


def test_get_many_finds_the_stored_ids_among_those_asked(repository: RegistryRepository) -> None:
    repository.insert_all([entity(f"sha256:{i}", version=f"v{i}") for i in range(3)])
    name = EntityName(1, "p", "d", "n")
    wanted = [(name, "v2"), (name, "v9"), (name, "v0"), (name, "v2")]
    found = repository.get_many(wanted)
    assert set(found) == {(name, "v0"), (name, "v2")}
    assert all(stored.key == key for key, stored in found.items())


class RivalFirst(RegistryRepository):
    """A registration of ``rival`` commits between this one's lookup and its insert (once)."""

    def __init__(self, sessions: sessionmaker[Session], rival: Entry) -> None:
        super().__init__(sessions)
        self._rival: Entry | None = rival

    def insert_all(self, entities: Sequence[NewEntity]) -> None:
        if self._rival is not None:
            Registrar(RegistryRepository(self._sessions)).register([self._rival])
            self._rival = None
        super().insert_all(entities)


def task_entry(name: str, spec: TaskSpec) -> Entry:
    return entry_of(CreateTaskRequest(id=task_id(name), spec=spec))


def test_losing_a_race_to_the_same_content_returns_the_winner(
    sessions: sessionmaker[Session],
) -> None:
    ours = task_entry("raced", task_spec([var("x", INT)]))
    registrar = Registrar(RivalFirst(sessions, rival=ours))
    [registered] = registrar.register([ours])
    assert not registered.created
    assert registered.entity == RegistryRepository(sessions).get(*ours.key)


def test_losing_a_race_to_other_content_stores_nothing_of_the_batch(
    sessions: sessionmaker[Session],
) -> None:
    rival = task_entry("raced", task_spec(description="the rival"))
    ours = [task_entry("bystander", task_spec()), task_entry("raced", task_spec())]
    registrar = Registrar(RivalFirst(sessions, rival=rival))
    with pytest.raises(AlreadyExists) as caught:
        registrar.register(ours)
    assert "description (stored 'the rival', given unset)" in str(caught.value)
    repository = RegistryRepository(sessions)
    assert repository.get(*ours[0].key) is None
    stored = repository.get(*rival.key)
    assert stored is not None
    assert stored.digest == rival.digest


def test_versions_list_newest_first_and_names_with_their_latest(
    repository: RegistryRepository,
) -> None:
    for i in range(3):
        repository.insert_all([entity(f"sha256:{i}", version=f"v{i}")])
    name = EntityName(1, "p", "d", "n")
    assert [v.version for v in repository.list_versions(name, None, 10)] == ["v2", "v1", "v0"]
    newest = repository.list_versions(name, None, 1)[0]
    assert [v.version for v in repository.list_versions(name, newest.seq, 10)] == ["v1", "v0"]
    [summary] = repository.list_names(1, "p", "d", "", None, 10)
    assert (summary.name, summary.latest_version, summary.version_count) == ("n", "v2", 3)
    assert repository.latest(name) == repository.get(name, "v2")


@pytest.fixture
def bundles(tmp_path: Path) -> BundleStore:
    return BundleStore(open_store((tmp_path / "store").as_uri()), max_bytes=10)


def test_a_stream_longer_than_the_limit_is_cut_off(bundles: BundleStore) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(100):
            sent.append(i)
            yield b"123456"

    with pytest.raises(ResourceExhausted, match="at most 10 bytes"):
        bundles.upload(BundleHeader(digest=sha256_hex(b"small"), size=5), chunks())
    assert len(sent) == 2  # stopped reading at the first chunk past the limit


def test_an_upload_is_verified_before_it_is_stored(tmp_path: Path) -> None:
    store = open_store((tmp_path / "store").as_uri())
    bundles = BundleStore(store)
    data = b"x" * 100
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with pytest.raises(InvalidArgument):
        bundles.upload(BundleHeader(digest=digest, size=100), [data[:50], b"y" * 50])
    assert list(store.list("bundles/")) == []
    assert bundles.upload(BundleHeader(digest=digest, size=100), [data[:50], data[50:]]).size == 100
    assert list(store.list("bundles/")) == [bundle_key(digest)]


def test_split_upload_rejects_a_stream_without_a_header() -> None:
    with pytest.raises(InvalidArgument, match="first message"):
        split_upload([UploadBundleRequest(chunk=b"data")])
    header, chunks = split_upload(
        [UploadBundleRequest(header=BundleHeader(size=1)), UploadBundleRequest(chunk=b"")]
    )
    assert header.size == 1
    assert list(chunks) == [b""]
