"""Why a node hit or missed the cache: its key's components against an entry's.

A key is the digest of its components, so two keys differ exactly where their components do;
naming those components ("code_digest", "inputs.x") is the whole explanation.
"""

from __future__ import annotations

from graven.control_plane.persistence.proto_columns import to_datetime
from graven.v1.cache_pb2 import CacheEntry, CacheKeyComponents
from graven.v1.execution_pb2 import CACHE_STATUS_OVERWRITTEN

SCALAR_COMPONENTS = ("interface_digest", "code_digest", "cache_version")


def changed_components(
    before: CacheKeyComponents, after: CacheKeyComponents
) -> list[tuple[str, str]]:
    """(component, how) for every component that differs: how is "changed", or for an input
    "added" or "removed"."""
    changed = []
    if before.task != after.task:
        changed.append(("task", "changed"))
    for name in SCALAR_COMPONENTS:
        if getattr(before, name) != getattr(after, name):
            changed.append((name, "changed"))
    for name in sorted(before.inputs.keys() | after.inputs.keys()):
        if name not in before.inputs:
            changed.append((f"inputs.{name}", "added"))
        elif name not in after.inputs:
            changed.append((f"inputs.{name}", "removed"))
        elif before.inputs[name] != after.inputs[name]:
            changed.append((f"inputs.{name}", "changed"))
    if sorted(before.ignored_inputs) != sorted(after.ignored_inputs):
        changed.append(("ignored_inputs", "changed"))
    return changed


def hit_reason(entry: CacheEntry | None, source: str) -> str:
    if entry is None:
        return f"hit: reused the outputs {source} computed (that entry has since been evicted)"
    return f"hit: reused the outputs {_origin(entry)} computed"


def miss_reason(
    status: int,
    task: str,
    earlier: CacheEntry | None,
    changed: list[tuple[str, str]],
) -> str:
    """One sentence: why the node computed its outputs rather than reuse an entry."""
    if status == CACHE_STATUS_OVERWRITTEN:
        return "recomputed: the execution asked to overwrite the cache"
    if earlier is None:
        return f"miss: task {task} had no earlier cache entry to reuse"
    if not changed:
        return (
            f"miss: the entry {_origin(earlier)} computed has the same key, but was not "
            "reused: its stored objects were missing (this run repaired them), or it was "
            "made while this node ran"
        )
    what = ", ".join(name if how == "changed" else f"{name} ({how})" for name, how in changed)
    return f"miss: {what} changed since the entry {_origin(earlier)} computed"


def _origin(entry: CacheEntry) -> str:
    source = entry.source
    execution = source.execution_id
    at = to_datetime(entry.created_at).isoformat(timespec="seconds")
    return (
        f"node {source.node_id} of execution "
        f"{execution.project}/{execution.domain}/{execution.name} ({at})"
    )
