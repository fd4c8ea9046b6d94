"""Lineage records the control plane receives (from agents, from the store) or writes itself
(for an execution's inputs, and for the nodes a recovery takes over).

A record is written to the store, beside its artifact, before it is indexed: the index can
always be rebuilt from the store, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from google.protobuf.timestamp_pb2 import Timestamp

from graven.artifacts import artifact_bytes, put_artifact
from graven.blobs import StoreBlobs, content_hashes
from graven.control_plane.errors import InvalidArgument
from graven.control_plane.persistence.lineage_repository import IndexedRecord
from graven.control_plane.service.validation import check_digest, checked_time, require
from graven.errors import GravenValueError
from graven.store import ObjectStore, StoreError
from graven.store.layout import artifact_key, lineage_key
from graven.v1.execution_pb2 import Execution
from graven.v1.identifier_pb2 import NodeExecutionIdentifier
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import LiteralMap


def check_record(record: LineageRecord, field: str) -> None:
    """A record the index can hold: well-formed hashes, a name, a time."""
    check_digest(record.artifact_hash, f"{field}.artifact_hash")
    for i, content_hash in enumerate(record.content_hashes):
        check_digest(content_hash, f"{field}.content_hashes[{i}]")
    for name, artifact_hash in sorted(record.inputs.items()):
        check_digest(artifact_hash, f"{field}.inputs.{name}")
    require(bool(record.name), f"{field}.name")
    if record.size < 0:
        raise InvalidArgument(f"{field}.size", "must not be negative")
    require(record.HasField("created_at"), f"{field}.created_at")
    checked_time(record, "created_at", f"{field}.created_at")


def store_records(store: ObjectStore, records: Iterable[LineageRecord]) -> list[IndexedRecord]:
    """Write records beside their artifacts (write-once); what to index."""
    indexed = [IndexedRecord.of(record) for record in records]
    for r in indexed:
        store.put_bytes(lineage_key(r.record.artifact_hash, r.data), r.data)
    return indexed


class InputArtifacts:
    """An execution's inputs stored as artifacts, and checked to have their content stored:
    what the execution's input records describe.

    ``hold`` is given every content the inputs need before any is checked to be stored: it
    restarts the grace of those that are uploads (see service/upload_collection), so what is
    found stored here stays stored until the launch's records reference it."""

    def __init__(
        self,
        store: ObjectStore,
        interface: TypedInterface,
        inputs: LiteralMap,
        hold: Callable[[Collection[str]], None],
    ) -> None:
        types = {variable.name: variable.type for variable in interface.inputs}
        blobs = StoreBlobs(store)
        self._records: list[LineageRecord] = []
        needs: dict[str, list[str]] = {}
        for name, literal in sorted(inputs.literals.items()):
            try:
                needs[name] = content_hashes(literal, blobs)
            except StoreError as error:
                raise InvalidArgument(
                    f"inputs.{name}", f"its content is not in the store: {error}"
                ) from None
        hold({h for needed in needs.values() for h in needed})
        for name, literal in sorted(inputs.literals.items()):
            field = f"inputs.{name}"
            needed = needs[name]
            for content_hash in needed:
                if not store.exists(artifact_key(content_hash)):
                    raise InvalidArgument(
                        field,
                        f"its content {content_hash} is not in the store; upload it first "
                        "(LineageService.UploadContent)",
                    )
            try:
                artifact_hash = put_artifact(store, literal)
            except GravenValueError as error:
                raise InvalidArgument(f"{field}.hash", str(error)) from None
            literal.hash = artifact_hash
            self._records.append(
                LineageRecord(
                    artifact_hash=artifact_hash,
                    type=types[name],
                    size=len(artifact_bytes(literal)),
                    content_hashes=needed,
                    name=name,
                )
            )

    def records(self, execution: Execution) -> list[LineageRecord]:
        """The records of the inputs of ``execution``: node_id empty, name the input's."""
        records = []
        for template in self._records:
            record = LineageRecord()
            record.CopyFrom(template)
            record.execution_id.CopyFrom(execution.id)
            record.workflow_id.CopyFrom(execution.spec.workflow_id)
            record.created_at.CopyFrom(execution.closure.created_at)
            records.append(record)
        return records


def taken_over(
    source_records: Mapping[str, Iterable[LineageRecord]], execution: Execution, now: Timestamp
) -> list[LineageRecord]:
    """Records of recovered nodes (node id to the records of the source execution's node):
    the same outputs, now part of ``execution``, pointing at the node execution that first
    computed them."""
    records = []
    for node_id, originals in sorted(source_records.items()):
        for original in originals:
            record = LineageRecord()
            record.CopyFrom(original)
            if not original.HasField("cache_source"):
                record.cache_source.CopyFrom(
                    NodeExecutionIdentifier(execution_id=original.execution_id, node_id=node_id)
                )
            record.execution_id.CopyFrom(execution.id)
            record.workflow_id.CopyFrom(execution.spec.workflow_id)
            record.created_at.CopyFrom(now)
            records.append(record)
    return records
