"""The worker's blob cache: the user's own folder, and entries a task cannot spoil for the
next reader (a task writing into its File or Directory input changes nothing another run
reads)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from dp_support import EventLog, claim, node, promise, read_outputs, static, task, upload_project
from dp_support import workflow as make_workflow

from graven import Directory, File
from graven.blobs import (
    DEFAULT_MAX_BYTES,
    MAX_BYTES_VARIABLE,
    CacheFolderError,
    StoreBlobs,
    cache_cap_from_env,
    fetch,
    fetch_tree,
)
from graven.data_plane.executor import Executor
from graven.errors import GravenValueError
from graven.literals import to_literal, to_python
from graven.store import ObjectStore
from graven.v1 import execution_pb2 as pb


class CountingBlobs(StoreBlobs):
    """StoreBlobs that counts downloads, to see when the cache is trusted."""

    def __init__(self, store: ObjectStore, cache_dir: Path, **options: Any) -> None:
        super().__init__(store, cache_dir, **options)
        self.opened: list[str] = []

    def open(self, sha256: str) -> BinaryIO:
        self.opened.append(sha256)
        return super().open(sha256)


def spoil(path: Path, extra: bytes) -> None:
    """What a careless task (or one running as root, whom 0444 does not stop) does."""
    os.chmod(path, 0o644)
    with path.open("ab") as f:
        f.write(extra)


def stored_file(store: ObjectStore, tmp_path: Path, data: bytes) -> str:
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    literal = to_literal(File(source), File, StoreBlobs(store, tmp_path / "upload-cache"))
    return literal.blob.sha256


def test_a_file_written_into_by_a_task_is_fetched_again_for_the_next_reader(
    store: ObjectStore, tmp_path: Path
) -> None:
    sha = stored_file(store, tmp_path, b"original bytes")
    blobs = CountingBlobs(store, tmp_path / "cache")
    first = fetch(blobs, sha)
    spoil(first, b" and a task's scribbles")
    again = fetch(blobs, sha)
    assert again.read_bytes() == b"original bytes"
    assert len(blobs.opened) == 2
    assert stat.S_IMODE(again.stat().st_mode) == 0o444


def test_an_intact_entry_is_reused_without_downloading_or_hashing_it(
    store: ObjectStore, tmp_path: Path
) -> None:
    sha = stored_file(store, tmp_path, b"x" * 100_000)
    blobs = CountingBlobs(store, tmp_path / "cache")
    path = fetch(blobs, sha)
    for _ in range(3):
        assert fetch(blobs, sha) == path
    assert len(blobs.opened) == 1


def test_an_entry_without_a_marker_is_hashed_once_and_kept_if_intact(
    store: ObjectStore, tmp_path: Path
) -> None:
    # As a cache an older Graven filled: the bytes are there, the marker is not.
    sha = stored_file(store, tmp_path, b"from before markers")
    blobs = CountingBlobs(store, tmp_path / "cache")
    path = fetch(blobs, sha)
    marker = path.with_name(path.name + ".verified")
    marker.unlink()
    assert fetch(blobs, sha) == path
    assert marker.exists()
    assert len(blobs.opened) == 1


def test_a_same_size_rewrite_with_a_copied_marker_is_still_caught(
    store: ObjectStore, tmp_path: Path
) -> None:
    sha = stored_file(store, tmp_path, b"AAAA")
    blobs = CountingBlobs(store, tmp_path / "cache")
    path = fetch(blobs, sha)
    marker = path.with_name(path.name + ".verified")
    recorded = marker.read_text()
    os.chmod(path, 0o644)
    path.write_bytes(b"BBBB")
    os.utime(path, ns=(path.stat().st_atime_ns, int(recorded.split()[2])))  # mtime put back
    assert fetch(blobs, sha).read_bytes() == b"AAAA"  # the ctime gave it away
    assert len(blobs.opened) == 2


def test_a_directory_a_task_changed_is_rebuilt_for_the_next_reader(
    store: ObjectStore, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_bytes(b"alpha")
    (tree / "sub" / "b.txt").write_bytes(b"beta")
    blobs = StoreBlobs(store, tmp_path / "cache")
    sha = to_literal(Directory(tree), Directory, blobs).blob.sha256
    expected = {"a.txt": b"alpha", "sub/b.txt": b"beta"}

    def contents(folder: Path) -> dict[str, bytes]:
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file()
        }

    for change in (
        lambda d: spoil(d / "a.txt", b"!"),  # through the hard link, into the cache itself
        lambda d: (d / "added.txt").write_bytes(b"new"),
        lambda d: (d / "sub" / "b.txt").unlink(),
    ):
        fetched = fetch_tree(blobs, sha)
        assert contents(fetched) == expected
        change(fetched)
    assert contents(fetch_tree(blobs, sha)) == expected


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o703])
def test_a_blob_cache_others_can_write_into_is_refused(
    store: ObjectStore, tmp_path: Path, mode: int
) -> None:
    sha = stored_file(store, tmp_path, b"data")
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chmod(cache, mode)
    with pytest.raises(CacheFolderError, match="writable by other users"):
        fetch(StoreBlobs(store, cache), sha)
    assert list(cache.iterdir()) == []


def test_a_new_blob_cache_is_private(store: ObjectStore, tmp_path: Path) -> None:
    sha = stored_file(store, tmp_path, b"data")
    fetch(StoreBlobs(store, tmp_path / "cache"), sha)
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700


STEPS = """
    import os
    import tempfile
    from pathlib import Path

    from graven import File


    def write(text: str) -> File:
        path = Path(tempfile.mkdtemp(), "data.txt")
        path.write_text(text)
        return File(path)


    def scribble(f: File) -> str:
        os.chmod(f.path, 0o644)
        with f.path.open("a") as out:
            out.write(" SCRIBBLED")
        return f.path.read_text()


    def read(f: File) -> str:
        return f.path.read_text()
