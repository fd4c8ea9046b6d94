"""Stored bytes that no longer hash to their key, on a folder and a real MinIO: quarantined
(kept, never served) only when re-hashing proves them wrong, then replaced by the normal
write-once put; cache hits, artifact writes, bundles and ReadContent check what they reuse."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from auth_support import ConnectBearer, http_token, remember
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from corruption import overwrite, quarantined
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graven.artifacts import artifact_bytes, put_artifact, read_artifact
from graven.blobs import StoreBlobs, fetch
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.errors import NotFound
from graven.control_plane.service.bundles import BundleStore
from graven.data_plane.cache_hits import entry_outputs
from graven.digests import PREFIX, sha256_hex
from graven.errors import GravenValueError
from graven.literals import int_literal
from graven.store import ObjectStore, StoreError, content_key, open_store
from graven.store.base import CHUNK_SIZE
from graven.store.integrity import QUARANTINE_PREFIX, CorruptContent, addressed_sha256, intact
from graven.store.layout import bundle_key, lineage_key
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.lineage_service_connect import LineageServiceClientSync
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub
from graven.v1.registry_service_pb2 import BundleHeader

hex_digests = st.binary(min_size=1, max_size=64).map(lambda b: hashlib.sha256(b).hexdigest())


@given(hex_digest=hex_digests, record=hex_digests)
def test_content_addressed_keys_name_the_sha256_of_their_bytes(
    hex_digest: str, record: str
) -> None:
    assert addressed_sha256(content_key(hex_digest)) == hex_digest
    assert addressed_sha256(bundle_key(PREFIX + hex_digest)) == hex_digest
    assert addressed_sha256(lineage_key(PREFIX + hex_digest, b"r")) == sha256_hex(b"r")[7:]
    assert addressed_sha256(f"cas/sha256/{hex_digest[:2]}/{hex_digest}.lineage/{record}.pb") == (
        record
    )
    # A fan-out folder that is not the hash's first byte, or a key named by identifiers.
    other = "00" if not hex_digest.startswith("00") else "ff"
    assert addressed_sha256(f"cas/sha256/{other}/{hex_digest}") is None
    assert addressed_sha256("executions/p/d/e/outputs.pb") is None


def test_a_corrupt_object_is_quarantined_and_the_put_stores_the_right_bytes(
    store: ObjectStore,
) -> None:
    right = b"the value as computed"
    ref = store.put_content(io.BytesIO(right))
    overwrite(store, ref.key, b"the value as a failing disk left it")

    moved = store.quarantine(ref.key)

    assert moved is not None
    assert moved.startswith(f"{QUARANTINE_PREFIX}{ref.key}.")
    assert not store.exists(ref.key)
    assert store.get_bytes(moved) == b"the value as a failing disk left it"
    assert ref.key not in list(store.list("cas/"))
    assert store.put_content(io.BytesIO(right)) == ref
    assert store.get_bytes(ref.key) == right
    assert quarantined(store, ref.key) == [b"the value as a failing disk left it"]


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3 * 1024))
def test_an_intact_object_is_never_quarantined(store: ObjectStore, data: bytes) -> None:
    ref = store.put_content(io.BytesIO(data))
    assert store.quarantine(ref.key) is None
    assert store.get_bytes(ref.key) == data
    assert list(store.list(QUARANTINE_PREFIX + ref.key)) == []


def test_a_missing_object_or_a_key_named_by_identifiers_is_left_alone(
    store: ObjectStore,
) -> None:
    assert store.quarantine(content_key(sha256_hex(b"never stored"))) is None
    store.put_bytes("executions/p/d/e/outputs.pb", b"outputs")
    with pytest.raises(StoreError, match="not a content-addressed key"):
        store.quarantine("executions/p/d/e/outputs.pb")
    assert store.get_bytes("executions/p/d/e/outputs.pb") == b"outputs"
    assert list(store.list(QUARANTINE_PREFIX)) == []


def test_racing_repairs_keep_the_right_bytes_and_every_bad_copy(store: ObjectStore) -> None:
    right = os.urandom(50_000)
    ref = store.put_content(io.BytesIO(right))
    overwrite(store, ref.key, b"bad" * 1000)
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def repair() -> None:
        start.wait()
        try:
            store.quarantine(ref.key)
            store.put_content(io.BytesIO(right))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=repair) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.get_bytes(ref.key) == right
    copies = quarantined(store, ref.key)
    assert copies
    assert all(copy == b"bad" * 1000 for copy in copies)
    assert store.quarantine(ref.key) is None


def test_content_of_another_size_is_repaired_by_writing_it_again(store: ObjectStore) -> None:
    right = b"x" * 5000
    ref = store.put_content(io.BytesIO(right))
    overwrite(store, ref.key, b"x" * 4999)
    assert store.put_content(io.BytesIO(right)) == ref
    assert store.get_bytes(ref.key) == right
    assert quarantined(store, ref.key) == [b"x" * 4999]


def test_writing_an_artifact_again_repairs_a_corrupt_copy(store: ObjectStore) -> None:
    literal = int_literal(42)
    artifact_hash = put_artifact(store, literal)
    key = content_key(artifact_hash)
    overwrite(store, key, artifact_bytes(int_literal(43)))
    with pytest.raises(CorruptContent, match="corrupt"):
        read_artifact(store, artifact_hash)

    assert put_artifact(store, literal) == artifact_hash

    assert read_artifact(store, artifact_hash).primitive.integer == 42
    assert quarantined(store, key) == [artifact_bytes(int_literal(43))]


def test_intact_reads_the_object_through(store: ObjectStore) -> None:
    ref = store.put_content(io.BytesIO(b"file content"))
    assert intact(store, ref.key)
    assert not intact(store, content_key(sha256_hex(b"absent")))
    overwrite(store, ref.key, b"file CONTENT")  # same size: only hashing tells
    assert not intact(store, ref.key)
    assert not store.exists(ref.key)
    assert quarantined(store, ref.key) == [b"file CONTENT"]


def test_a_worker_fetching_corrupt_content_quarantines_it(
    store: ObjectStore, tmp_path: Path
) -> None:
    blobs = StoreBlobs(store, tmp_path / "cache")
    ref = store.put_content(io.BytesIO(b"an input file"))
    overwrite(store, ref.key, b"an input FILE")
    with pytest.raises(GravenValueError, match="read back with sha256"):
        fetch(blobs, ref.sha256)
    assert quarantined(store, ref.key) == [b"an input FILE"]
    # The producer's next write stores the content again, and the input reads right.
    store.put_content(io.BytesIO(b"an input file"))
    assert fetch(blobs, ref.sha256).read_bytes() == b"an input file"


def cache_entry(store: ObjectStore) -> tuple[CacheEntry, str, str]:
    """An entry whose output ``n`` is an artifact and which needs one file's content."""
    artifact_hash = put_artifact(store, int_literal(7))
    content = store.put_content(io.BytesIO(b"a file the output names")).digest
    entry = CacheEntry(key="k", outputs={"n": artifact_hash}, artifact_hashes=[artifact_hash])
    entry.artifact_hashes.append(content)
    return entry, artifact_hash, content


