"""Content addressing shared by every backend: the key of some bytes is their sha256, computed
while the bytes stream into the store, so no backend ever reads an artifact twice or whole."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from graven.digests import PREFIX
from graven.store.base import StoreError

CAS_PREFIX = "cas/sha256"
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ContentRef:
    """Where some content is stored, and what identifies it."""

    sha256: str
    """Lower-case hex digest of the bytes."""
    size: int
    key: str

    @property
    def digest(self) -> str:
        """``sha256:<hex>``, the form digests take in protos."""
        return PREFIX + self.sha256


def content_key(sha256: str) -> str:
    """``cas/sha256/<hh>/<hash>``: the first byte fans the objects out over 256 folders."""
    hex_digest = sha256.removeprefix(PREFIX)
    if not _HEX.fullmatch(hex_digest):
        raise StoreError(f"{sha256!r} is not a sha256 hex digest")
    return f"{CAS_PREFIX}/{hex_digest[:2]}/{hex_digest}"


class HashingReader:
    """Passes a stream's bytes through, hashing and counting them on the way."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self._size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self._hash.update(data)
        self._size += len(data)
        return data

    def ref(self) -> ContentRef:
        """The reference of every byte read so far (call it once the stream is exhausted)."""
        sha256 = self._hash.hexdigest()
        return ContentRef(sha256=sha256, size=self._size, key=content_key(sha256))
