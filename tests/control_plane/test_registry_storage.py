"""The repository and the bundle store on their own, for what the server cannot show
deterministically: the insert race's losing side, and a stream larger than announced."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graven.control_plane.errors import InvalidArgument, ResourceExhausted
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.persistence.registry_repository import (
    EntityName,
    NewEntity,
    RegistryRepository,
)
from graven.control_plane.service.bundles import BundleStore, bundle_key, split_upload
from graven.digests import sha256_hex
from graven.store import open_store
from graven.v1.registry_service_pb2 import BundleHeader, UploadBundleRequest


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[RegistryRepository]:
    engine = make_engine(f"sqlite:///{tmp_path / 'graven.db'}")
    upgrade(engine)
    yield RegistryRepository(make_sessions(engine))
    engine.dispose()


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


def test_the_second_insert_of_an_id_returns_the_first(repository: RegistryRepository) -> None:
    first, created = repository.insert(entity("sha256:a"))
    assert created
    winner, created = repository.insert(entity("sha256:b"))
    assert not created
    assert winner == first
    assert repository.get(first.name, "v1") == first
    assert first.created_at.tzinfo is UTC


def test_versions_list_newest_first_and_names_with_their_latest(
    repository: RegistryRepository,
) -> None:
    for i in range(3):
        repository.insert(entity(f"sha256:{i}", version=f"v{i}"))
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
