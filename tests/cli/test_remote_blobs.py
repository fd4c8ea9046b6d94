"""A client's file content goes up through UploadContent and comes back through ReadContent,
streamed, on a real control plane: what comes back is what went up, under its sha256."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from auth_support import token_for
from hypothesis import given, settings
from hypothesis import strategies as st

from graven.control_plane.app import ControlPlane
from graven.errors import GravenValueError
from graven.remote import Remote
from graven.remote_blobs import UPLOAD_CHUNK_BYTES, content_ref
from graven.store.layout import artifact_key


class OneWayStream(io.RawIOBase):
    """Bytes that can be read once, in order: a pipe, a socket, a decompressor."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)


@pytest.fixture(scope="module")
def remote(
    control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Remote]:
    with Remote(control_plane.grpc_address, token=token_for(control_plane.grpc_address)) as client:
        client.blobs.cache_dir = tmp_path_factory.mktemp("blob-cache")
        yield client


def read_back(remote: Remote, sha256: str) -> bytes:
    with remote.blobs.open(sha256) as stream:
        return stream.read()


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=4096), seekable=st.booleans())
def test_content_comes_back_as_it_went_up(remote: Remote, data: bytes, seekable: bool) -> None:
    stream = io.BytesIO(data) if seekable else io.BufferedReader(OneWayStream(data))
    ref = remote.blobs.put(stream)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert ref.key == artifact_key(ref.digest)
    assert read_back(remote, ref.sha256) == data
    assert read_back(remote, ref.digest) == data
    # The same content again: the same reference, nothing to refuse.
    assert remote.blobs.put(io.BytesIO(data)) == ref


def test_a_large_file_streams_both_ways(
    remote: Remote, control_plane: ControlPlane, tmp_path: Path
) -> None:
    path = tmp_path / "large.bin"
    size = 5 * UPLOAD_CHUNK_BYTES + 12345
    with path.open("wb") as f:
        f.write(os.urandom(size))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert content_ref(path).sha256 == expected
    with path.open("rb") as f:
        f.seek(100)  # a stream is stored from where it stands
        ref = remote.blobs.put(f)
    assert ref.size == size - 100
    assert ref.sha256 == hashlib.sha256(path.read_bytes()[100:]).hexdigest()
    assert control_plane.store.size(ref.key) == ref.size
    with remote.blobs.open(ref.sha256) as stream:
        head = stream.read(10)
        assert head == path.read_bytes()[100:110]
        rest = stream.read()
    assert hashlib.sha256(head + rest).hexdigest() == ref.sha256


def test_missing_content_fails_when_opened(remote: Remote) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        remote.blobs.open("0" * 64)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_content_ref_hashes_a_file_or_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"graven")
    assert content_ref(path) == content_ref(b"graven")
    assert content_ref(str(path)).digest == "sha256:" + hashlib.sha256(b"graven").hexdigest()
    with pytest.raises(GravenValueError, match="no such file"):
        content_ref(tmp_path / "missing.txt")
    with pytest.raises(GravenValueError, match="no such file"):
        content_ref(tmp_path)
