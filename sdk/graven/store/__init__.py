"""The object store: one interface, backends chosen by URL.

Keys are "/"-separated paths relative to the store root, laid out as documented in the
README (cas/, executions/, bundles/). Keys are write-once: writing a key that exists is a
no-op, never an overwrite. Content-addressed keys (cas/sha256/<hh>/<hash>) are written by
put_content, which hashes the bytes as they stream in. The one exception is ``quarantine``:
an object whose bytes, re-hashed, do not match its key is moved aside so the right bytes can
be written (see graven.store.integrity).
"""

from graven.store.base import ObjectStore, StoreError
from graven.store.content import ContentRef, content_key
from graven.store.open import open_store

__all__ = ["ContentRef", "ObjectStore", "StoreError", "content_key", "open_store"]
