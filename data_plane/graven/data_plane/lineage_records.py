"""Lineage records: where each output artifact came from, written beside it in the store.

The walk knows the producer (execution, workflow version, node, attempt, task, code digest,
cache key) and hands it on as a record with those fields set; whoever holds the values (a
worker after a run, the walk after a cache hit) completes one record per output. A record is
named by its own hash, so writing one twice is harmless, and the store alone holds enough to
rebuild the control plane's index.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from graven.artifacts import artifact_bytes
from graven.blobs import Blobs, content_hashes
from graven.data_plane.events import timestamp
from graven.store import ObjectStore
from graven.store.layout import LINEAGE_MARK, artifact_key, lineage_key
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.types_pb2 import LiteralType


def output_records(
    producer: LineageRecord,
    inputs: Mapping[str, Literal],
    outputs: Mapping[str, Literal],
    types: Mapping[str, LiteralType],
    blobs: Blobs,
) -> list[LineageRecord]:
    """One record per output: the producer's, plus the artifact and what was consumed."""
    consumed = {name: literal.hash for name, literal in inputs.items()}
    created = timestamp(time.time())
    records = []
    for name in sorted(outputs):
        literal = outputs[name]
        record = LineageRecord()
        record.CopyFrom(producer)
        record.artifact_hash = literal.hash
        record.type.CopyFrom(types[name])
        record.size = len(artifact_bytes(literal))
        record.content_hashes.extend(content_hashes(literal, blobs))
        record.name = name
        record.inputs.update(consumed)
        record.created_at.CopyFrom(created)
        records.append(record)
    return records


def put_record(store: ObjectStore, record: LineageRecord) -> None:
    data = record.SerializeToString(deterministic=True)
    store.put_bytes(lineage_key(record.artifact_hash, data), data)


def committed_records(
    store: ObjectStore, execution_id: ExecutionIdentifier, node_id: str, outputs: LiteralMap
) -> list[LineageRecord]:
    """The records a finished attempt of the node wrote beside its outputs, the latest
    attempt's where several did, found by listing: only a node whose success went unreported
    (its agent died, or a retry adopts its outputs) needs this."""
    found: dict[str, LineageRecord] = {}
    for name, literal in sorted(outputs.literals.items()):
        for key in store.list(artifact_key(literal.hash) + LINEAGE_MARK):
            record = LineageRecord.FromString(store.get_bytes(key))
            ours = (
                record.execution_id == execution_id
                and record.node_id == node_id
                and record.name == name
            )
            if ours and (name not in found or record.attempt > found[name].attempt):
                found[name] = record
    return [found[name] for name in sorted(found)]
