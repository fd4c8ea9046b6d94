"""Where the content of stored values (files, directories, tables, pickles) goes and comes from.

A ``Blobs`` writes content and reads it back by sha256: ``StoreBlobs`` over an object store
(the worker side), the Remote's over the control plane (a client). Reading for ``to_python``
goes through a local cache folder keyed by sha256, so a worker downloads each content once
however many values, tasks or directories share it. The cache is safe to share between
processes and stores: an entry appears whole (written aside, then renamed) and only after its
bytes were checked against their hash, and content has one sha256 wherever it is stored.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from graven.digests import PREFIX
from graven.errors import GravenValueError
from graven.files import decode_manifest
from graven.store.base import CHUNK_SIZE, TEMP_MARK, ObjectStore
from graven.store.content import ContentRef, HashingReader, content_key
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import BLOB_DIMENSIONALITY_MULTIPART

# Cached files are read-only: a task that writes into an input would corrupt every later
# reader of the same content.
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


class StoreBlobs:
    """``Blobs`` over an object store: content at ``cas/sha256/<hh>/<hex>``."""

    def __init__(self, store: ObjectStore, cache_dir: Path | None = None) -> None:
        self.store = store
        self.cache_dir = cache_dir or default_cache_dir()

    def put(self, stream: BinaryIO) -> ContentRef:
        return self.store.put_content(stream)

    def open(self, sha256: str) -> BinaryIO:
        return self.store.open(content_key(sha256))


def fetch(blobs: Blobs, sha256: str) -> Path:
    """A local, read-only copy of stored content, downloaded unless the cache holds it."""
    hex_digest = sha256.removeprefix(PREFIX)
    path = blobs.cache_dir / content_key(hex_digest)
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_MARK)
    try:
        with os.fdopen(fd, "wb") as out, blobs.open(hex_digest) as source:
            reader = HashingReader(source)
            shutil.copyfileobj(reader, out, CHUNK_SIZE)
        got = reader.ref().sha256
        if got != hex_digest:
            raise GravenValueError(f"content {hex_digest} read back with sha256 {got}")
        os.chmod(tmp, READ_ONLY)
        os.replace(tmp, path)  # a concurrent fetch put the same bytes there: either will do
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def fetch_tree(blobs: Blobs, manifest_sha256: str) -> Path:
    """A local copy of a stored directory: its files linked from the cache into a folder."""
    hex_digest = manifest_sha256.removeprefix(PREFIX)
    trees = blobs.cache_dir / "trees"
    path = trees / hex_digest
    if path.is_dir():
        return path
    entries = decode_manifest(fetch(blobs, hex_digest).read_bytes())
    trees.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=trees, prefix=TEMP_MARK))
    try:
        for entry in entries:
            target = building / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            source = fetch(blobs, entry.sha256)
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
