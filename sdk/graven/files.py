"""Files and directories as task inputs and outputs, and how a directory is stored.

A ``File`` or ``Directory`` names a place on the local disk, but its value is its content:
the same bytes at two paths are one value, with one hash, so a cache hits however the data
arrived. A directory is stored as its files' contents plus a manifest: every regular file's
path relative to the root (sorted, "/"-separated) with the sha256 and size of its bytes. The
manifest is itself stored content, and the directory's literal points at it. Empty folders
are not part of a directory's value, and symbolic links to folders are not followed.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from graven.errors import GravenValueError

if TYPE_CHECKING:
    from graven.blobs import Blobs
    from graven.store.content import ContentRef

_HEX = re.compile(r"[0-9a-f]{64}")


class _LocalPath:
    """A path on the local disk; ``os.fspath`` and ``open`` take it as they take a path."""

    __slots__ = ("path",)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.path == self.path

    def __hash__(self) -> int:
        return hash((type(self), self.path))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({os.fspath(self.path)!r})"


class File(_LocalPath):
    """A file, stored by its content (``graven.File("data.csv")``)."""

    __slots__ = ()

    def open(self) -> BinaryIO:
        return self.path.open("rb")


class Directory(_LocalPath):
    """A folder of files, stored by its files' relative paths and contents."""

    __slots__ = ()

    def files(self) -> list[Path]:
        """Its regular files, in manifest order."""
        return [self.path / relative for relative in _walk(self.path)]


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    """Relative to the directory, "/"-separated, never leaving it."""
    sha256: str
    size: int


def put_directory(root: Path, blobs: Blobs) -> ContentRef:
    """Store every file under ``root``, then the manifest naming them; the manifest's ref."""
    if not root.is_dir():
        raise GravenValueError(f"directory {os.fspath(root)!r} does not exist")
    entries = []
    for relative in _walk(root):
        with (root / relative).open("rb") as f:
            ref = blobs.put(f)
        entries.append(ManifestEntry(relative, ref.sha256, ref.size))
    return blobs.put(io.BytesIO(encode_manifest(entries)))


def _walk(root: Path) -> list[str]:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file():
                found.append(path.relative_to(root).as_posix())
    # Sorted by UTF-8 bytes, as the manifest is: one order on every platform.
    return sorted(found, key=str.encode)


def encode_manifest(entries: list[ManifestEntry]) -> bytes:
    """Canonical JSON: sorted entries, no whitespace, so one directory has one manifest."""
    ordered = sorted(entries, key=lambda e: e.path.encode())
    document = {"files": [[e.path, e.sha256, e.size] for e in ordered]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def decode_manifest(data: bytes) -> list[ManifestEntry]:
    """The entries of a stored manifest; GravenValueError for anything else (a path that
    would leave the directory is malformed, not merely suspicious)."""
    try:
        rows = json.loads(data)["files"]
        entries = [ManifestEntry(str(p), str(s), int(n)) for p, s, n in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise GravenValueError(f"not a directory manifest ({exc})") from None
    for entry in entries:
        if (
            any(part in ("", ".", "..") for part in entry.path.split("/"))
            or not _HEX.fullmatch(entry.sha256)
            or entry.size < 0
        ):
            raise GravenValueError(f"directory manifest has a malformed entry {entry}")
    return entries
