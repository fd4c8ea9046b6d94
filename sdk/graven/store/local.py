"""The embedded backend: a folder on the local disk (file:///path)."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import fcntl
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, TypeVar, cast

from graven.store.base import CHUNK_SIZE, TEMP_MARK, StoreError, check_key
from graven.store.content import CAS_PREFIX, ContentRef, HashingReader
from graven.store.integrity import expected_sha256, quarantine_key, sha256_of_stream


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        # Folders the store makes are private (0700), its objects too (mkstemp's 0600, kept
        # by the link): stored values are the user's data. An existing root is left as it is
        # (it may be shared on purpose); the control plane tightens its own default one.
        _private_mkdir(self.root)
        self.url = self.root.as_uri()
        # Inside deferred_sync: the objects written but not yet flushed to the disk.
        self._unsynced: list[Path] | None = None

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[LocalStore]:
        """Each fsync is a journal commit, and a node writes several small objects: written
        without one each and then flushed together, the first flush carries them all and the
        rest cost next to nothing. The objects are visible as soon as they are written and
        durable when the block ends, however it ends."""
        unsynced: list[Path] = []
        view = copy.copy(self)
        view._unsynced = unsynced
        try:
            yield view
        finally:
            self._flush(unsynced)

    def put_all(self, items: Mapping[str, bytes]) -> None:
        # Every object is written to a temporary file first and linked to its key only once
        # all of them are flushed: a key never names bytes that a crash could still lose.
        written: list[tuple[Path, Path]] = []
        try:
            for key, data in items.items():
                path = self._path(key)
                if path.exists():
                    continue
                folder = path.parent
                fd, name = _made_in(
                    folder, functools.partial(tempfile.mkstemp, dir=folder, prefix=TEMP_MARK)
                )
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                written.append((Path(name), path))
            self._flush([tmp for tmp, _ in written])
            for tmp, path in written:
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, path)
        finally:
            for tmp, _ in written:
                tmp.unlink()

    def _flush(self, paths: list[Path]) -> None:
        """Make the files durable. Each fsync is a journal commit that also carries whatever
        else is dirty, so many files cost one syncfs of the store's file system."""
        if len(paths) > 1 and _SYNCFS is not None:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                if _SYNCFS(fd) == 0:
                    return
            finally:
                os.close(fd)
        for path in paths:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def uri(self, key: str) -> str:
        return f"{self.url}/{check_key(key)}"

    def key_of(self, uri: str) -> str:
        prefix = self.url + "/"
        if not uri.startswith(prefix):
            raise StoreError(f"{uri!r} is not in the store {self.url}")
        return check_key(uri.removeprefix(prefix))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise StoreError(f"{self.uri(key)} does not exist") from None

    def put_bytes(self, key: str, data: bytes) -> None:
        self._put(key, lambda f: f.write(data))

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        self._put(key, lambda f: shutil.copyfileobj(stream, f, CHUNK_SIZE))

    def put_content(self, stream: BinaryIO) -> ContentRef:
        reader = HashingReader(stream)

        def fill(f: BinaryIO) -> str:
            shutil.copyfileobj(reader, f, CHUNK_SIZE)
            return reader.ref().key

        self._write(self.root / CAS_PREFIX, fill, repair=True)
        return reader.ref()

    def _put(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        path = self._path(key)
        if path.exists():
            return

        def fill_key(f: BinaryIO) -> str:
            fill(f)
            return key

        self._write(path.parent, fill_key)

    def _write(self, folder: Path, fill: Callable[[BinaryIO], str], repair: bool = False) -> None:
        """Fill a temporary file in ``folder``, then link it to the key ``fill`` returns.

        Readers never see a partial object, and of two concurrent writers of one key the first
        one wins: a link never replaces a file. ``folder`` is on the target's file system.
        With ``repair`` (content keyed by its hash), an existing object of another size than
        the bytes just hashed is corrupt for certain: it is quarantined and replaced."""
        fd, tmp = _made_in(folder, lambda: tempfile.mkstemp(dir=folder, prefix=TEMP_MARK))
        try:
            with os.fdopen(fd, "wb") as f:
                key = fill(f)
                path = self._path(key)
                if path.exists() and not (repair and self._quarantined_other_size(key, f.tell())):
                    return
                f.flush()
                if self._unsynced is None:
                    os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                _made_in(path.parent, lambda: os.link(tmp, path))
                if self._unsynced is not None:
                    self._unsynced.append(path)
        finally:
            os.unlink(tmp)

    def _quarantined_other_size(self, key: str, size: int) -> bool:
        try:
            stored = self._path(key).stat().st_size
        except FileNotFoundError:
            return True
        return stored != size and self.quarantine(key) is not None

    def quarantine(self, key: str) -> str | None:
        # Writers never replace a name (a link fails on an existing one), so while the bad
        # object is under ``key`` only a quarantine can move it, and every quarantine of it
        # holds the lock of its inode: a second one finds the name gone or naming another
        # file (the right bytes, written since), and leaves it.
        expected = expected_sha256(key)
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as held:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if not os.path.samestat(path.stat(), os.fstat(fd)):
                    return None
            except FileNotFoundError:
                return None
            if sha256_of_stream(cast(BinaryIO, held)) == expected:
                return None
            moved = quarantine_key(key)
            target = self._path(moved)
            _made_in(target.parent, lambda: os.rename(path, target))
            return moved

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise StoreError(f"{self.uri(key)} does not exist") from None

    def list(self, prefix: str) -> Iterator[str]:
        # The prefix is a string, as on S3: "a/b" lists a/b/… and a/bc, so start in its folder.
        folder = prefix.rpartition("/")[0]
        start = self._path(folder) if folder else self.root
        keys = (
            p.relative_to(self.root).as_posix()
            for p in start.rglob("*")
            if p.is_file() and not p.name.startswith(TEMP_MARK)
        )
        yield from sorted(k for k in keys if k.startswith(prefix))

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2), where the C library has it (it is not in the os module)."""
    try:
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None
    return function


_SYNCFS = _syncfs()
Made = TypeVar("Made")


def _made_in(folder: Path, make: Callable[[], Made]) -> Made:
    """``make`` something in ``folder``, creating the folder first only when it is missing:
    most writes go to folders that exist, and a mkdir costs a system call each."""
    try:
        return make()
    except FileNotFoundError:
        _private_mkdir(folder)
        return make()


PRIVATE_FOLDER_MODE = 0o700


def _private_mkdir(folder: Path) -> None:
    """``mkdir -p`` whose every new folder is 0700 (pathlib gives the mode to the last one
    only, and the umask's default to the parents it makes)."""
    if folder.is_dir():
        return
    if folder.parent != folder:
        _private_mkdir(folder.parent)
    with contextlib.suppress(FileExistsError):  # a concurrent writer made it first
        folder.mkdir(mode=PRIVATE_FOLDER_MODE)
