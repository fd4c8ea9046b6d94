"""Files only their owner may read (the home, its database, its credentials), in the package
every part of Graven imports: the data plane may not import the control plane."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def publish_private_file(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text``, private from its first byte, unless it exists; True
    if this call created it.

    A hard link never replaces an existing file, so of two processes publishing at once one
    wins and the other keeps the winner's complete file, never an empty or partial one."""
    try:
        _via_temporary(path, text, os.link)
    except FileExistsError:
        return False
    return True


def replace_private_file(path: Path, text: str) -> None:
    """Make ``path`` a private file holding ``text``, whatever it was, in one rename."""
    _via_temporary(path, text, os.replace)


def is_private_file(path: Path) -> bool:
    """``path`` is a regular file of this user that no one else may read or write (not a
    symlink: whoever planted one chose what it points to)."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return False
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_uid == os.geteuid()
        and status.st_mode & 0o077 == 0
    )


def _via_temporary(path: Path, text: str, publish: Callable[[Path, Path], None]) -> None:
    # os.open's mode makes the file 0600 from its creation (write_text would leave it at the
    # umask's 0644 until a chmod); O_EXCL refuses a name someone planted in the meantime.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        publish(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
