"""Where the content of stored values (files, directories, tables, pickles) goes and comes from.

A ``Blobs`` writes content and reads it back by sha256: ``StoreBlobs`` over an object store
(the worker side), the Remote's over the control plane (a client). Reading for ``to_python``
goes through a local cache folder keyed by sha256, so a worker downloads each content once
however many values, tasks or directories share it. The cache is safe to share between
processes and stores: an entry appears whole (written aside, then renamed) and only after its
bytes were checked against their hash, and content has one sha256 wherever it is stored. It
is the user's own (0700, ``private_folder``), and an entry is checked again before each reuse,
so neither another user nor a task writing into its input can change what a reader gets.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO, Protocol

from graven.digests import PREFIX
from graven.errors import GravenValueError
from graven.files import decode_manifest
from graven.store.base import CHUNK_SIZE, TEMP_MARK, ObjectStore
from graven.store.content import ContentRef, HashingReader, content_key
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import BLOB_DIMENSIONALITY_MULTIPART

# Cached files are read-only, so a task writing into an input by mistake fails; one that
# insists (chmod, or root, whom modes do not stop) is caught by the check before each reuse.
READ_ONLY = 0o444


class Blobs(Protocol):
    """Content storage for stored values. ``sha256`` arguments are hex, with or without the
    "sha256:" prefix."""

    @property
    def cache_dir(self) -> Path:
        """The local folder content read for ``to_python`` is kept in."""
        ...

    def put(self, stream: BinaryIO) -> ContentRef:
        """Store the stream's bytes under their sha256, hashing them as they are written."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable stream of stored content."""
        ...


class CacheFolderError(Exception):
    """A cache folder another user could write into, or one that is not ours."""


PRIVATE = 0o700


def private_folder(path: Path) -> Path:
    """``path`` as a folder only this user can use, created 0700 if missing.

    A cache whose entries another user could plant is a way to run code or feed data as us,
    so a folder that is not a real directory owned by us, or that others may write into, is
    refused. One we own that others could only read (an older Graven made them 0755) could
    not have been filled by anyone else: it is tightened to 0700 rather than refused.
    """
    with contextlib.suppress(FileExistsError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE)
    info = path.lstat()  # lstat: a symlink to someone else's folder is not our folder
    if not stat.S_ISDIR(info.st_mode):
        raise CacheFolderError(f"cache folder {path} is not a directory (a symlink?)")
    if info.st_uid != os.getuid():
        raise CacheFolderError(
            f"cache folder {path} belongs to user {info.st_uid}, not to this user"
            f" ({os.getuid()}); remove it or point the cache elsewhere"
        )
    if info.st_mode & 0o022:
        raise CacheFolderError(
            f"cache folder {path} is writable by other users (mode"
            f" {stat.S_IMODE(info.st_mode):o}); its entries cannot be trusted: remove it"
        )
    if stat.S_IMODE(info.st_mode) != PRIVATE:
        os.chmod(path, PRIVATE)
    return path


def default_cache_dir() -> Path:
    """One cache per user on this machine, in the system's temporary folder."""
    return Path(tempfile.gettempdir()) / f"graven-blobs-{os.getuid()}"


MAX_BYTES_VARIABLE = "GRAVEN_BLOB_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 10 << 30
# An entry used this recently is never evicted, even over the cap: a task may be about to
# open the path it was handed.
EVICTION_GRACE_SECONDS = 600.0


