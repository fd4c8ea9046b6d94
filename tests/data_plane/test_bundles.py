"""The worker's bundle cache: one extraction per machine, however many workers race for it,
and one nobody else can plant code in."""

from __future__ import annotations

import os
import stat
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dp_support import (
    EventLog,
    claim,
    node,
    promise,
    read_outputs,
    static,
    task,
    upload_project,
    workflow,
)

from graven.blobs import CacheFolderError
from graven.data_plane.bundles import (
    MARKER,
    BundleCache,
    BundleIntegrityError,
    default_cache_root,
    is_verified,
)
from graven.data_plane.executor import Executor
from graven.data_plane.walk_nodes import Backoff
from graven.digests import sha256_hex
from graven.literals import to_python
from graven.store import ObjectStore
from graven.store.layout import bundle_key
from graven.v1 import execution_pb2 as pb

GENUINE = """
    def who(folder: str) -> str:
        return "genuine"
"""
# What an attacker would leave under the genuine bundle's digest: code that leaves a trace.
PLANTED = """
    from pathlib import Path


    def who(folder: str) -> str:
        Path(folder, "planted-ran").write_text("yes")
        return "planted"
"""


def test_racing_workers_share_one_complete_extraction(store: ObjectStore, tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"VALUE = {i}\n" for i in range(50)}
    digest = upload_project(store, tmp_path / "project", files)
    root = tmp_path / "cache"
    # Separate caches stand for separate worker processes: nothing shared but the disk.
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: BundleCache(root).path(store, digest), range(16)))
    assert len(set(paths)) == 1
    extracted = paths[0]
    assert extracted.parent == root
    for name, source in files.items():
        assert (extracted / name).read_text() == source
    # Beside the entry only the cache's own hidden lock: no staging folder left behind.
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == [extracted.name]
    assert is_verified(extracted, digest)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_a_bundle_whose_bytes_do_not_match_its_digest_is_refused(
    store: ObjectStore, tmp_path: Path
) -> None:
    digest = sha256_hex(b"what was asked for")
    store.put_bytes(bundle_key(digest), b"something else")
    with pytest.raises(BundleIntegrityError):
        BundleCache(tmp_path / "cache").path(store, digest)
    assert not (tmp_path / "cache" / digest.removeprefix("sha256:")).exists()


@pytest.mark.parametrize("digest", ["", "sha256:../../etc", "md5:abc", "sha256:" + "g" * 64])
def test_a_malformed_digest_is_refused(store: ObjectStore, tmp_path: Path, digest: str) -> None:
    with pytest.raises(ValueError, match="malformed bundle digest"):
        BundleCache(tmp_path / "cache").path(store, digest)


def plant(root: Path, digest: str, marker: str | None) -> Path:
    entry = root / digest.removeprefix("sha256:")
    entry.mkdir(parents=True)
    os.chmod(root, 0o700)
    (entry / "steps.py").write_text(PLANTED.replace("\n    ", "\n"))
    if marker is not None:
        (entry / MARKER).write_text(marker)
    return entry


@pytest.mark.parametrize(
    "marker", [None, "sha256:" + "0" * 64 + "\n", ""], ids=["no-marker", "wrong", "empty"]
)
def test_a_planted_entry_is_replaced_by_the_verified_bundle(
    store: ObjectStore, tmp_path: Path, marker: str | None
) -> None:
    digest = upload_project(store, tmp_path / "project", {"steps.py": GENUINE})
    root = tmp_path / "cache"
    planted = plant(root, digest, marker)
    extracted = BundleCache(root).path(store, digest)
    assert extracted == planted
    assert "genuine" in (extracted / "steps.py").read_text()
    assert is_verified(extracted, digest)
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == [extracted.name]
    assert not [p for p in root.iterdir() if p.name.startswith((".discarded-", ".staging-"))]


def test_a_verified_entry_is_used_without_fetching_again(
    store: ObjectStore, tmp_path: Path
) -> None:
    digest = upload_project(store, tmp_path / "project", {"steps.py": GENUINE})
    root = tmp_path / "cache"
    first = BundleCache(root).path(store, digest)
    (first / "extra.txt").write_text("left by this user's own worker")
    # A new process (a new cache object) trusts the marked entry: no second extraction, which
    # would have thrown the extra file away.
    assert BundleCache(root).path(store, digest) == first
    assert (first / "extra.txt").exists()


def test_a_bundle_file_named_like_the_marker_does_not_vouch_for_anything(
    store: ObjectStore, tmp_path: Path
) -> None:
    digest = upload_project(
        store, tmp_path / "project", {"steps.py": GENUINE, MARKER: "sha256:forged\n"}
    )
    extracted = BundleCache(tmp_path / "cache").path(store, digest)
    assert (extracted / MARKER).read_text() == digest + "\n"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_cache_folder_others_can_write_into_is_refused(
    store: ObjectStore, tmp_path: Path, mode: int
) -> None:
    digest = upload_project(store, tmp_path / "project", {"steps.py": GENUINE})
    root = tmp_path / "cache"
    root.mkdir()
    os.chmod(root, mode)
    with pytest.raises(CacheFolderError, match="writable by other users"):
        BundleCache(root).path(store, digest)
    assert list(root.iterdir()) == []


