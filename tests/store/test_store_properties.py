"""Properties over generated keys and contents, against both backends."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graven.store import ObjectStore, StoreError
from graven.store.base import TEMP_MARK, check_key

# The store is shared by the examples of one test (a fresh folder or bucket per example would
# make the S3 runs slow), so every example writes under a prefix of its own.
shared_store = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

segments = st.text(alphabet="abAB09-_.é日", min_size=1, max_size=6).filter(
    lambda s: s not in (".", "..") and not s.startswith(TEMP_MARK)
)
keys = st.lists(segments, min_size=1, max_size=3).map("/".join)


def no_key_is_a_folder_of_another(found: set[str]) -> bool:
    """A folder cannot also be a file on disk, so a key never names another's folder."""
    return not any(other.startswith(key + "/") for key in found for other in found)


@shared_store
@given(data=st.binary(max_size=4096))
def test_every_write_reads_back_and_content_hashes_to_its_key(
    store: ObjectStore, data: bytes
) -> None:
    prefix = uuid.uuid4().hex
    store.put_bytes(f"{prefix}/bytes", data)
    store.put_stream(f"{prefix}/stream", io.BytesIO(data))
    ref = store.put_content(io.BytesIO(data))
    assert store.get_bytes(f"{prefix}/bytes") == store.get_bytes(f"{prefix}/stream") == data
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.key == f"cas/sha256/{ref.sha256[:2]}/{ref.sha256}"
    assert store.get_bytes(ref.key) == data
    assert store.size(ref.key) == ref.size == len(data)


@shared_store
@given(found=st.sets(keys, min_size=1, max_size=8).filter(no_key_is_a_folder_of_another))
def test_list_returns_every_key_in_order(store: ObjectStore, found: set[str]) -> None:
    prefix = uuid.uuid4().hex
    for key in found:
        store.put_bytes(f"{prefix}/{key}", key.encode())
    listed = [key.removeprefix(f"{prefix}/") for key in store.list(f"{prefix}/")]
    assert listed == sorted(found)
    first = min(found)[:1]
    assert [k.removeprefix(f"{prefix}/") for k in store.list(f"{prefix}/{first}")] == sorted(
        k for k in found if k.startswith(first)
    )


@given(key=st.text(alphabet="ab/.-", max_size=12))
def test_a_key_is_accepted_exactly_when_it_is_a_relative_path(key: str) -> None:
    parts = key.split("/")
    well_formed = bool(key) and all(
        p not in ("", ".", "..") and not p.startswith(TEMP_MARK) for p in parts
    )
    if well_formed:
        assert check_key(key) == key
    else:
        with pytest.raises(StoreError):
            check_key(key)
