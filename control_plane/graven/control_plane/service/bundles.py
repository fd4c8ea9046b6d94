"""Code bundles: content-addressed archives of a user's project, written once to the store."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from typing import Literal, Protocol, TypeVar

from graven.control_plane.errors import InvalidArgument, NotFound, ResourceExhausted
from graven.control_plane.service.validation import check_digest
from graven.digests import PREFIX
from graven.store import ObjectStore
from graven.store.integrity import intact
from graven.store.layout import bundle_key
from graven.v1.registry_service_pb2 import Bundle, BundleHeader

MAX_BUNDLE_BYTES = 512 << 20


H = TypeVar("H", covariant=True)


class UploadPart(Protocol[H]):
    """A message of an upload stream (a bundle's, a content's): a header, then chunks."""

    @property
    def header(self) -> H: ...

    @property
    def chunk(self) -> bytes: ...

    def WhichOneof(self, oneof_group: Literal["part"]) -> str | None: ...  # noqa: N802


def split_upload(requests: Iterable[UploadPart[H]]) -> tuple[H, Iterator[bytes]]:
    """The header and the chunks of an upload stream, whatever transport carried it."""
    parts = iter(requests)
    first = next(parts, None)
    if first is None or first.WhichOneof("part") != "header":
        raise InvalidArgument("header", "the first message of an upload must be the header")

    def chunks() -> Iterator[bytes]:
        for i, part in enumerate(parts, start=1):
            if part.WhichOneof("part") != "chunk":
                raise InvalidArgument("chunk", f"message {i} of the upload is not a chunk")
            yield part.chunk

    return first.header, chunks()


class BundleStore:
    def __init__(self, store: ObjectStore, max_bytes: int = MAX_BUNDLE_BYTES) -> None:
        self._store = store
        self._max_bytes = max_bytes

    def upload(self, header: BundleHeader, chunks: Iterable[bytes]) -> Bundle:
        """Store the bundle unless the store holds it; the bytes go through a temporary file
        while their hash is computed, so a bundle is never held in memory whole, and nothing
        reaches the store before its digest and size are verified."""
        check_digest(header.digest, "header.digest")
        if header.size < 0:
            raise InvalidArgument("header.size", "must not be negative")
        self._check_size(header.size)
        key = bundle_key(header.digest)
        # A stored copy that does not hash to its digest is quarantined here, so the genuine
        # bytes being sent replace it.
        if intact(self._store, key):
            return Bundle(digest=header.digest, size=self._store.size(key))
        hasher = hashlib.sha256()
        received = 0
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                received += len(chunk)
                self._check_size(received)
                hasher.update(chunk)
                spool.write(chunk)
            if received != header.size:
                raise InvalidArgument(
                    "header.size", f"announced {header.size} bytes, received {received}"
                )
            digest = PREFIX + hasher.hexdigest()
            if digest != header.digest:
                raise InvalidArgument(
                    "header.digest", f"{header.digest} does not match the bytes sent ({digest})"
                )
            spool.seek(0)
            self._store.put_stream(key, spool)
        return Bundle(digest=digest, size=received)

    def get(self, digest: str) -> Bundle:
        """The stored bundle, hashed through: a corrupt copy is quarantined and answered as
        missing, so a client that uploads what is missing (``graven register``) repairs it."""
        check_digest(digest, "digest")
        key = bundle_key(digest)
        if not intact(self._store, key):
            raise NotFound(f"bundle {digest} is not in the store; upload it first")
        return Bundle(digest=digest, size=self._store.size(key))

    def _check_size(self, size: int) -> None:
        if size > self._max_bytes:
            raise ResourceExhausted(
                f"a code bundle may hold at most {self._max_bytes} bytes; this one has {size}"
            )
