"""Cache keys: what a cached node's outputs are reused by.

The key is the digest of its components, and the components travel with the node's events
and its cache entry, so "why did this miss?" is answered by comparing components, never by
guessing at a hash. Everything in the components is content: the task's name without its
version (a re-registration that changes nothing else keeps the cache), the digest of its
interface, its code digest (or the explicit cache version that replaces it) and the content
hash of each input the policy does not ignore.
"""

from __future__ import annotations

from collections.abc import Mapping

from graven.digests import message_digest
from graven.v1.cache_pb2 import CacheKeyComponents
from graven.v1.identifier_pb2 import Identifier
from graven.v1.literals_pb2 import Literal
from graven.v1.task_pb2 import Task


def is_cached(task: Task) -> bool:
    return task.spec.template.metadata.cache.enabled


def key_components(task: Task, inputs: Mapping[str, Literal]) -> CacheKeyComponents:
    """The components of ``task``'s key for these resolved inputs (each carrying its hash)."""
    template = task.spec.template
    policy = template.metadata.cache
    ignored = set(policy.ignore_inputs)
    hashes = {}
    for name, literal in inputs.items():
        if name in ignored:
            continue
        if not literal.hash:
            raise ValueError(f"input {name!r} carries no content hash")
        hashes[name] = literal.hash
    components = CacheKeyComponents(
        task=Identifier(project=task.id.project, domain=task.id.domain, name=task.id.name),
        interface_digest=message_digest(template.interface),
        inputs=hashes,
        ignored_inputs=sorted(ignored),
    )
    if policy.version:
        components.cache_version = policy.version
    else:
        components.code_digest = template.code.code_digest
    return components


def cache_key(components: CacheKeyComponents) -> str:
    """``sha256:<hex>`` of the components' deterministic serialization."""
    return message_digest(components)
