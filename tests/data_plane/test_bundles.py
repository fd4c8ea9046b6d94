"""The worker's bundle cache: one extraction per machine, however many workers race for it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dp_support import upload_project

from graven.data_plane.bundles import BundleCache, BundleIntegrityError
from graven.digests import sha256_hex
from graven.store import ObjectStore
from graven.store.layout import bundle_key


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
    assert [p.name for p in root.iterdir()] == [extracted.name]


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
