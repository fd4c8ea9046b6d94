"""Values as artifacts: a top-level literal's canonical bytes, stored under their own hash.

The bytes of an artifact are exactly what ``graven.literals.literal_hash`` hashes (the
literal serialized deterministically with ``hash`` empty), so an artifact at
``cas/sha256/<hh>/<hex>`` hashes to its key, any reader can check it, and equal values from
different executions share one object. Artifacts are written once and never changed.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError

from graven.digests import canonical_bytes, sha256_hex
from graven.errors import GravenValueError
from graven.literals import unhashed
from graven.store.base import ObjectStore, StoreError
from graven.store.integrity import CorruptContent
from graven.store.layout import artifact_key
from graven.v1.literals_pb2 import Literal


def artifact_bytes(literal: Literal) -> bytes:
    """The canonical bytes of ``literal``: its artifact, and what its hash is the sha256 of."""
    return canonical_bytes(unhashed(literal))


def literal_from_artifact(data: bytes) -> Literal:
    """The top-level literal (hash set) whose artifact is ``data``; GravenValueError for bytes
    that are not one (malformed, or not in canonical form, so not any literal's artifact)."""
    try:
        literal = Literal.FromString(data)
    except DecodeError as exc:
        raise GravenValueError(f"not a literal's artifact ({exc})") from None
    if artifact_bytes(literal) != data:
        raise GravenValueError("not a literal's artifact (the bytes are not canonical)")
    literal.hash = sha256_hex(data)
    return literal


def put_artifact(store: ObjectStore, literal: Literal) -> str:
    """Store ``literal``'s artifact unless the store holds it (write-once); its hash.

    A literal whose ``hash`` is set but wrong is refused: its artifact would land under a key
    its bytes do not hash to. Stored bytes other than the artifact's are quarantined and
    replaced."""
    data = artifact_bytes(literal)
    artifact_hash = sha256_hex(data)
    if literal.hash and literal.hash != artifact_hash:
        raise GravenValueError(f"literal hash {literal.hash} is not its content hash")
    key = artifact_key(artifact_hash)
    # Read back rather than only looked up (an artifact is small: one request either way),
    # so that writing a value repairs a corrupt copy of it, --overwrite-cache's runs included.
    try:
        if store.get_bytes(key) == data:
            return artifact_hash
    except StoreError:
        pass  # missing (or unreadable, which the write reports)
    else:
        store.quarantine(key)
    store.put_bytes(key, data)
    return artifact_hash


def read_artifact(store: ObjectStore, artifact_hash: str) -> Literal:
    """The literal stored as ``artifact_hash``; StoreError when it is missing, CorruptContent
    (a StoreError) when its bytes do not hash to it."""
    key = artifact_key(artifact_hash)
    data = store.get_bytes(key)
    if sha256_hex(data) != artifact_hash:
        raise CorruptContent(
            key, f"artifact {artifact_hash} is corrupt: its bytes hash differently"
        )
    return literal_from_artifact(data)
