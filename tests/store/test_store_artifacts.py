"""Artifacts and blob content on both backends: bytes hash to their keys, written once, read
back checked; a worker's cache downloads each content once."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

import pytest

from graven import Directory, File
from graven.artifacts import artifact_bytes, put_artifact, read_artifact
from graven.blobs import StoreBlobs, content_hashes, fetch
from graven.digests import sha256_hex
from graven.errors import GravenValueError
from graven.literals import to_literal, to_python
from graven.store import ObjectStore, StoreError, open_store
from graven.store.layout import artifact_key
from graven.v1.literals_pb2 import Literal


class CountingBlobs(StoreBlobs):
    """StoreBlobs that counts downloads, to see the cache at work."""

    def __init__(self, store: ObjectStore, cache_dir: Path) -> None:
        super().__init__(store, cache_dir)
        self.opened: list[str] = []

    def open(self, sha256: str) -> BinaryIO:
        self.opened.append(sha256)
        return super().open(sha256)


def test_an_artifact_is_stored_under_the_hash_of_its_bytes(store: ObjectStore) -> None:
    literal = to_literal({"b": [1.5, -0.0], "a": []}, dict[str, list[float]])
    assert put_artifact(store, literal) == literal.hash
    data = store.get_bytes(artifact_key(literal.hash))
    assert data == artifact_bytes(literal)
    assert sha256_hex(data) == literal.hash
    assert read_artifact(store, literal.hash) == literal


def test_equal_values_share_one_artifact_written_once(store: ObjectStore) -> None:
    first = to_literal({"x": 1, "y": 2}, dict[str, int])
    second = to_literal({"y": 2, "x": 1}, dict[str, int])
    put_artifact(store, first)
    put_artifact(store, second)
    assert list(store.list("cas/")) == [artifact_key(first.hash)]


def test_a_literal_without_a_hash_gets_one_and_a_wrong_one_is_refused(
    store: ObjectStore,
) -> None:
    literal = to_literal(7, int)
    bare = Literal()
    bare.CopyFrom(literal)
    bare.ClearField("hash")
    assert put_artifact(store, bare) == literal.hash
    lying = to_literal(8, int)
    lying.hash = literal.hash
    with pytest.raises(GravenValueError, match="is not its content hash"):
        put_artifact(store, lying)


def test_a_corrupt_or_missing_artifact_is_a_store_error(tmp_path: Path) -> None:
    store = open_store((tmp_path / "store").as_uri())
    literal = to_literal("text", str)
    with pytest.raises(StoreError):
        read_artifact(store, literal.hash)
    store.put_bytes(artifact_key(literal.hash), artifact_bytes(to_literal("other", str)))
    with pytest.raises(StoreError, match="corrupt"):
        read_artifact(store, literal.hash)


def test_a_file_is_stored_by_content_and_read_once_per_worker(
    store: ObjectStore, tmp_path: Path
) -> None:
    data = b"a,b\n1,2\n"
    (tmp_path / "one.csv").write_bytes(data)
    (tmp_path / "two.txt").write_bytes(data)
    blobs = CountingBlobs(store, tmp_path / "cache")
    one = to_literal(File(tmp_path / "one.csv"), File, blobs)
    two = to_literal(File(tmp_path / "two.txt"), File, blobs)
    assert one.hash == two.hash
    sha = hashlib.sha256(data).hexdigest()
    assert one.blob.sha256 == sha
    assert store.get_bytes(artifact_key("sha256:" + sha)) == data
    first = to_python(one, File, blobs)
    second = to_python(two, File, blobs)
    assert first == second
    assert first.path.read_bytes() == data
    assert blobs.opened == [sha]
    assert content_hashes(one, blobs) == ["sha256:" + sha]


def test_a_directory_is_its_files_contents_and_relative_paths(
    store: ObjectStore, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_bytes(b"alpha")
    (tree / "sub" / "b.bin").write_bytes(b"beta")
    (tree / "sub" / "c.bin").write_bytes(b"alpha")
    blobs = StoreBlobs(store, tmp_path / "cache")
    literal = to_literal(Directory(tree), Directory, blobs)
    back = to_python(literal, Directory, blobs)
    assert {p.relative_to(back.path).as_posix(): p.read_bytes() for p in back.files()} == {
        "a.txt": b"alpha",
        "sub/b.bin": b"beta",
        "sub/c.bin": b"alpha",
    }
    hashes = content_hashes(literal, blobs)
    expected = {sha256_hex(b"alpha"), sha256_hex(b"beta"), "sha256:" + literal.blob.sha256}
    assert hashes == sorted(expected)
    assert all(store.exists(artifact_key(h)) for h in hashes)


def test_content_that_reads_back_wrong_is_refused(tmp_path: Path) -> None:
    store = open_store((tmp_path / "store").as_uri())
    claimed = hashlib.sha256(b"expected").hexdigest()
    store.put_bytes(artifact_key("sha256:" + claimed), b"tampered")
    with pytest.raises(GravenValueError, match="read back with sha256"):
        fetch(StoreBlobs(store, tmp_path / "cache"), claimed)
    assert not any((tmp_path / "cache").rglob(claimed))
