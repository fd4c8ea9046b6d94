"""Collecting uploads that nothing came to reference.

A client uploads a file's content (UploadContent) and then launches an execution that names
it; a client that dies in between leaves content nothing will ever read. Each upload is
recorded with its time, apart from specs and lineage, and the collector deletes an uploaded
object once it is older than the grace period and referenced by nothing: no artifact or
lineage record (an execution's inputs are artifacts with records, written in the launch's
transaction), no registered launch plan's default or fixed input, no signal's value. Code
bundles live under keys of their own (``bundles/``) that no upload writes, so a bundle is
never a candidate.

Why a referenced object is never deleted, given that references (records, specs) are never
removed: the collector deletes the object inside the transaction of the conditional delete
of its row (past the grace, unreferenced), and commits after the object is gone. A launch
moves the time of the uploads it is about to reference forward (UploadRepository.hold,
committed) *before* it checks that their objects exist, and references them within the
grace; an upload records its time before it looks at the store. So a row delete that comes
first is followed, on the other side, by a check that finds the object gone (the upload
writes it again; the launch is refused, as for content never uploaded), and an update that
comes first leaves the row inside the grace, which the conditional delete then skips.

Known limits, each needing an upload abandoned for the whole grace and then used in the very
moment of its collection: content a worker writes is not tracked, so a worker output with
the very bytes of such an upload, found stored and not written again, may be deleted before
the worker's record is indexed; and registering a launch plan or setting a signal (neither
checks that the content it names is stored) is not ordered with the collector as a launch is.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from graven.blobs import StoreBlobs, content_hashes
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.clock import Clock, utc_now
from graven.store import ObjectStore, StoreError, content_key, open_store
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.literals_pb2 import Literal

log = logging.getLogger(__name__)

# Candidates looked at per query.
BATCH = 500


@dataclass(frozen=True)
class Collected:
    """What one collection deleted."""

    objects: int
    bytes: int


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
        """Delete every uploaded object past the grace that nothing references."""
        cutoff = self._clock() - self._grace
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
                if self._uploads.collect(content_hash, cutoff, partial(self._store.delete, key)):
                    objects += 1
                    size += freed
        if objects:
            log.info("collected %d unreferenced uploads (%d bytes)", objects, size)
        return Collected(objects=objects, bytes=size)

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


class PeriodicCollection:
    """The collector run every ``interval_seconds`` on a thread of the control plane, until
    stopped; a failed run is logged, and the next one tries again."""

    def __init__(self, collector: UploadCollector, interval_seconds: float) -> None:
        self._collector = collector
        self._interval = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="upload-collection", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._collector.collect()
            except Exception:
                log.exception("collecting unreferenced uploads failed")
