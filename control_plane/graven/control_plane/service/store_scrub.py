"""Scrubbing a store: every content-addressed object re-hashed, the corrupt ones quarantined,
and the lineage records the index knows checked for beside their artifacts.

Objects are judged by their keys alone (``graven.store.integrity``): an artifact or a value's
content, a lineage record, a code bundle. A corrupt one is moved to ``quarantine/`` by the
store's own re-hashing quarantine, so a scrub running beside a live control plane can never
move a correct object, and the next write of the right bytes stores them.

A lineage record the database indexed but the store no longer holds (lost, or just
quarantined) is reported, never written back: records are written by the step that produced
the value, and a scrub did not see it run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from graven.control_plane.persistence.lineage_models import LineageRecordRow
from graven.store import ObjectStore, StoreError
from graven.store.base import CHUNK_SIZE
from graven.store.content import CAS_PREFIX, HashingReader
from graven.store.integrity import addressed_sha256
from graven.store.layout import LINEAGE_MARK, artifact_key

SCRUBBED_PREFIXES = (CAS_PREFIX + "/", "bundles/")


@dataclass(frozen=True)
class Quarantined:
    key: str
    moved_to: str
    sha256: str
    """What the bytes hashed to (the key names another)."""


@dataclass(frozen=True)
class MissingRecord:
    key: str
    """Where the record should be, beside its artifact."""
    artifact_hash: str
    producer: str
    """``project/domain/execution`` and the node (none for the execution's inputs)."""


@dataclass
class ScrubReport:
    checked: int = 0
    bytes: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    vanished: int = 0
    """Objects listed that were gone by the time they were read (a concurrent quarantine)."""
    missing_records: list[MissingRecord] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.quarantined and not self.missing_records


def addressed_keys(store: ObjectStore) -> list[str]:
    """Every object a scrub judges, in order."""
    return [
        key
        for prefix in SCRUBBED_PREFIXES
        for key in store.list(prefix)
        if addressed_sha256(key) is not None
    ]


def scrub_objects(
    store: ObjectStore,
    keys: list[str],
    report: ScrubReport,
    checked: Callable[[str, int], None] = lambda key, size: None,
) -> set[str]:
    """Re-hash each key (``checked`` hears of each, with its size), quarantining the corrupt;
    the keys still holding their right bytes."""
    intact: set[str] = set()
    for key in keys:
        expected = addressed_sha256(key)
        assert expected is not None  # addressed_keys
        try:
            with store.open(key) as stream:
                reader = HashingReader(stream)
                while reader.read(CHUNK_SIZE):
                    pass
        except StoreError:
            if store.exists(key):
                raise
            report.vanished += 1
            continue
        found = reader.ref()
        report.checked += 1
        report.bytes += found.size
        if found.sha256 == expected:
            intact.add(key)
        else:
            moved = store.quarantine(key)
            if moved is not None:
                report.quarantined.append(Quarantined(key, moved, found.sha256))
        checked(key, found.size)
    return intact


def missing_records(engine: Engine, intact: set[str]) -> Iterator[MissingRecord]:
    """The records the index holds whose object is not among the ``intact`` keys."""
    columns = (
        LineageRecordRow.artifact_hash,
        LineageRecordRow.digest,
        LineageRecordRow.execution_project,
        LineageRecordRow.execution_domain,
        LineageRecordRow.execution_name,
        LineageRecordRow.node_id,
    )
    with engine.connect() as connection:
        rows = connection.execution_options(yield_per=2000).execute(
            select(*columns).order_by(LineageRecordRow.id)
        )
        for artifact_hash, digest, project, domain, name, node_id in rows:
            key = f"{artifact_key(artifact_hash)}{LINEAGE_MARK}{digest.split(':', 1)[1]}.pb"
            if key not in intact:
                node = f" node {node_id}" if node_id else " inputs"
                yield MissingRecord(key, artifact_hash, f"{project}/{domain}/{name}{node}")
