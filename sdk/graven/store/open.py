from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from graven.store.base import ObjectStore, StoreError
from graven.store.local import LocalStore
from graven.store.s3 import S3Store


def open_store(url: str) -> ObjectStore:
    """The store a URL names: file:///path (the embedded default) or
    s3://bucket[/prefix]?endpoint=host:port[&secure=false][&region=…] (MinIO or any S3)."""
    parsed = urlparse(url)
    folder = file_store_folder(url)
    if folder is not None:
        return LocalStore(folder)
    if parsed.scheme == "s3":
        return S3Store.from_url(url)
    raise StoreError(
        f"unsupported object-store URL {url!r} (expected file:///path or s3://bucket?endpoint=…)"
    )


def file_store_folder(url: str) -> Path | None:
    """The folder of a file:/// store URL; None for another scheme."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    if parsed.netloc not in ("", "localhost"):
        raise StoreError(f"file store URL must be file:///absolute/path, not {url!r}")
    return Path(unquote(parsed.path))