def cache_cap_from_env(variable: str, default: int) -> int | None:
    """The size cap a cache variable sets, in bytes; None for "0" (no cap)."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise GravenValueError(f"{variable} must be a number of bytes (0: no cap), not {text!r}")
    return value or None


class StoreBlobs:
    """``Blobs`` over an object store: content at ``cas/sha256/<hh>/<hex>``."""

    def __init__(
        self,
        store: ObjectStore,
        cache_dir: Path | None = None,
        *,
        max_cache_bytes: int | None = None,
        eviction_grace: float = EVICTION_GRACE_SECONDS,
    ) -> None:
        self.store = store
        self.cache_dir = cache_dir or default_cache_dir()
        # Over this many bytes, the least recently used entries go (GRAVEN_BLOB_CACHE_MAX_BYTES
        # when not given).
        self.max_cache_bytes = max_cache_bytes or cache_cap_from_env(
            MAX_BYTES_VARIABLE, DEFAULT_MAX_BYTES
        )
        self.eviction_grace = eviction_grace

    def put(self, stream: BinaryIO) -> ContentRef:
        return self.store.put_content(stream)

    def open(self, sha256: str) -> BinaryIO:
        return self.store.open(content_key(sha256))


# Beside each cached file: the stat of the file as it was when its bytes were checked. A
# write into the file (a task appending to its input) changes its mtime and ctime, which
# nobody but root can set back, so a cached copy whose stat still matches is the checked one
# without hashing it again; any other is hashed again and downloaded again if it changed.
VERIFIED_SUFFIX = ".verified"


def _signature(path: Path) -> str:
    info = path.stat()
    return f"{info.st_ino} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}\n"


def _marker(path: Path) -> Path:
    return path.with_name(path.name + VERIFIED_SUFFIX)


def _mark_verified(path: Path) -> None:
    marker = _marker(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_MARK)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(_signature(path))
        os.replace(tmp, marker)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        reader = HashingReader(f)
        while reader.read(CHUNK_SIZE):
            pass
    return reader.ref().sha256


def _is_intact(path: Path, hex_digest: str) -> bool:
    """Whether the cached ``path`` still holds the content ``hex_digest``: cheaply, by the
    marker of its last check, else by hashing it (marking it when it is intact)."""
    try:
        signature = _signature(path)
    except FileNotFoundError:
        return False
    marker = _marker(path)
    with contextlib.suppress(FileNotFoundError):
        if marker.read_text() == signature:
            # The marker's mtime is the entry's last use, for eviction.
            os.utime(marker)
            return True
    try:
        if not path.is_file() or _sha256_of(path) != hex_digest:
            return False
    except FileNotFoundError:  # replaced by a concurrent fetch while being hashed
        return False
    _mark_verified(path)
    return True


def fetch(blobs: Blobs, sha256: str) -> Path:
    """A local, read-only copy of stored content, downloaded unless the cache holds it.

    A cached copy is checked before it is handed out (see ``_is_intact``): one a task wrote
    into is replaced by a fresh download, so the next reader gets the stored bytes."""
    hex_digest = sha256.removeprefix(PREFIX)
    path = private_folder(blobs.cache_dir) / content_key(hex_digest)
    if _is_intact(path, hex_digest):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_MARK)
    try:
        with os.fdopen(fd, "wb") as out, blobs.open(hex_digest) as source:
            reader = HashingReader(source)
            shutil.copyfileobj(reader, out, CHUNK_SIZE)
        got = reader.ref().sha256
        if got != hex_digest:
            if isinstance(blobs, StoreBlobs):
                # Out of the way, so the next run that produces the content stores it again
                # rather than finding its key taken (a client's reads end in DATA_LOSS).
                blobs.store.quarantine(content_key(hex_digest))
            raise GravenValueError(f"content {hex_digest} read back with sha256 {got}")
        os.chmod(tmp, READ_ONLY)
        # A new inode: a task still holding the spoilt copy open cannot write into this one.
        os.replace(tmp, path)  # a concurrent fetch put the same bytes there: either will do
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _mark_verified(path)
    _added(blobs, path)
    return path


def _tree_is_intact(tree: Path, sources: dict[str, Path]) -> bool:
    """Whether ``tree`` holds exactly the files ``sources`` names (relative path → checked
    cache copy), each one the cached copy itself (a hard link) or equal to it."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(tree):
        for name in dirs + files:
            if os.path.islink(os.path.join(folder, name)):
                return False
        found.update(Path(folder, name).relative_to(tree).as_posix() for name in files)
    if found != set(sources):
        return False
    for relative, source in sources.items():
        copy = tree / relative
        if os.path.samestat(copy.stat(), source.stat()):
            continue
        if _sha256_of(copy) != _sha256_of(source):
            return False
    return True


def fetch_tree(blobs: Blobs, manifest_sha256: str) -> Path:
    """A local copy of a stored directory: its files linked from the cache into a folder.

    An existing copy is checked against the manifest first: a task that added, removed or
    changed a file in its input directory gets the next reader a rebuilt one."""
    hex_digest = manifest_sha256.removeprefix(PREFIX)
    trees = private_folder(blobs.cache_dir) / "trees"
    path = trees / hex_digest
    entries = decode_manifest(fetch(blobs, hex_digest).read_bytes())
    # Fetched (so checked, and repaired if a task wrote into them) before the tree is judged.
    sources = {entry.path: fetch(blobs, entry.sha256) for entry in entries}
    if path.is_dir() and not path.is_symlink():
        if _tree_is_intact(path, sources):
            os.utime(path)  # its last use, for eviction
            return path
        aside = Path(tempfile.mkdtemp(dir=trees, prefix=TEMP_MARK))
        with contextlib.suppress(FileNotFoundError):  # a concurrent fetch moved it already
            os.rename(path, aside / "spoilt")
        shutil.rmtree(aside, ignore_errors=True)
    trees.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=trees, prefix=TEMP_MARK))
    try:
        for relative, source in sources.items():
            target = building / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:  # a cache folder on a file system without hard links
                shutil.copyfile(source, target)
                os.chmod(target, READ_ONLY)
        try:
            building.rename(path)
        except OSError:
            # A folder cannot replace a full one: a concurrent build won the race with the
            # same files.
            if not path.is_dir():
                raise
    finally:
        if building.exists():
            shutil.rmtree(building)
    return path