def test_a_cache_folder_of_another_user_or_a_symlink_is_refused(
    store: ObjectStore, tmp_path: Path
) -> None:
    digest = upload_project(store, tmp_path / "project", {"steps.py": GENUINE})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    with pytest.raises(CacheFolderError, match="not a directory"):
        BundleCache(link).path(store, digest)
    if os.getuid() == 0:  # only root can hand a folder to another user
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, 54321, 54321)
        with pytest.raises(CacheFolderError, match="belongs to user 54321"):
            BundleCache(theirs).path(store, digest)


def test_a_read_only_cache_folder_of_our_own_is_made_private(
    store: ObjectStore, tmp_path: Path
) -> None:
    digest = upload_project(store, tmp_path / "project", {"steps.py": GENUINE})
    root = tmp_path / "cache"
    root.mkdir()
    os.chmod(root, 0o755)  # as an older Graven left it: nobody else could write into it
    BundleCache(root).path(store, digest)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@pytest.mark.usefixtures("ray_address")
def test_a_task_on_ray_runs_the_genuine_bundle_not_the_planted_one(
    store: ObjectStore, tmp_path: Path
) -> None:
    # A digest of its own, so the Ray workers have never loaded it.
    digest = upload_project(
        store, tmp_path / "project", {"steps.py": GENUINE + f"\n    # {uuid.uuid4()}\n"}
    )
    # The workers' own cache, where an attacker would plant it.
    root = default_cache_root()
    root.mkdir(mode=0o700, exist_ok=True)
    entry = root / digest.removeprefix("sha256:")
    entry.mkdir()
    (entry / "steps.py").write_text(PLANTED.replace("\n    ", "\n"))
    traces = tmp_path / "traces"
    traces.mkdir()
    who = task(digest, "steps", "who", {"folder": str}, {"o0": str})
    wf = workflow(
        [node("n", who, folder=static(str(traces), str))],
        [who],
        outputs={"o": (promise("n"), str)},
    )
    log = EventLog()
    Executor(claim(store, wf), store, log, backoff=Backoff(base=0.01)).run()

    assert log.execution_phases()[-1] == pb.EXECUTION_PHASE_SUCCEEDED
    final = [e.execution for e in log.events if e.HasField("execution")][-1]
    assert to_python(read_outputs(store, final.outputs_uri).literals["o"], str) == "genuine"
    assert not (traces / "planted-ran").exists()
    assert is_verified(entry, digest)


def aged(entry: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(entry / MARKER, (when, when))


def test_over_its_cap_the_least_recently_used_bundle_goes_and_comes_back_on_use(
    store: ObjectStore, tmp_path: Path
) -> None:
    digests = [
        upload_project(store, tmp_path / f"p{n}", {"m.py": f"DATA = {'x' * 1000!r}  # {n}\n"})
        for n in range(3)
    ]
    root = tmp_path / "cache"
    cache = BundleCache(root, max_bytes=2500, eviction_grace=0)
    first, second = cache.path(store, digests[0]), cache.path(store, digests[1])
    aged(first, 30)
    aged(second, 20)
    assert cache.path(store, digests[0]) == first  # used again: now the more recent
    third = cache.path(store, digests[2])  # over 3000 bytes: one must go
    assert is_verified(first, digests[0])
    assert is_verified(third, digests[2])
    assert not second.exists()
    # This cache object knew it: asked again, it extracts it again rather than answering a
    # folder that is gone.
    assert is_verified(cache.path(store, digests[1]), digests[1])


def test_bundles_used_within_the_grace_period_or_without_a_cap_are_kept(
    store: ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = [
        upload_project(store, tmp_path / f"p{n}", {"m.py": f"DATA = {'x' * 1000!r}  # {n}\n"})
        for n in range(3)
    ]
    graced = BundleCache(tmp_path / "graced", max_bytes=1500, eviction_grace=3600)
    assert all(is_verified(graced.path(store, d), d) for d in digests)
    monkeypatch.delenv("GRAVEN_BUNDLE_CACHE_MAX_BYTES", raising=False)
    uncapped = BundleCache(tmp_path / "uncapped", eviction_grace=0)
    assert uncapped.max_bytes is None
    paths = [uncapped.path(store, d) for d in digests]
    for path in paths:
        aged(path, 60)
    assert all(is_verified(p, d) for p, d in zip(paths, digests, strict=True))
    monkeypatch.setenv("GRAVEN_BUNDLE_CACHE_MAX_BYTES", "4096")
    assert BundleCache(tmp_path / "set").max_bytes == 4096