def test_a_cache_hit_on_intact_objects_gives_the_outputs(store: ObjectStore) -> None:
    entry, _, _ = cache_entry(store)
    outputs = entry_outputs(store, entry)
    assert outputs is not None
    assert outputs.literals["n"].primitive.integer == 7


@pytest.mark.parametrize("damaged", ["artifact", "file content"])
def test_a_cache_hit_on_a_corrupt_object_is_a_miss_that_frees_its_key(
    store: ObjectStore, damaged: str
) -> None:
    entry, artifact_hash, content = cache_entry(store)
    key = content_key(artifact_hash if damaged == "artifact" else content)
    bad = b"\x08\x01" if damaged == "artifact" else b"a file the output NAMES"
    overwrite(store, key, bad)

    assert entry_outputs(store, entry) is None

    assert not store.exists(key)
    assert quarantined(store, key) == [bad]
    # The rerun's writes store the right bytes again, and the next hit is a hit.
    put_artifact(store, int_literal(7))
    store.put_content(io.BytesIO(b"a file the output names"))
    assert entry_outputs(store, entry) is not None


def test_a_corrupt_bundle_is_missing_to_a_client_and_its_upload_repairs_it(
    store: ObjectStore,
) -> None:
    bundles = BundleStore(store)
    archive = os.urandom(3000)
    digest = sha256_hex(archive)
    chunks = [archive[:1000], archive[1000:]]
    bundles.upload(BundleHeader(digest=digest, size=len(archive)), chunks)
    overwrite(store, bundle_key(digest), os.urandom(3000))

    with pytest.raises(NotFound):
        bundles.get(digest)
    assert bundles.upload(BundleHeader(digest=digest, size=len(archive)), chunks).size == 3000

    assert store.get_bytes(bundle_key(digest)) == archive
    assert bundles.get(digest).digest == digest
    assert len(quarantined(store, bundle_key(digest))) == 1


