from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from graven.store.content import ContentRef

CHUNK_SIZE = 1 << 20

# Names of objects still being written start with this mark; list() hides them and no key may
# use it, so a reader never mistakes an in-flight write for an object.
TEMP_MARK = ".tmp-"


class StoreError(Exception):
    """A key that is missing, malformed, or a backend that failed."""


class ObjectStore(Protocol):
    """Where bundles, inputs, outputs, artifacts and lineage records live."""

    url: str

    def uri(self, key: str) -> str:
        """The absolute URI of ``key``, as recorded in protos."""
        ...

    def key_of(self, uri: str) -> str:
        """The key of a URI this store produced; StoreError for a foreign URI."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The key's size in bytes; StoreError when the key is missing."""
        ...

    def deferred_sync(self) -> AbstractContextManager[ObjectStore]:
        """A view of the store whose writes are made durable together when the block ends
        (one flush for many small objects); they are visible at once."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` unless it exists (write-once)."""
        ...

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        """Write the stream's bytes under ``key`` unless it exists, without holding them all."""
        ...

    def put_all(self, items: Mapping[str, bytes]) -> None:
        """Write each key unless it exists, as commit markers: an object appears only once
        its bytes are durable, and the writes are flushed together (one flush for many)."""
        ...

    def put_content(self, stream: BinaryIO) -> ContentRef:
        """Store the stream's bytes under their content key (``cas/sha256/<hh>/<hash>``),
        hashing them as they are written; content the store holds already is kept as is."""
        ...

    def get_bytes(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the key's bytes; StoreError when the key is missing."""
        ...

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``, in lexicographic order."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object at ``key`` (nothing when it is missing). Objects are write-once:
        only the collection of uploads nothing references calls this (see
        graven.control_plane.service.upload_collection)."""
        ...

    def quarantine(self, key: str) -> str | None:
        """Move the object at the content-addressed ``key`` to a fresh key under
        ``quarantine/`` if, re-hashed now, its bytes do not hash to the key; the key it was
        moved to, or None when it is intact or missing. The only write that touches an
        existing object: afterwards the normal put can store the right bytes under ``key``.
        StoreError for a key that does not name its content (see ``graven.store.integrity``)."""
        ...


def check_key(key: str) -> str:
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or any(p in ("", ".", "..") or p.startswith(TEMP_MARK) for p in parts)
    ):
        raise StoreError(f"invalid object-store key {key!r}")
    return key
