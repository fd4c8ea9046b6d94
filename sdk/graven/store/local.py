"""The embedded backend: a folder on the local disk (file:///path)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from graven.store.base import CHUNK_SIZE, StoreError, check_key


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.url = self.root.as_uri()

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

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write(key, lambda f: f.write(data))

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        self._write(key, lambda f: shutil.copyfileobj(stream, f, CHUNK_SIZE))

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and link it into place: readers never see a partial
        # object, and of two concurrent writers of one key the first one wins.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                fill(f)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise StoreError(f"{self.uri(key)} does not exist") from None

    def list(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix if prefix else self.root
        start = base if base.is_dir() else base.parent
        keys = (
            p.relative_to(self.root).as_posix()
            for p in start.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )
        yield from sorted(k for k in keys if k.startswith(prefix))
