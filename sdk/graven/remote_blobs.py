"""File and directory content moving between a client and the control plane's store.

A client never writes the store itself (it may not even reach it: MinIO behind compose), so
``RemoteBlobs`` is the ``graven.blobs.Blobs`` of a client: content goes up through
LineageService.UploadContent and comes back through ReadContent, streamed in chunks both ways
so a large file is never held in memory whole.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

import grpc

from graven.blobs import default_cache_dir
from graven.digests import PREFIX
from graven.errors import GravenValueError
from graven.store.content import ContentRef, content_key
from graven.v1 import lineage_service_pb2 as lin
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub

UPLOAD_CHUNK_BYTES = 1 << 20
# Content of a stream that cannot seek back is spooled to disk past this size.
SPOOL_BYTES = 8 << 20


def content_ref(source: bytes | str | os.PathLike[str]) -> ContentRef:
    """The sha256 and size of some bytes, or of a file's content read in chunks."""
    if isinstance(source, bytes):
        return _ref(hashlib.sha256(source).hexdigest(), len(source))
    path = Path(source)
    if not path.is_file():
        raise GravenValueError(f"{path}: no such file")
    with path.open("rb") as stream:
        return _hashed(stream)


class RemoteBlobs:
    """Stores and reads blob content through a control plane (implements ``Blobs``); what
    ``to_python`` reads is kept in the same local cache a worker on this machine uses."""

    def __init__(self, lineage: LineageServiceStub, cache_dir: Path | None = None) -> None:
        self._lineage = lineage
        self.cache_dir = cache_dir or default_cache_dir()

    def put(self, stream: BinaryIO) -> ContentRef:
        """Upload the stream's content; its hash goes first (the upload's header), so the
        content is hashed in a first pass: in place when the stream can seek back, else
        while it is spooled to a temporary file."""
        if stream.seekable():
            start = stream.tell()
            ref = _hashed(stream)
            stream.seek(start)
            return self._upload(ref, stream)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            hashing = _HashingWriter(spool)
            shutil.copyfileobj(stream, hashing, UPLOAD_CHUNK_BYTES)
            spool.seek(0)
            return self._upload(hashing.ref(), spool)

    def open(self, sha256: str) -> BinaryIO:
        """A stream of stored content; NOT_FOUND (a grpc.RpcError) here when it is missing."""
        digest = sha256 if sha256.startswith(PREFIX) else PREFIX + sha256
        call = self._lineage.ReadContent(lin.ReadContentRequest(hash=digest))
        reader = _ChunkReader(call)
        # The first chunk is fetched now, so a missing content fails here, not at a read.
        reader.prefetch()
        return io.BufferedReader(reader, UPLOAD_CHUNK_BYTES)

    def _upload(self, ref: ContentRef, stream: IO[bytes]) -> ContentRef:
        def parts() -> Iterator[lin.UploadContentRequest]:
            yield lin.UploadContentRequest(header=lin.ContentHeader(hash=ref.digest, size=ref.size))
            # Lazy: when the server already holds the content it answers after the header,
            # and the rest is never read.
            while chunk := stream.read(UPLOAD_CHUNK_BYTES):
                yield lin.UploadContentRequest(chunk=chunk)

        stored = self._lineage.UploadContent(parts())
        if stored.hash != ref.digest:
            raise GravenValueError(
                f"the control plane stored {stored.hash} for content hashed {ref.digest}"
            )
        return ref


def _hashed(stream: IO[bytes]) -> ContentRef:
    """The reference of the rest of a stream, read in chunks."""
    hashing = _HashingWriter(None)
    while chunk := stream.read(UPLOAD_CHUNK_BYTES):
        hashing.write(chunk)
    return hashing.ref()


def _ref(sha256: str, size: int) -> ContentRef:
    return ContentRef(sha256=sha256, size=size, key=content_key(sha256))


class _HashingWriter:
    """Passes bytes on to a file (if any), hashing and counting them on the way."""

    def __init__(self, target: IO[bytes] | None) -> None:
        self._target = target
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        if self._target is not None:
            self._target.write(data)
        return len(data)

    def ref(self) -> ContentRef:
        return _ref(self._hash.hexdigest(), self._size)


class _ChunkReader(io.RawIOBase):
    """The chunks of a ReadContent call as a raw stream; closing it cancels the call."""

    def __init__(self, call: Iterator[lin.ReadContentResponse]) -> None:
        self._call = call
        self._pending = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def prefetch(self) -> None:
        self._fill()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._fill()
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self._done and isinstance(self._call, grpc.Future):
            self._call.cancel()
        self._done = True
        super().close()

    def _fill(self) -> None:
        while not self._pending and not self._done:
            response = next(self._call, None)
            if response is None:
                self._done = True
                return
            self._pending = memoryview(response.chunk)
