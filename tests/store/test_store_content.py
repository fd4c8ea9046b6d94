"""Content addressing: put_content hashes while it writes, and stores each content once."""

from __future__ import annotations

import hashlib
import io
import threading

import pytest
from store_support import LARGE, MEMORY_BOUND, GeneratedStream, peak_memory

from graven.store import ContentRef, ObjectStore, StoreError, content_key


def test_put_content_keys_the_bytes_by_their_sha256(store: ObjectStore) -> None:
    data = b"an output value"
    ref = store.put_content(io.BytesIO(data))
    expected = hashlib.sha256(data).hexdigest()
    assert ref == ContentRef(sha256=expected, size=len(data), key=content_key(expected))
    assert ref.key == f"cas/sha256/{expected[:2]}/{expected}"
    assert ref.digest == f"sha256:{expected}"
    assert store.get_bytes(ref.key) == data
    assert store.size(ref.key) == len(data)


def test_empty_content_is_content(store: ObjectStore) -> None:
    ref = store.put_content(io.BytesIO(b""))
    assert ref.sha256 == hashlib.sha256(b"").hexdigest()
    assert store.get_bytes(ref.key) == b""


def test_identical_content_is_stored_once(store: ObjectStore) -> None:
    first = store.put_content(io.BytesIO(b"same bytes"))
    second = store.put_content(io.BytesIO(b"same bytes"))
    other = store.put_content(io.BytesIO(b"other bytes"))
    assert first == second != other
    assert list(store.list("cas/")) == sorted([first.key, other.key])


def test_concurrent_writers_of_one_content_store_it_once(store: ObjectStore) -> None:
    data = b"raced" * 10_000
    refs: list[ContentRef] = []
    start = threading.Barrier(4)

    def write() -> None:
        start.wait()
        refs.append(store.put_content(io.BytesIO(data)))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refs) == 4
    assert len(set(refs)) == 1
    assert list(store.list("")) == [refs[0].key]
    assert store.get_bytes(refs[0].key) == data


def test_large_content_is_hashed_as_it_streams(store: ObjectStore) -> None:
    stream = GeneratedStream(LARGE)
    refs: list[ContentRef] = []
    peak = peak_memory(lambda: refs.append(store.put_content(stream)))  # type: ignore[arg-type]
    [ref] = refs
    assert ref.sha256 == stream.sha256.hexdigest()
    assert ref.size == LARGE == store.size(ref.key)
    assert peak < MEMORY_BOUND, f"put_content held {peak >> 20} MiB"


@pytest.mark.parametrize("digest", ["", "abc", "g" * 64, "A" * 64, "sha256:" + "0" * 63])
def test_content_keys_need_a_sha256(digest: str) -> None:
    with pytest.raises(StoreError, match="not a sha256 hex digest"):
        content_key(digest)


def test_content_keys_accept_both_digest_forms() -> None:
    hex_digest = "ab" + "0" * 62
    assert content_key(hex_digest) == content_key("sha256:" + hex_digest)
    assert content_key(hex_digest) == f"cas/sha256/ab/{hex_digest}"
