"""What events add beside the state they fold into: the lineage records a node wrote, the
cache entry a node populated, and the cache reservations that settled nodes give back.

All of it is idempotent, so re-sent events change nothing: a record is indexed once (by its
digest), a node makes one entry per key, and releasing a released key is a no-op.
"""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.execution_phases import EXECUTION_TERMINAL, NODE_TERMINAL
from graven.control_plane.persistence.execution_repository import ExecutionState
from graven.control_plane.persistence.lineage_repository import IndexedRecord
from graven.v1 import execution_pb2 as pb
from graven.v1.cache_pb2 import CacheEntry

# A node with one of these outputs computed what its key names: its outputs are an entry.
POPULATING = frozenset({pb.CACHE_STATUS_POPULATED, pb.CACHE_STATUS_OVERWRITTEN})


def index_node_event(state: ExecutionState, event: pb.NodeEvent, now: Timestamp) -> None:
    """After the event is applied (the node's task is known then)."""
    indexing = state.indexing
    indexing.records.extend(IndexedRecord.of(record) for record in event.lineage)
    if event.phase in NODE_TERMINAL:
        indexing.settled_nodes.add(event.id.node_id)
    if event.phase == pb.NODE_PHASE_SUCCEEDED and event.cache_status in POPULATING:
        task_id = state.nodes[event.id.node_id].node.task_id
        indexing.cache_entries.append(
            CacheEntry(
                key=event.cache_key,
                components=event.cache_key_components,
                outputs={record.name: record.artifact_hash for record in event.lineage},
                artifact_hashes=sorted(
                    {record.artifact_hash for record in event.lineage}
                    | {h for record in event.lineage for h in record.content_hashes}
                ),
                source=event.id,
                task_id=task_id,
                created_at=event.occurred_at if event.HasField("occurred_at") else now,
            )
        )


def index_execution_event(state: ExecutionState, event: pb.ExecutionEvent) -> None:
    if event.phase in EXECUTION_TERMINAL:
        state.indexing.settled = True
