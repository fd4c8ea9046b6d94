"""What a cache hit reuses: an entry's outputs, provided the store still holds everything,
intact.

The control plane's entry is only an index; the store is the truth. An entry whose artifact
or blob content has vanished (deleted by hand, a bucket lifecycle rule, a lost disk) or whose
bytes no longer hash to their key (a bit flip, a hand edit) must not be trusted, or the hit
would hand a downstream node a value nobody can read, or the wrong one. Such a hit is a miss:
the node runs again, and since the corrupt objects were quarantined on the way, its writes
store the right bytes again.
"""

from __future__ import annotations

from graven.artifacts import read_artifact
from graven.errors import GravenValueError
from graven.store import ObjectStore, StoreError
from graven.store.integrity import CorruptContent, intact
from graven.store.layout import artifact_key
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.literals_pb2 import LiteralMap


def entry_outputs(
    store: ObjectStore, entry: CacheEntry, known: LiteralMap | None = None
) -> LiteralMap | None:
    """The entry's outputs read from their artifacts; None when any object it needs is
    missing or corrupt (a corrupt one is quarantined). ``known`` holds outputs read, and so
    checked, moments ago, reused if they are the entry's."""
    if known is not None and output_hashes(known) == dict(entry.outputs):
        outputs = known
    else:
        outputs = LiteralMap()
        try:
            for name, artifact_hash in entry.outputs.items():
                outputs.literals[name].CopyFrom(read_artifact(store, artifact_hash))
        except CorruptContent as corrupt:
            store.quarantine(corrupt.key)
            return None
        except (StoreError, GravenValueError):
            return None
    # The content of its files and directories, hashed through: a File whose bytes changed
    # is not the value the entry recorded.
    read = set(entry.outputs.values())
    others = sorted(set(entry.artifact_hashes) - read)
    if not all(intact(store, artifact_key(h)) for h in others):
        return None
    return outputs


def output_hashes(outputs: LiteralMap) -> dict[str, str]:
    """Output name to artifact hash."""
    return {name: literal.hash for name, literal in outputs.literals.items()}
