"""Content digests of protobuf messages.

A digest is "sha256:<hex>" over the message's deterministic serialization. Deterministic
serialization sorts map keys, so two equal specs built in any order digest the same.
"""

from __future__ import annotations

import hashlib

from google.protobuf.message import Message

PREFIX = "sha256:"
SHORT_VERSION_LENGTH = 16


def sha256_hex(data: bytes) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def canonical_bytes(message: Message) -> bytes:
    return message.SerializeToString(deterministic=True)


def message_digest(message: Message) -> str:
    return sha256_hex(canonical_bytes(message))


def short_version(digest: str) -> str:
    """The default version of an entity: a prefix of its spec digest (64 bits)."""
    return digest.removeprefix(PREFIX)[:SHORT_VERSION_LENGTH]
