"""Code bundles on a worker's disk: fetched by digest once, then shared by every worker.

A bundle is content-addressed, so an extracted copy never goes stale: the cache is keyed by
digest and only ever grows. Workers of one machine race to fill it safely: each extracts
into a private staging folder and renames it into place; the loser of a race throws its
copy away and uses the winner's.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

from graven.bundle import extract_bundle
from graven.digests import PREFIX, sha256_hex
from graven.store import ObjectStore
from graven.store.layout import bundle_key

CACHE_VARIABLE = "GRAVEN_BUNDLE_CACHE"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class BundleIntegrityError(Exception):
    """A bundle whose bytes do not hash to the digest it was asked for by."""


def default_cache_root() -> Path:
    configured = os.environ.get(CACHE_VARIABLE)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "graven-bundles"


class BundleCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_root()
        self._known: dict[str, Path] = {}
        self._lock = threading.Lock()

    def path(self, store: ObjectStore, digest: str) -> Path:
        """The folder holding the extracted bundle ``digest``, fetching it if need be."""
        known = self._known.get(digest)
        if known is not None:
            return known
        if not DIGEST.fullmatch(digest):
            raise ValueError(f"malformed bundle digest {digest!r}")
        with self._lock:
            target = self.root / digest.removeprefix(PREFIX)
            if not target.is_dir():
                self._fill(store, digest, target)
            self._known[digest] = target
            return target

    def _fill(self, store: ObjectStore, digest: str, target: Path) -> None:
        archive = store.get_bytes(bundle_key(digest))
        if sha256_hex(archive) != digest:
            raise BundleIntegrityError(f"bundle {digest} in the store has other content")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".staging-"))
        try:
            extract_bundle(archive, staging)
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
