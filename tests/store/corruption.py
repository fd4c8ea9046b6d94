"""Damage done to a store behind Graven's back, as a failing disk or a hand edit would: an
object's bytes replaced in place, whatever the write-once rule says."""

from __future__ import annotations

import io

from graven.store import ObjectStore
from graven.store.integrity import QUARANTINE_PREFIX
from graven.store.local import LocalStore
from graven.store.s3 import S3Store


def overwrite(store: ObjectStore, key: str, data: bytes) -> None:
    if isinstance(store, LocalStore):
        (store.root / key).write_bytes(data)
    elif isinstance(store, S3Store):
        name = f"{store.location.prefix}/{key}" if store.location.prefix else key
        store._client.put_object(store.location.bucket, name, io.BytesIO(data), len(data))
    else:
        raise TypeError(f"no way to damage a {type(store).__name__}")


def quarantined(store: ObjectStore, key: str) -> list[bytes]:
    """The bytes of every quarantined copy of ``key``."""
    prefix = f"{QUARANTINE_PREFIX}{key}."
    return [store.get_bytes(k) for k in store.list(prefix)]
