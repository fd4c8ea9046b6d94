"""The store, as a walk reads it: the ``Reads`` port over an ``ObjectStore``."""

from __future__ import annotations

from collections.abc import Mapping

from graven.artifacts import read_artifact
from graven.data_plane.cache_hits import entry_outputs
from graven.data_plane.cache_reservations import CacheService
from graven.data_plane.lineage_records import committed_records
from graven.data_plane.walk_actions import Committed
from graven.errors import GravenValueError
from graven.store import ObjectStore, StoreError, layout
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.literals_pb2 import LiteralMap


class StoreReads:
    def __init__(
        self, store: ObjectStore, execution_id: ExecutionIdentifier, cache: CacheService | None
    ) -> None:
        self._store = store
        self._execution_id = execution_id
        self._cache = cache

    def outputs(self, uri: str) -> LiteralMap:
        return LiteralMap.FromString(self._store.get_bytes(self._store.key_of(uri)))

    def artifacts(self, hashes: Mapping[str, str]) -> LiteralMap:
        return LiteralMap(
            literals={name: read_artifact(self._store, h) for name, h in hashes.items()}
        )

    def committed(self, node_id: str) -> Committed | None:
        key = layout.node_outputs_key(self._execution_id, node_id)
        if not self._store.exists(key):
            return None
        outputs = LiteralMap.FromString(self._store.get_bytes(key))
        records = committed_records(self._store, self._execution_id, node_id, outputs)
        return Committed(outputs, self._store.uri(key), records)

    def inputs(self, node_id: str) -> LiteralMap:
        key = layout.node_inputs_key(self._execution_id, node_id)
        return LiteralMap.FromString(self._store.get_bytes(key))

    def started_at(self, node_id: str, attempt: int) -> float | None:
        key = layout.attempt_started_key(self._execution_id, node_id, attempt)
        try:
            return float(self._store.get_bytes(key))
        except StoreError:
            return None

    def entry_outputs(self, entry: CacheEntry, known: LiteralMap | None) -> LiteralMap | None:
        return entry_outputs(self._store, entry, known)

    def foresee(self, key: str) -> LiteralMap | None:
        """The outputs the agent remembers for ``key``, if they are still in the store."""
        remembered = self._cache.remembered(key) if self._cache is not None else None
        if remembered is None:
            return None
        try:
            return self.artifacts(remembered)
        except (StoreError, GravenValueError):
            return None

    def uri(self, key: str) -> str:
        return self._store.uri(key)
