"""The object store: one interface, backends chosen by URL.

Keys are "/"-separated paths relative to the store root, laid out as documented in the
README (cas/, executions/, bundles/). Content-addressed keys are write-once: writing a key
that exists is a no-op, never an overwrite.
"""

from graven.store.base import ObjectStore, StoreError
from graven.store.open import open_store

__all__ = ["ObjectStore", "StoreError", "open_store"]
