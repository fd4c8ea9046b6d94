"""Content going into and out of the store through the control plane: files and directory
entries a client uploads for an execution's inputs, and stored content (an artifact's bytes, a
blob's content) a client reads back. Both stream: nothing is held in memory whole.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator

from graven.control_plane.errors import DataLoss, InvalidArgument, NotFound, ResourceExhausted
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.clock import Clock, utc_now
from graven.control_plane.service.validation import check_digest
from graven.digests import PREFIX
from graven.store import ObjectStore, content_key
from graven.store.base import CHUNK_SIZE
from graven.v1.lineage_service_pb2 import ContentHeader, ReadContentResponse, UploadContentResponse


class ContentStore:
    def __init__(
        self,
        store: ObjectStore,
        uploads: UploadRepository,
        max_upload_bytes: int,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._uploads = uploads
        self._max_upload_bytes = max_upload_bytes
        self._clock = clock

    def upload(self, header: ContentHeader, chunks: Iterable[bytes]) -> UploadContentResponse:
        """Store the content unless the store holds it already (then the chunks are not
        read, so a client streaming them lazily sends no more).

        The store hashes the bytes as they stream in and keeps them under their own hash,
        so a wrong header leaves nothing under the hash it claimed; it is refused after the
        fact, and the bytes stay stored as the content they are (an upload too, collected
        like any other). Content larger than the cap is refused as it streams, and nothing
        of it is stored. The upload is recorded before the store is looked at: see
        upload_collection for why that ordering keeps the collector from deleting it."""
        check_digest(header.hash, "header.hash")
        if header.size < 0:
            raise InvalidArgument("header.size", "must not be negative")
        if header.size > self._max_upload_bytes:
            raise InvalidArgument(
                "header.size",
                f"{header.size} bytes is more than an upload may hold "
                f"({self._max_upload_bytes} bytes, the server's max_upload_bytes)",
            )
        self._uploads.record([header.hash], self._clock())
        key = content_key(header.hash)
        if self._store.exists(key):
            return UploadContentResponse(hash=header.hash, size=self._store.size(key))
        capped = _capped(chunks, self._max_upload_bytes)
        stored = self._store.put_content(io.BufferedReader(_ChunkStream(capped), CHUNK_SIZE))
        if stored.digest != header.hash:
            self._uploads.record([stored.digest], self._clock())
            raise InvalidArgument(
                "header.hash", f"{header.hash} does not match the bytes sent ({stored.digest})"
            )
        if stored.size != header.size:
            raise InvalidArgument(
                "header.size", f"announced {header.size} bytes, received {stored.size}"
            )
        return UploadContentResponse(hash=stored.digest, size=stored.size)

    def read(self, content_hash: str) -> Iterator[ReadContentResponse]:
        """The content's chunks; NotFound here, before anything streams, when it is not
        stored."""
        check_digest(content_hash, "hash")
        key = content_key(content_hash)
        if not self._store.exists(key):
            raise NotFound(f"content {content_hash} is not in the store")
        return _verified_chunks(self._store, key, content_hash)


def _verified_chunks(
    store: ObjectStore, key: str, content_hash: str
) -> Iterator[ReadContentResponse]:
    """The chunks, hashed as they stream, each sent only once the next one is read: the last
    goes out only after the whole was found to hash to ``content_hash``, else the stream ends
    in DataLoss instead. Content of one chunk (most values) is thus checked before anything
    is sent; of a larger one, a reader has received all but the last chunk when the error
    comes, never the whole, so a reader that waits for the end never takes corrupt bytes."""
    hasher = hashlib.sha256()
    with store.open(key) as stream:
        chunk = stream.read(CHUNK_SIZE)
        while True:
            hasher.update(chunk)
            following = stream.read(CHUNK_SIZE) if chunk else b""
            if not following and PREFIX + hasher.hexdigest() != content_hash:
                raise DataLoss(
                    f"content {content_hash} is corrupt in the store (its bytes hash to "
                    f"{PREFIX}{hasher.hexdigest()}); `graven admin verify-store` quarantines "
                    "it, and the next run that produces it stores it again"
                )
            if chunk:
                yield ReadContentResponse(chunk=chunk)
            if not following:
                return
            chunk = following


def _capped(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """The chunks, refused with ResourceExhausted as soon as they pass ``max_bytes`` (the
    store then drops what it had written of them)."""
    received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > max_bytes:
            raise ResourceExhausted(
                f"the upload is larger than the server accepts ({max_bytes} bytes, its "
                "max_upload_bytes); nothing of it was stored"
            )
        yield chunk


class _ChunkStream(io.RawIOBase):
    """An iterator of byte chunks as a readable raw stream."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
