from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from graven.store.base import ObjectStore, StoreError
from graven.store.local import LocalStore


def open_store(url: str) -> ObjectStore:
    """The store a URL names: file:///path (the embedded default); s3:// comes next."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise StoreError(f"file store URL must be file:///absolute/path, not {url!r}")
        return LocalStore(Path(unquote(parsed.path)))
    raise StoreError(f"unsupported object-store URL {url!r} (expected file:///path)")
