"""Code bundles: the project's source as one deterministic, content-addressed archive.

The same tree always gives the same bytes, so the same digest: entries sorted, every
timestamp, owner and mode fixed, the gzip header's own timestamp and file name left empty.
Only what ``graven.project`` calls project files is packed (sources and small data files,
not tests, hidden folders, virtual environments or build output).

The bundle digest changes whenever any packed file changes; that is why it is kept out of
the default versions (see ``graven.versioning``).
"""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from graven.digests import sha256_hex
from graven.errors import GravenBundleError
from graven.project import project_files

FILE_MODE = 0o644
# A guard against archives that expand without bound (a "zip bomb") on the worker.
MAX_EXTRACTED_BYTES = 1 << 30


@dataclass(frozen=True)
class BuiltBundle:
    data: bytes
    digest: str
    size: int
    files: tuple[str, ...]


def build_bundle(project_root: Path) -> BuiltBundle:
    """The project under ``project_root`` as a tar.gz, with its "sha256:<hex>" digest."""
    root = project_root.resolve()
    if not root.is_dir():
        raise GravenBundleError(f"{project_root}: not a directory")
    raw = io.BytesIO()
    names: list[str] = []
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path in project_files(root):
            content = path.read_bytes()
            info = tarfile.TarInfo(PurePosixPath(path.relative_to(root)).as_posix())
            info.size = len(content)
            info.mode = FILE_MODE
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(content))
            names.append(info.name)
    data = raw.getvalue()
    return BuiltBundle(data=data, digest=sha256_hex(data), size=len(data), files=tuple(names))


def extract_bundle(archive: bytes | Path, dest: Path) -> None:
    """Unpack a bundle into ``dest``, refusing anything but plain files and folders inside it."""
    data = archive if isinstance(archive, bytes) else archive.read_bytes()
    dest = dest.resolve()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = tar.getmembers()
            total = 0
            for member in members:
                _check_member(member, dest)
                total += member.size
            if total > MAX_EXTRACTED_BYTES:
                raise GravenBundleError(f"bundle expands to {total} bytes, over the limit")
            dest.mkdir(parents=True, exist_ok=True)
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise GravenBundleError(f"bundle cannot be extracted: {exc}") from None


def _check_member(member: tarfile.TarInfo, dest: Path) -> None:
    if not (member.isfile() or member.isdir()):
        raise GravenBundleError(f"bundle entry {member.name!r} is not a plain file or folder")
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or "\\" in member.name or ":" in member.name:
        raise GravenBundleError(f"bundle entry {member.name!r} points outside the bundle")
    if not (dest / path).resolve().is_relative_to(dest):
        raise GravenBundleError(f"bundle entry {member.name!r} points outside the bundle")