"""


@pytest.mark.usefixtures("ray_address")
def test_a_task_appending_to_its_input_does_not_change_what_the_next_run_reads(
    store: ObjectStore, tmp_path: Path
) -> None:
    steps = upload_project(store, tmp_path / "project", {"steps.py": STEPS})
    write = task(steps, "steps", "write", {"text": str}, {"o0": File})
    scribble = task(steps, "steps", "scribble", {"f": File}, {"o0": str})
    read = task(steps, "steps", "read", {"f": File}, {"o0": str})
    original = f"the original bytes of {tmp_path.name}"
    wf = make_workflow(
        [
            node("w", write, text=static(original, str)),
            node("s", scribble, f=promise("w")),
            node("r", read, ("s",), f=promise("w")),
        ],
        [write, scribble, read],
        outputs={"scribbled": (promise("s"), str), "read": (promise("r"), str)},
    )
    for _ in range(2):  # the second run reads the content the first one's cache holds
        log = EventLog()
        Executor(claim(store, wf), store, log).run()
        assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED
        final = [e.execution for e in log.events if e.HasField("execution")][-1]
        outputs = read_outputs(store, final.outputs_uri).literals
        assert to_python(outputs["scribbled"], str) == original + " SCRIBBLED"
        assert to_python(outputs["read"], str) == original


def age(path: Path, seconds_ago: float) -> None:
    """Make a cache entry look last used ``seconds_ago`` (its marker, or a tree's folder)."""
    marker = path.with_name(path.name + ".verified")
    target = path if path.is_dir() else marker
    when = time.time() - seconds_ago
    os.utime(target, (when, when))


def cached_files(cache: Path) -> list[Path]:
    return [p for p in (cache / "cas").rglob("*") if p.is_file() and p.suffix != ".verified"]


def test_over_its_cap_the_cache_evicts_the_least_recently_used_entries(
    store: ObjectStore, tmp_path: Path
) -> None:
    shas = [stored_file(store, tmp_path, bytes([n]) * 100) for n in range(3)]
    blobs = CountingBlobs(store, tmp_path / "cache", max_cache_bytes=250, eviction_grace=0)
    first, second = fetch(blobs, shas[0]), fetch(blobs, shas[1])
    age(first, 30)
    age(second, 20)
    fetch(blobs, shas[0])  # used again: now the most recent of the two
    third = fetch(blobs, shas[2])  # 300 bytes: one entry must go
    assert first.exists()
    assert third.exists()
    assert not second.exists()
    assert not second.with_name(second.name + ".verified").exists()
    assert fetch(blobs, shas[1]).read_bytes() == bytes([1]) * 100  # downloaded again
    assert blobs.opened == [shas[0], shas[1], shas[2], shas[1]]


def test_entries_used_within_the_grace_period_are_kept_over_the_cap(
    store: ObjectStore, tmp_path: Path
) -> None:
    shas = [stored_file(store, tmp_path, bytes([n]) * 100) for n in range(3)]
    blobs = StoreBlobs(store, tmp_path / "cache", max_cache_bytes=150, eviction_grace=3600)
    paths = [fetch(blobs, sha) for sha in shas]
    assert all(p.exists() for p in paths)


def test_a_directorys_linked_files_count_once_and_go_with_their_last_holder(
    store: ObjectStore, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.bin").write_bytes(b"a" * 100)
    (tree / "b.bin").write_bytes(b"b" * 100)
    upload = StoreBlobs(store, tmp_path / "upload-cache")
    sha = to_literal(Directory(tree), Directory, upload).blob.sha256
    new = stored_file(store, tmp_path, b"n" * 100)
    cache = tmp_path / "cache"
    filled = StoreBlobs(store, cache, max_cache_bytes=None)
    built = fetch_tree(filled, sha)
    manifest_size = fetch(filled, sha).stat().st_size
    age(built, 90)  # the oldest, so the first to go
    for entry in cached_files(cache):
        age(entry, 60)
    # The tree's two files, linked from the cache, count 200 bytes, not 400: all fits.
    roomy = StoreBlobs(store, cache, max_cache_bytes=300 + manifest_size, eviction_grace=0)
    fetch(roomy, new)
    assert built.is_dir()
    assert len(cached_files(cache)) == 4
    # One byte less and one more byte: old entries go until it fits.
    tight = StoreBlobs(store, cache, max_cache_bytes=299 + manifest_size, eviction_grace=0)
    fetch(tight, stored_file(store, tmp_path, b"e"))
    # The tree went first but freed nothing (its files are the cache's own): one more had to.
    assert not built.exists()
    assert len(cached_files(cache)) == 4
    assert sum(p.stat().st_size for p in cached_files(cache)) <= 299 + manifest_size
    rebuilt = fetch_tree(StoreBlobs(store, cache, max_cache_bytes=None), sha)
    assert sorted(p.read_bytes() for p in rebuilt.iterdir()) == [b"a" * 100, b"b" * 100]


@pytest.mark.parametrize(
    ("text", "cap"), [("", DEFAULT_MAX_BYTES), ("0", None), ("4096", 4096), (" 7 ", 7)]
)
def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch, text: str, cap: int | None) -> None:
    monkeypatch.setenv(MAX_BYTES_VARIABLE, text)
    assert cache_cap_from_env(MAX_BYTES_VARIABLE, DEFAULT_MAX_BYTES) == cap


@pytest.mark.parametrize("text", ["lots", "-1", "1.5"])
def test_a_malformed_cap_is_refused(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(MAX_BYTES_VARIABLE, text)
    with pytest.raises(GravenValueError, match="must be a number of bytes"):
        cache_cap_from_env(MAX_BYTES_VARIABLE, DEFAULT_MAX_BYTES)
