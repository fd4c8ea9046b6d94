"""What a batch of events (or a launch) adds beside the execution's own rows, written in the
same transaction: the lineage records to index, the cache entries nodes populated, and the
cache reservations settled nodes give back.

One transaction matters for the cache: a waiting node asks again and must find either the
reservation or the entry that replaced it, never neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from graven.control_plane.persistence.cache_repository import release, write_entries
from graven.control_plane.persistence.lineage_repository import IndexedRecord, write_records
from graven.control_plane.persistence.notification_repository import (
    NewDelivery,
    write_deliveries,
)
from graven.v1.cache_pb2 import CacheEntry


@dataclass
class EventIndexing:
    records: list[IndexedRecord] = field(default_factory=list)
    cache_entries: list[CacheEntry] = field(default_factory=list)
    # Nodes whose reservations end; every node's once the execution settled.
    settled_nodes: set[str] = field(default_factory=set)
    settled: bool = False
    # The notifications a terminal phase reached in this batch makes (an outbox: written
    # with the phase, so it is reported exactly once however the control plane stops).
    deliveries: list[NewDelivery] = field(default_factory=list)

    def write(self, connection: Connection, execution_seq: int) -> None:
        write_records(connection, self.records)
        write_entries(connection, self.cache_entries)
        write_deliveries(connection, execution_seq, self.deliveries)
        if self.settled:
            release(connection, execution_seq, None)
        elif self.settled_nodes:
            release(connection, execution_seq, self.settled_nodes)
