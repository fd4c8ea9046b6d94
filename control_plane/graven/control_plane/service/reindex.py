"""Rebuilding the lineage index from the object store alone.

Lineage records live beside their artifacts in the store (``cas/sha256/<hh>/<hex>.lineage/``),
so losing the database loses no provenance: listing the store and indexing every record
gives back the same index, and the same lineage answers, as before. Indexing is idempotent
(a record is found by its digest), so a reindex over a live index adds only what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from google.protobuf.message import DecodeError
from sqlalchemy import Engine

from graven.control_plane.config import Settings
from graven.control_plane.errors import InvalidArgument
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.lineage_repository import IndexedRecord, LineageRepository
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.service.lineage_records import check_record
from graven.store import ObjectStore, open_store
from graven.store.content import CAS_PREFIX
from graven.store.layout import is_lineage_key
from graven.v1.lineage_pb2 import LineageRecord

log = logging.getLogger(__name__)

# Records per transaction: large enough that 100,000 of them take a few hundred commits.
BATCH = 2000


def reindex(settings: Settings) -> int:
    """Bring the database of ``settings`` to the latest schema and index every lineage
    record its store holds; how many records the store holds (indexed before or now).

    For `graven admin reindex`, with the control plane stopped or running."""
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        return reindex_store(engine, open_store(settings.store_url))
    finally:
        engine.dispose()


def reindex_store(engine: Engine, store: ObjectStore) -> int:
    """Index every lineage record in ``store`` into the (migrated) database of ``engine``;
    how many there are. A record that cannot be read is logged and skipped."""
    repository = LineageRepository(make_sessions(engine))
    batch: list[IndexedRecord] = []
    count = 0
    for record in _stored_records(store):
        batch.append(IndexedRecord.of(record))
        if len(batch) == BATCH:
            repository.index(batch)
            count += len(batch)
            batch = []
    repository.index(batch)
    return count + len(batch)


def _stored_records(store: ObjectStore) -> Iterator[LineageRecord]:
    for key in store.list(CAS_PREFIX + "/"):
        if not is_lineage_key(key):
            continue
        try:
            record = LineageRecord.FromString(store.get_bytes(key))
            check_record(record, key)
        except (DecodeError, InvalidArgument) as error:
            log.warning("skipping lineage record %s: %s", key, error)
            continue
        yield record
