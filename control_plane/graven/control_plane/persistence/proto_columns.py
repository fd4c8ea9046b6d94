"""Proto fields <-> column values: timestamps as aware UTC datetimes, errors as bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf.timestamp_pb2 import Timestamp

from graven.v1 import execution_pb2 as pb


def to_timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def optional_timestamp(moment: datetime | None) -> Timestamp | None:
    return None if moment is None else to_timestamp(moment)


def to_datetime(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def optional_datetime(message: Any, name: str) -> datetime | None:
    """The timestamp field ``name`` of ``message``, None when unset."""
    return to_datetime(getattr(message, name)) if message.HasField(name) else None


def error_bytes(message: Any) -> bytes | None:
    """The ``error`` field of ``message`` as stored: deterministic bytes, None when unset."""
    if not message.HasField("error"):
        return None
    return cast(bytes, message.error.SerializeToString(deterministic=True))


def optional_error(data: bytes | None) -> pb.ExecutionError | None:
    return None if data is None else pb.ExecutionError.FromString(data)
