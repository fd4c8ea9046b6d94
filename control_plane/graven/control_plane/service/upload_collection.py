"""Collecting uploads that nothing came to reference.

A client uploads a file's content (UploadContent) and then launches an execution that names
it; a client that dies in between leaves content nothing will ever read. Each upload is
recorded with its time, apart from specs and lineage, and the collector takes an uploaded
object away once it is older than the grace period and referenced by nothing: no artifact or
lineage record (an execution's inputs are artifacts with records, written in the launch's
transaction), no registered launch plan's default or fixed input, no signal's value. Code
bundles live under keys of their own (``bundles/``) that no upload writes, so a bundle is
never a candidate.

Why a referenced object is never deleted, given that references (records, specs) are never
removed: the collector moves the object inside the transaction of the conditional delete of
its row (past the grace, unreferenced), and commits after the object is gone from its key. A
launch moves the time of the uploads it is about to reference forward (UploadRepository.hold,
committed) *before* it checks that their objects exist, and references them within the
grace; an upload records its time before it looks at the store. So a row delete that comes
first is followed, on the other side, by a check that finds the object gone (the upload
writes it again; the launch is refused, as for content never uploaded), and an update that
comes first leaves the row inside the grace, which the conditional delete then skips.

Writers the database does not order with the collector (a worker whose output has the very
bytes of an upload abandoned past the grace finds them stored and does not write them again;
a launch plan or signal naming the content, neither of which checks that it is stored) are
why a collected object is moved aside (``collected/<time>/<hex>``) rather than deleted. Every
run, after its moves, looks at every aside copy again: a copy whose content is stored again
(uploaded or written anew since) is dropped; one that anything references now (the lineage
index, a lineage record beside the artifact in the store, which a worker writes before its
agent indexes it, a launch plan, a signal value) is put back under its content key; one that
nothing has referenced since it was moved a whole grace ago is deleted. A writer that comes
after the move finds the content missing and writes it itself.

Known limits, each needing an upload abandoned for the whole grace and then reused by a
writer in the very moment of its move: from the move until the next run (the collection
interval) the reused content is missing from its key, so a reader in between (the worker's
downstream node, ReadContent) gets not found; and a reference that becomes visible only more
than a grace after the move (a worker stopped for that long between finding the content and
writing its record, or, for a file's content, which only the index is searched for, between
finding it and its agent indexing the record) finds the copy deleted. Closing them needs the
writers to take part, e.g. a marker that every write of content other than an upload's makes
before it looks for the content, read by the collector after its move; the store's writers
do not do that yet.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from graven.blobs import StoreBlobs, content_hashes
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.clock import Clock, utc_now
from graven.digests import PREFIX
from graven.store import ObjectStore, StoreError, content_key, open_store
from graven.store.layout import LINEAGE_MARK, artifact_key
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.literals_pb2 import Literal

log = logging.getLogger(__name__)

# Candidates looked at per query.
BATCH = 500
# Where an upload goes when collected, until a second grace has passed: no key any reader
# or writer of content uses (they all live under cas/), none that verify-store or reindex walk.
ASIDE_PREFIX = "collected/"
_STAMP = "%Y%m%dT%H%M%S%fZ"


def aside_key(content_hash: str, moved_at: datetime) -> str:
    """``collected/<moved at, UTC>/<hex>``: the time the second grace counts from."""
    stamp = moved_at.astimezone(UTC).strftime(_STAMP)
    return f"{ASIDE_PREFIX}{stamp}/{content_hash.removeprefix(PREFIX)}"


def parse_aside_key(key: str) -> tuple[str, datetime]:
    """(content hash, moved at) of an aside key."""
    stamp, hex_digest = key.removeprefix(ASIDE_PREFIX).split("/")
    return PREFIX + hex_digest, datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Collected:
    """What one collection did: ``objects`` uploads (``bytes`` in all) moved aside; aside
    copies ``restored`` to their content keys because something came to reference them, and
    ``deleted`` for good, nothing having referenced them for a second grace."""

    objects: int
    bytes: int
    restored: int
    deleted: int


class UploadCollector:
    def __init__(
        self,
        uploads: UploadRepository,
        store: ObjectStore,
        grace: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._uploads = uploads
        self._store = store
        self._grace = grace
        self._clock = clock

    def collect(self) -> Collected:
        """Move every uploaded object past the grace that nothing references aside; then
        restore the aside copies something references now, and delete those nothing has
        referenced since they were moved, a grace ago."""
        now = self._clock()
        cutoff = now - self._grace
        self._uploads.settle(cutoff)
        registered: set[str] | None = None
        objects = size = 0
        after = ""
        while candidates := self._uploads.candidates(cutoff, after, BATCH):
            after = candidates[-1]
            # Read only when there is something to collect: it reads every launch plan and
            # every signal value.
            if registered is None:
                registered = self._registered()
            for content_hash in candidates:
                if content_hash in registered:
                    continue
                key = content_key(content_hash)
                freed = self._size(key)
                move = partial(self._set_aside, key, aside_key(content_hash, now))
                if self._uploads.collect(content_hash, cutoff, move):
                    objects += 1
                    size += freed
        # After the moves, so that a reference made just before one (a lineage record written
        # beside the artifact, not yet indexed) restores the object in the same run.
        restored, deleted = self._settle_aside(cutoff, registered)
        if objects or restored or deleted:
            log.info(
                "uploads: %d unreferenced moved aside (%d bytes), %d restored, %d deleted",
                objects,
                size,
                restored,
                deleted,
            )
        return Collected(objects=objects, bytes=size, restored=restored, deleted=deleted)

    def _set_aside(self, key: str, aside: str) -> None:
        """Copy the object under ``aside``, then remove it from ``key``: its bytes stay in the
        store until _settle_aside decides. Nothing to do when it is not stored (an upload
        that failed, or a move whose run stopped before committing)."""
        if self._copy(key, aside):
            self._store.delete(key)

    def _copy(self, source: str, target: str) -> bool:
        """Write the bytes of ``source`` under ``target`` (write-once); False when ``source``
        is not stored (any more: a collection running beside this one may have settled it)."""
        try:
            with self._store.open(source) as stream:
                self._store.put_stream(target, stream)
        except StoreError:
            if self._store.exists(source):
                raise
            return False
        return True

    def _settle_aside(self, cutoff: datetime, registered: set[str] | None) -> tuple[int, int]:
        """Each aside copy: dropped when its content is stored again (uploaded or written
        anew since), restored when anything references it, deleted once it was moved before
        ``cutoff`` with nothing referencing it; (restored, deleted)."""
        aside: dict[str, tuple[str, datetime]] = {}
        for key in self._store.list(ASIDE_PREFIX):
            try:
                aside[key] = parse_aside_key(key)
            except ValueError:
                log.warning("left %s alone: not an aside copy's key", key)
        if not aside:
            return 0, 0
        needed = registered if registered is not None else self._registered()
        indexed = self._uploads.referenced({content_hash for content_hash, _ in aside.values()})
        restored = deleted = 0
        for key, (content_hash, moved_at) in aside.items():
            target = content_key(content_hash)
            if self._store.exists(target):
                self._store.delete(key)
            elif content_hash in indexed or content_hash in needed or self._recorded(content_hash):
                if self._copy(key, target):
                    self._store.delete(key)
                    restored += 1
                    log.warning("restored %s, referenced after it was moved aside", content_hash)
            elif moved_at < cutoff:
                self._store.delete(key)
                deleted += 1
        return restored, deleted

    def _recorded(self, content_hash: str) -> bool:
        """Whether a lineage record beside the content names it as an artifact: a worker
        writes its records to the store before its agent has them indexed."""
        prefix = artifact_key(content_hash) + LINEAGE_MARK
        return next(iter(self._store.list(prefix)), None) is not None

    def _size(self, key: str) -> int:
        try:
            return self._store.size(key)
        except StoreError:
            return 0

    def _registered(self) -> set[str]:
        """The contents that registered launch plans' inputs and set signal values need. A
        directory whose manifest is gone cannot be read by anyone: what it listed is not
        protected."""
        blobs = StoreBlobs(self._store)
        literals: list[Literal] = []
        for data in self._uploads.launch_plan_specs():
            spec = LaunchPlanSpec.FromString(data)
            for inputs in (spec.default_inputs, spec.fixed_inputs):
                literals.extend(inputs.literals.values())
        literals.extend(Literal.FromString(data) for data in self._uploads.signal_values())
        needed: set[str] = set()
        for literal in literals:
            with contextlib.suppress(StoreError):
                needed.update(content_hashes(literal, blobs))
        return needed


def collect_uploads(settings: Settings, grace: timedelta) -> Collected:
    """One collection on the database and store of ``settings`` (migrated first), for
    `graven admin collect-uploads`; safe beside a running control plane, whose launches and
    uploads it is ordered with through the database like its own collector."""
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        uploads = UploadRepository(make_sessions(engine))
        return UploadCollector(uploads, open_store(settings.store_url), grace).collect()
    finally:
        engine.dispose()
