"""The contract every backend keeps, run against a folder and a real MinIO."""

from __future__ import annotations

import hashlib
import io

import pytest
from store_support import LARGE, MEMORY_BOUND, GeneratedStream, peak_memory

from graven.store import ObjectStore, StoreError, open_store


def test_bytes_round_trip(store: ObjectStore) -> None:
    store.put_bytes("executions/p/d/e1/inputs.pb", b"inputs")
    assert store.exists("executions/p/d/e1/inputs.pb")
    assert store.get_bytes("executions/p/d/e1/inputs.pb") == b"inputs"
    assert store.size("executions/p/d/e1/inputs.pb") == 6


def test_an_existing_key_is_never_overwritten(store: ObjectStore) -> None:
    store.put_bytes("a/outputs.pb", b"first")
    store.put_bytes("a/outputs.pb", b"second")
    store.put_stream("a/outputs.pb", io.BytesIO(b"third"))
    assert store.get_bytes("a/outputs.pb") == b"first"


def test_deferred_writes_are_visible_at_once_and_stay_write_once(store: ObjectStore) -> None:
    store.put_bytes("b/outputs.pb", b"first")
    with store.deferred_sync() as batch:
        batch.put_bytes("b/inputs.pb", b"inputs")
        ref = batch.put_content(io.BytesIO(b"artifact"))
        batch.put_bytes("b/outputs.pb", b"second")
        assert store.get_bytes("b/inputs.pb") == b"inputs"
    assert store.get_bytes(ref.key) == b"artifact"
    assert store.get_bytes("b/outputs.pb") == b"first"


def test_put_all_writes_every_new_key_once_and_leaves_no_temporary_object(
    store: ObjectStore,
) -> None:
    store.put_bytes("m/0/outputs.pb", b"kept")
    items = {f"m/{i}/outputs.pb": f"element {i}".encode() for i in range(5)}
    store.put_all(items)
    assert store.get_bytes("m/0/outputs.pb") == b"kept"
    for i in range(1, 5):
        assert store.get_bytes(f"m/{i}/outputs.pb") == f"element {i}".encode()
    # Only the keys: the temporary files the local store links from are gone.
    assert list(store.list("m/")) == sorted(items)


def test_put_all_refuses_a_bad_key_before_writing_it(store: ObjectStore) -> None:
    with pytest.raises(StoreError, match="invalid object-store key"):
        store.put_all({"n/ok": b"x", "n/../up": b"y"})
    assert not store.exists("up")


def test_a_missing_key_is_a_store_error_naming_it(store: ObjectStore) -> None:
    assert not store.exists("nothing/here")
    for read in (store.get_bytes, store.open, store.size):
        with pytest.raises(StoreError, match=r"nothing/here does not exist"):
            read("nothing/here")


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "a/./b", "../up", "a/..", "a/", "cas/.tmp-x", ".tmp-y"]
)
def test_bad_keys_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(StoreError, match="invalid object-store key"):
        store.put_bytes(key, b"x")
    with pytest.raises(StoreError, match="invalid object-store key"):
        store.exists(key)


def test_list_is_lexicographic_and_filtered_by_prefix(store: ObjectStore) -> None:
    keys = ["b/2", "a/b/c", "a/bc", "a/a", "b/10", "c", "a/b/a"]
    for key in keys:
        store.put_bytes(key, key.encode())
    assert list(store.list("")) == sorted(keys)
    assert list(store.list("a/")) == ["a/a", "a/b/a", "a/b/c", "a/bc"]
    assert list(store.list("a/b")) == ["a/b/a", "a/b/c", "a/bc"]
    assert list(store.list("a/b/")) == ["a/b/a", "a/b/c"]
    assert list(store.list("zzz")) == []


def test_uris_name_keys_of_this_store_only(store: ObjectStore) -> None:
    uri = store.uri("bundles/sha256/ab.tar.gz")
    assert store.key_of(uri) == "bundles/sha256/ab.tar.gz"
    with pytest.raises(StoreError, match="is not in the store"):
        store.key_of("s3://elsewhere/bundles/sha256/ab.tar.gz")


def test_the_url_reopens_the_same_store(store: ObjectStore) -> None:
    store.put_bytes("k", b"v")
    assert open_store(store.url).get_bytes("k") == b"v"


def test_a_large_object_streams_in_and_out(store: ObjectStore) -> None:
    stream = GeneratedStream(LARGE)
    written = peak_memory(lambda: store.put_stream("big/object", stream))  # type: ignore[arg-type]
    assert store.size("big/object") == LARGE

    def read_back() -> str:
        digest = hashlib.sha256()
        with store.open("big/object") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    read_digests: list[str] = []
    read = peak_memory(lambda: read_digests.append(read_back()))
    assert read_digests == [stream.sha256.hexdigest()]
    assert written < MEMORY_BOUND, f"writing held {written >> 20} MiB"
    assert read < 8 << 20, f"reading held {read >> 20} MiB"


def test_a_reader_closed_early_releases_the_object(store: ObjectStore) -> None:
    store.put_bytes("partial", b"x" * 100_000)
    with store.open("partial") as f:
        assert f.read(10) == b"x" * 10
    assert f.closed
    assert store.get_bytes("partial") == b"x" * 100_000
