"""Code bundles on a worker's disk: fetched by digest once, then shared by the user's workers.

A bundle is content-addressed, so an extracted copy never goes stale: the cache is keyed by
digest and only ever grows. Its code runs as the user, so the cache must be one nobody else
can fill: it is a folder of the user's own (0700, see ``private_folder``), and an entry is
used only if it holds the marker written by the process that checked the bundle's bytes
against the digest. Anything else under a digest's name (a folder planted before the cache
was private, a half-copied one) is moved aside and replaced by a verified extraction.

Workers of one machine race to fill it safely: each extracts into a private staging folder,
writes the marker there and renames the whole into place; the loser of a race throws its
copy away and uses the winner's. Replacing a bad entry is serialised between processes by a
lock file, so two workers never take turns moving each other's good copy aside.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from graven.blobs import cache_cap_from_env, private_folder
from graven.bundle import extract_bundle
from graven.digests import PREFIX, sha256_hex
from graven.store import ObjectStore
from graven.store.layout import bundle_key

CACHE_VARIABLE = "GRAVEN_BUNDLE_CACHE"
# No cap unless set: a worker that imported a bundle long ago may still import from it lazily,
# so evicting one is a trade a deployment makes knowingly (see ``_evict``).
MAX_BYTES_VARIABLE = "GRAVEN_BUNDLE_CACHE_MAX_BYTES"
EVICTION_GRACE_SECONDS = 3600.0
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# Inside each entry, so it appears atomically with the files it vouches for. Whatever a
# bundle ships under this name is overwritten once the bundle was verified.
MARKER = ".graven-verified"


class BundleIntegrityError(Exception):
    """A bundle whose bytes do not hash to the digest it was asked for by."""


def default_cache_root() -> Path:
    configured = os.environ.get(CACHE_VARIABLE)
    if configured:
        return Path(configured)
    # Per user: a folder shared in /tmp would let one user plant code another runs.
    return Path(tempfile.gettempdir()) / f"graven-bundles-{os.getuid()}"


def is_verified(entry: Path, digest: str) -> bool:
    """Whether ``entry`` is a folder this user's worker extracted from a checked ``digest``."""
    try:
        return (entry / MARKER).read_text() == digest + "\n"
    except (OSError, UnicodeDecodeError):
        return False


class BundleCache:
    def __init__(
        self,
        root: Path | None = None,
        *,
        max_bytes: int | None = None,
        eviction_grace: float = EVICTION_GRACE_SECONDS,
    ) -> None:
        self.root = root or default_cache_root()
        self.max_bytes = max_bytes or cache_cap_from_env(MAX_BYTES_VARIABLE, 0) or None
        self.eviction_grace = eviction_grace
        self._known: dict[str, Path] = {}
        self._lock = threading.Lock()

    def path(self, store: ObjectStore, digest: str) -> Path:
        """The folder holding the extracted bundle ``digest``, fetching it if need be."""
        known = self._known.get(digest)
        # Checked again, so one another process evicted is filled again rather than missing.
        if known is not None and self._touch(known, digest):
            return known
        if not DIGEST.fullmatch(digest):
            raise ValueError(f"malformed bundle digest {digest!r}")
        with self._lock:
            private_folder(self.root)
            target = self.root / digest.removeprefix(PREFIX)
            if not is_verified(target, digest):
                with self._locked():
                    # Checked again under the lock: another process may have just filled it.
                    if not is_verified(target, digest):
                        self._discard(target)
                        self._fill(store, digest, target)
                        if self.max_bytes is not None:
                            self._evict(self.max_bytes, keep=target)
            self._touch(target, digest)
            self._known[digest] = target
            return target

    def _touch(self, entry: Path, digest: str) -> bool:
        """Record a use of ``entry`` (its marker's mtime, for eviction); whether it is still
        there and verified."""
        if not is_verified(entry, digest):
            return False
        with contextlib.suppress(FileNotFoundError):
            os.utime(entry / MARKER)
        return True

    def _evict(self, cap: int, keep: Path) -> None:
        """Remove the least recently used entries until the cache holds at most ``cap`` bytes,
        sparing ``keep`` and entries used in the last ``eviction_grace`` seconds. Runs under
        the lock file, after a fill: the only time the cache grows."""
        entries: list[tuple[float, Path, int]] = []
        for entry in self.root.iterdir():
            if not DIGEST.fullmatch(PREFIX + entry.name) or not entry.is_dir():
                continue
            size = sum(p.lstat().st_size for p in entry.rglob("*") if p.is_file())
            try:
                used = (entry / MARKER).stat().st_mtime
            except FileNotFoundError:
                used = 0.0  # unverified: never used, first to go
            entries.append((used, entry, size))
        total = sum(size for _, _, size in entries)
        recent = time.time() - self.eviction_grace
        for used, entry, size in sorted(entries, key=lambda e: e[0]):
            if total <= cap or used > recent:
                break  # sorted: every later entry was used more recently still
            if entry == keep:
                continue
            self._discard(entry)
            self._known.pop(PREFIX + entry.name, None)
            total -= size

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _discard(self, target: Path) -> None:
        """Move an unverified entry out of the way (renamed first, so no reader sees it half
        deleted), then delete it."""
        if not os.path.lexists(target):
            return
        aside = Path(tempfile.mkdtemp(dir=self.root, prefix=".discarded-"))
        os.rename(target, aside / "entry")
        shutil.rmtree(aside, ignore_errors=True)

    def _fill(self, store: ObjectStore, digest: str, target: Path) -> None:
        key = bundle_key(digest)
        archive = store.get_bytes(key)
        if sha256_hex(archive) != digest:
            # Out of the way, so the next registration of this code uploads it again.
            store.quarantine(key)
            raise BundleIntegrityError(
                f"bundle {digest} in the store has other content; it was quarantined: "
                "register the code again to upload it"
            )
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".staging-"))
        try:
            extract_bundle(archive, staging)
            marker = staging / MARKER
            if marker.is_dir() and not marker.is_symlink():
                shutil.rmtree(marker)
            else:
                marker.unlink(missing_ok=True)
            marker.write_text(digest + "\n")
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