class _Usage:
    """Bytes this process added to one cache since it last measured it."""

    def __init__(self) -> None:
        self.measured = False
        self.unmeasured = 0


_usage: dict[tuple[Path, int], _Usage] = {}
_usage_lock = threading.Lock()


def _added(blobs: Blobs, path: Path) -> None:
    """Count a download; evict once the cache may be over its cap. Measuring walks the whole
    cache, so it happens on a process's first download and then whenever it has downloaded
    another tenth of the cap: other processes' downloads can take the cache over the cap by
    that much at most each, until their own next measure."""
    cap: int | None = getattr(blobs, "max_cache_bytes", None)
    if cap is None:
        return
    grace: float = getattr(blobs, "eviction_grace", EVICTION_GRACE_SECONDS)
    with _usage_lock:
        usage = _usage.setdefault((blobs.cache_dir, cap), _Usage())
        usage.unmeasured += path.stat().st_size
        if usage.measured and usage.unmeasured < max(cap // 10, 1):
            return
        usage.measured, usage.unmeasured = True, 0
    evict(blobs.cache_dir, cap, grace, keep=path)


def _cache_entries(root: Path) -> list[tuple[float, Path, list[os.stat_result]]]:
    """Every entry of the cache at ``root``: (last use, path, the stat of each file in it).
    Entries being written (temporary names) are not entries yet."""
    found: list[tuple[float, Path, list[os.stat_result]]] = []
    for path in (root / "cas").glob("sha256/*/*"):
        if path.name.startswith(TEMP_MARK) or path.name.endswith(VERIFIED_SUFFIX):
            continue
        with contextlib.suppress(FileNotFoundError):
            info = path.stat()
            try:
                used = _marker(path).stat().st_mtime
            except FileNotFoundError:
                used = info.st_mtime
            found.append((used, path, [info]))
    trees = root / "trees"
    if trees.is_dir():
        for tree in trees.iterdir():
            if tree.name.startswith(TEMP_MARK) or not tree.is_dir():
                continue
            with contextlib.suppress(FileNotFoundError):
                files = [p.stat() for p in tree.rglob("*") if p.is_file()]
                found.append((tree.stat().st_mtime, tree, files))
    return found


def evict(root: Path, cap: int, grace: float, keep: Path | None = None) -> None:
    """Remove the least recently used entries of the cache at ``root`` until it holds at most
    ``cap`` bytes, sparing ``keep`` and whatever was used in the last ``grace`` seconds.

    A tree's files are hard links to cached files: a file counts once however many entries
    link it, and its bytes are freed only with the last of them."""
    entries = sorted(_cache_entries(root), key=lambda entry: entry[0])
    holders: dict[tuple[int, int], int] = {}
    sizes: dict[tuple[int, int], int] = {}
    for _, _, files in entries:
        for info in files:
            inode = (info.st_dev, info.st_ino)
            holders[inode] = holders.get(inode, 0) + 1
            sizes[inode] = info.st_size
    total = sum(sizes.values())
    recent = time.time() - grace
    for used, path, files in entries:
        if total <= cap or used > recent:
            break  # sorted: every later entry was used more recently still
        if path == keep:
            continue
        if path.is_dir():
            aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=TEMP_MARK))
            try:
                os.rename(path, aside / "evicted")
            except FileNotFoundError:  # another process evicted it first
                continue
            finally:
                shutil.rmtree(aside, ignore_errors=True)
        else:
            # The marker first: a reader never trusts a file whose marker is gone unchecked.
            with contextlib.suppress(FileNotFoundError):
                _marker(path).unlink()
            try:
                path.unlink()
            except FileNotFoundError:
                continue
        for info in files:
            inode = (info.st_dev, info.st_ino)
            holders[inode] -= 1
            if holders[inode] == 0:
                total -= sizes[inode]


def content_hashes(literal: Literal, blobs: Blobs) -> list[str]:
    """Every stored object ``literal`` needs beside its own artifact, as sorted "sha256:<hex>":
    its blobs' contents and, for a directory, its files' contents."""
    found: set[str] = set()
    pending = [literal]
    while pending:
        node = pending.pop()
        kind = node.WhichOneof("value")
        if kind == "collection":
            pending.extend(node.collection.literals)
        elif kind in ("map", "structured"):
            pending.extend(getattr(node, kind).literals.values())
        elif kind == "blob":
            found.add(PREFIX + node.blob.sha256)
            if node.blob.type.dimensionality == BLOB_DIMENSIONALITY_MULTIPART:
                with blobs.open(node.blob.sha256) as f:
                    found.update(PREFIX + e.sha256 for e in decode_manifest(f.read()))
    return sorted(found)
