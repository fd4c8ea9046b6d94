"""UploadContent and ReadContent over a real gRPC server: content streams in and out in
chunks, is stored under its own hash, and is never sent twice."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import grpc
import pytest
from execution_support import WAIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graven.control_plane.app import ControlPlane
from graven.digests import sha256_hex
from graven.store import content_key
from graven.store.base import CHUNK_SIZE
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub

PART = 256 << 10


@pytest.fixture(scope="session")
def lineage(grpc_channel: grpc.Channel) -> LineageServiceStub:
    return LineageServiceStub(grpc_channel)


def parts(
    data: bytes, declared: str = "", size: int | None = None
) -> Iterator[ls.UploadContentRequest]:
    header = ls.ContentHeader(
        hash=declared or sha256_hex(data), size=len(data) if size is None else size
    )
    yield ls.UploadContentRequest(header=header)
    for start in range(0, len(data), PART):
        yield ls.UploadContentRequest(chunk=data[start : start + PART])


def read(lineage: LineageServiceStub, content_hash: str) -> list[bytes]:
    return [r.chunk for r in lineage.ReadContent(ls.ReadContentRequest(hash=content_hash))]


def test_content_streams_in_and_back_out_in_chunks(
    lineage: LineageServiceStub, control_plane: ControlPlane
) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 12345)
    stored = lineage.UploadContent(parts(data))
    assert stored.hash == sha256_hex(data)
    assert stored.size == len(data)
    assert control_plane.store.get_bytes(content_key(stored.hash)) == data
    chunks = read(lineage, stored.hash)
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) <= CHUNK_SIZE
    assert len(chunks) == 3


def test_content_already_stored_is_answered_after_the_header(lineage: LineageServiceStub) -> None:
    data = os.urandom(PART * 3)
    lineage.UploadContent(parts(data))
    release = threading.Event()

    def held_back() -> Iterator[ls.UploadContentRequest]:
        upload = parts(data)
        yield next(upload)
        # The rest only once the answer came (or never): a server waiting for it would hang.
        release.wait(WAIT)
        yield from upload

    call = lineage.UploadContent.future(held_back())
    try:
        assert call.result(timeout=WAIT).hash == sha256_hex(data)
        assert not release.is_set()
    finally:
        release.set()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3 * PART))
def test_any_bytes_round_trip(lineage: LineageServiceStub, data: bytes) -> None:
    stored = lineage.UploadContent(parts(data))
    assert stored == ls.UploadContentResponse(hash=sha256_hex(data), size=len(data))
    assert b"".join(read(lineage, stored.hash)) == data


@pytest.mark.parametrize(
    ("upload", "named"),
    [
        (lambda data: parts(data, declared=sha256_hex(b"something else")), "header.hash"),
        (lambda data: parts(data, size=len(data) + 1), "header.size"),
        (lambda data: parts(data, size=-1), "header.size"),
        (lambda data: parts(data, declared="sha256:abc"), "header.hash"),
        (lambda data: iter([ls.UploadContentRequest(chunk=data)]), "header"),
        (lambda data: iter([]), "header"),
        (
            lambda data: iter(
                [
                    next(parts(data)),
                    ls.UploadContentRequest(header=ls.ContentHeader()),
                ]
            ),
            "chunk",
        ),
    ],
)
def test_a_bad_upload_is_invalid(lineage: LineageServiceStub, upload: object, named: str) -> None:
    data = os.urandom(100)
    with pytest.raises(grpc.RpcError) as caught:
        lineage.UploadContent(upload(data))  # type: ignore[operator]
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith(named)


def test_reading_missing_or_malformed_content_is_refused(lineage: LineageServiceStub) -> None:
    missing = sha256_hex(os.urandom(16))
    with pytest.raises(grpc.RpcError) as caught:
        read(lineage, missing)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing in (caught.value.details() or "")
    with pytest.raises(grpc.RpcError) as caught:
        read(lineage, "not-a-hash")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith("hash")


def test_a_wrongly_declared_upload_stores_the_bytes_as_what_they_are(
    lineage: LineageServiceStub,
) -> None:
    data = os.urandom(1000)
    with pytest.raises(grpc.RpcError):
        lineage.UploadContent(parts(data, declared=sha256_hex(b"a lie")))
    # Nothing is stored under the claimed hash; the bytes are content under their own.
    with pytest.raises(grpc.RpcError) as caught:
        read(lineage, sha256_hex(b"a lie"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert b"".join(read(lineage, sha256_hex(data))) == data
