"""Whether stored bytes are what their key says they are, and where provably bad ones go.

Three kinds of key name their own content: an artifact or a value's content
(``cas/sha256/<hh>/<hex>``), a lineage record beside one (``….lineage/<record hex>.pb``), a
code bundle (``bundles/sha256/<hex>.tar.gz``). Their bytes must hash to the hex in the key;
anything else (a disk's bit flip, a hand edit, a bucket restored wrong) is corrupt.

A corrupt object is moved to ``quarantine/<key>.<when>-<random>``: kept for inspection, never
listed under its old prefix nor served, and its key is free again for the normal write-once put
of the right bytes. Moving it is the one operation that may touch an existing object, so each
backend re-hashes the object inside the operation, and a correct object can never be moved.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import BinaryIO

from graven.store.base import CHUNK_SIZE, ObjectStore, StoreError

QUARANTINE_PREFIX = "quarantine/"
_CAS = re.compile(r"cas/sha256/([0-9a-f]{2})/([0-9a-f]{64})")
_LINEAGE = re.compile(r"cas/sha256/([0-9a-f]{2})/([0-9a-f]{64})\.lineage/([0-9a-f]{64})\.pb")
_BUNDLE = re.compile(r"bundles/sha256/([0-9a-f]{64})\.tar\.gz")


def addressed_sha256(key: str) -> str | None:
    """The sha256 hex the bytes of ``key`` must hash to; None for a key named by identifiers
    (an execution's inputs and outputs), whose bytes nothing but a reader can judge."""
    if match := _CAS.fullmatch(key):
        return match[2] if match[2].startswith(match[1]) else None
    if match := _LINEAGE.fullmatch(key):
        return match[3] if match[2].startswith(match[1]) else None
    if match := _BUNDLE.fullmatch(key):
        return match[1]
    return None


def expected_sha256(key: str) -> str:
    """``addressed_sha256``, for a caller that must not be handed any other kind of key."""
    expected = addressed_sha256(key)
    if expected is None:
        raise StoreError(f"{key!r} is not a content-addressed key: its bytes cannot be judged")
    return expected


def quarantine_key(key: str) -> str:
    """A fresh name for the corrupt bytes of ``key``: two quarantines never collide."""
    when = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"{QUARANTINE_PREFIX}{key}.{when}-{secrets.token_hex(4)}"


def sha256_of_stream(stream: BinaryIO) -> str:
    hasher = hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        hasher.update(chunk)
    return hasher.hexdigest()


class CorruptContent(StoreError):
    """Stored bytes that do not hash to their key (DATA_LOSS to a reader)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def intact(store: ObjectStore, key: str) -> bool:
    """Whether the content-addressed object at ``key`` is there and hashes to its key, read
    through once; a corrupt one is quarantined on the way, so that the next write of its
    right bytes stores them instead of finding the key taken."""
    expected = expected_sha256(key)
    try:
        with store.open(key) as stream:
            if sha256_of_stream(stream) == expected:
                return True
    except StoreError:
        if store.exists(key):
            raise  # not missing: the store failed, which says nothing about the bytes
        return False
    store.quarantine(key)
    return False