@pytest.fixture(scope="module")
def lineage(grpc_channel: grpc.Channel) -> LineageServiceStub:
    return LineageServiceStub(grpc_channel)


@pytest.mark.parametrize("size", [10, CHUNK_SIZE, 2 * CHUNK_SIZE + 5])
def test_read_content_of_corrupt_bytes_ends_in_data_loss_before_the_last_chunk(
    lineage: LineageServiceStub, control_plane: ControlPlane, size: int
) -> None:
    data = os.urandom(size)
    ref = control_plane.store.put_content(io.BytesIO(data))
    overwrite(control_plane.store, ref.key, data[:-1] + bytes([data[-1] ^ 1]))
    received: list[bytes] = []

    with pytest.raises(grpc.RpcError) as raised:
        received.extend(
            r.chunk for r in lineage.ReadContent(ls.ReadContentRequest(hash=ref.digest))
        )

    assert raised.value.code() == grpc.StatusCode.DATA_LOSS
    assert ref.digest in str(raised.value.details())
    # Never the whole: all but the last chunk at most, none for content of one chunk.
    assert sum(map(len, received)) == (size - 1) // CHUNK_SIZE * CHUNK_SIZE
    # A read does not repair: the corrupt object stays until a scrub or a write moves it.
    assert control_plane.store.exists(ref.key)


def test_read_content_of_intact_bytes_is_unchanged(
    lineage: LineageServiceStub, control_plane: ControlPlane
) -> None:
    for data in (b"", os.urandom(CHUNK_SIZE), os.urandom(CHUNK_SIZE + 1)):
        ref = control_plane.store.put_content(io.BytesIO(data))
        chunks = [r.chunk for r in lineage.ReadContent(ls.ReadContentRequest(hash=ref.digest))]
        assert b"".join(chunks) == data


@pytest.fixture(scope="module")
def http_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    home = tmp_path_factory.mktemp("integrity-connect-home")
    plane = ControlPlane(Settings.for_home(home, grpc_port=0, http_port=0))
    plane.start()
    yield remember(plane)
    plane.stop(grace=None)


def test_read_content_of_corrupt_bytes_is_data_loss_over_connect_too(
    http_plane: ControlPlane,
) -> None:
    assert http_plane.http_port is not None
    url = f"http://127.0.0.1:{http_plane.http_port}"
    client = LineageServiceClientSync(
        url, interceptors=[ConnectBearer(http_token(http_plane.http_port))]
    )
    data = os.urandom(CHUNK_SIZE + 10)
    ref = http_plane.store.put_content(io.BytesIO(data))
    request = ls.ReadContentRequest(hash=ref.digest)
    assert b"".join(r.chunk for r in client.read_content(request)) == data

    overwrite(http_plane.store, ref.key, bytes(len(data)))
    received: list[bytes] = []
    with pytest.raises(ConnectError) as raised:
        received.extend(r.chunk for r in client.read_content(request))
    assert raised.value.code == Code.DATA_LOSS
    assert ref.digest in raised.value.message
    assert sum(map(len, received)) == CHUNK_SIZE


def verify_store(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graven.cli", "admin", "verify-store", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_verify_store_of_a_home_without_a_store_is_one_error_line(tmp_path: Path) -> None:
    result = verify_store("--home", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: no store at {tmp_path / 'nowhere' / 'store'} (check --home or --store)"
    ]
    assert not (tmp_path / "nowhere").exists()


def test_verify_store_without_a_database_scrubs_the_store_alone(tmp_path: Path) -> None:
    store = open_store((tmp_path / "home" / "store").as_uri())
    intact_ref = store.put_content(io.BytesIO(b"fine"))
    bad_ref = store.put_content(io.BytesIO(b"flipped"))
    overwrite(store, bad_ref.key, b"FLIPPED")

    result = verify_store("--home", str(tmp_path / "home"))

    assert result.returncode == 1, result.stderr
    assert f"corrupt {bad_ref.key}" in result.stdout
    assert "lineage records not checked" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("Checked 2 object(s), 11 bytes")
    assert store.get_bytes(intact_ref.key) == b"fine"
    assert quarantined(store, bad_ref.key) == [b"FLIPPED"]
    again = verify_store("--home", str(tmp_path / "home"))
    assert again.returncode == 0, again.stdout
    assert "Checked 1 object(s), 4 bytes" in again.stdout
