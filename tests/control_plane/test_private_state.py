"""The embedded stack's home, database and store are the user's alone: 0700 folders, 0600
files, checked with os.stat on a control plane started on a fresh home."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings, sqlite_file
from graven.store.local import LocalStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """A umask that lets everyone read: what is private must not rely on the user's umask."""
    previous = os.umask(0o022)
    yield None
    os.umask(previous)


def started(home: Path) -> ControlPlane:
    return ControlPlane(Settings.for_home(home, grpc_port=0))


@pytest.mark.usefixtures("wide_umask")
def test_a_fresh_home_is_private(tmp_path: Path) -> None:
    home = tmp_path / "a" / "home"
    plane = started(home)
    with plane:
        assert isinstance(plane.store, LocalStore)
        ref = plane.store.put_content(io.BytesIO(b"secret value"))
        plane.store.put_bytes("bundles/x/y.tar", b"code")
        stored = plane.store.root / ref.key
        assert stored.read_bytes() == b"secret value"
        # While it serves, SQLite's write-ahead log and shared memory are beside the database.
        for side in ("-wal", "-shm"):
            assert mode(home / f"graven.db{side}") == 0o600
    assert mode(home) == 0o700
    assert mode(home / "graven.db") == 0o600
    store = home / "store"
    assert mode(store) == 0o700
    assert mode(stored) == 0o600
    assert mode(store / "bundles" / "x" / "y.tar") == 0o600
    # Every folder the store made under its root, however deep.
    for folder in [store, *(p for p in store.rglob("*") if p.is_dir())]:
        assert mode(folder) == 0o700, folder


@pytest.mark.usefixtures("wide_umask")
def test_an_older_graven_home_is_tightened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    started(home).stop()
    # What an earlier Graven left: everything world-readable.
    for path in (home, home / "store"):
        path.chmod(0o755)
    (home / "graven.db").chmod(0o644)
    started(home).stop()
    assert mode(home) == 0o700
    assert mode(home / "store") == 0o700
    assert mode(home / "graven.db") == 0o600


@pytest.mark.usefixtures("wide_umask")
def test_a_given_folder_that_is_not_a_graven_home_keeps_its_mode(tmp_path: Path) -> None:
    # `--home ~` must not chmod the user's home folder; Graven's own files in it are private.
    home = tmp_path / "user"
    home.mkdir(mode=0o755)
    (home / "notes.txt").write_text("mine")
    started(home).stop()
    assert mode(home) == 0o755
    assert mode(home / "notes.txt") == 0o644
    assert mode(home / "graven.db") == 0o600
    assert mode(home / "store") == 0o700


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////tmp/x/graven.db", Path("/tmp/x/graven.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u:p@localhost/graven", None),
        ("nonsense", None),
    ],
)
def test_sqlite_file_of_a_url(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected


@pytest.mark.usefixtures("wide_umask")
def test_reindex_on_a_fresh_home_makes_it_private(tmp_path: Path) -> None:
    # `graven admin reindex` may be the first command to touch a home, as `graven up` is.
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "graven.cli", "admin", "reindex", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert mode(home) == 0o700
    assert mode(home / "graven.db") == 0o600
