"""What a cache hit reuses: an entry's outputs, provided the store still holds everything.

The control plane's entry is only an index; the store is the truth. An entry whose artifact
or blob content has vanished (deleted by hand, a bucket lifecycle rule, a lost disk) must
not be trusted, or the hit would hand a downstream node a value nobody can read.
"""

from __future__ import annotations

from graven.artifacts import read_artifact
from graven.errors import GravenValueError
from graven.store import ObjectStore, StoreError
from graven.store.layout import artifact_key
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.literals_pb2 import LiteralMap


def entry_outputs(
    store: ObjectStore, entry: CacheEntry, known: LiteralMap | None = None
) -> LiteralMap | None:
    """The entry's outputs read from their artifacts; None when any object it needs is
    missing or corrupt. ``known`` holds outputs read moments ago, reused if they are the
    entry's."""
    if known is not None and output_hashes(known) == dict(entry.outputs):
        outputs = known
    else:
        outputs = LiteralMap()
        try:
            for name, artifact_hash in entry.outputs.items():
                outputs.literals[name].CopyFrom(read_artifact(store, artifact_hash))
        except (StoreError, GravenValueError):
            return None
    read = set(entry.outputs.values())
    others = sorted(set(entry.artifact_hashes) - read)
    if not all(store.exists(artifact_key(h)) for h in others):
        return None
    return outputs


def output_hashes(outputs: LiteralMap) -> dict[str, str]:
    """Output name to artifact hash."""
    return {name: literal.hash for name, literal in outputs.literals.items()}
