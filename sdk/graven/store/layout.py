"""Where an execution's data lives in the object store.

Every key is deterministic, derived from identifiers alone, so that a resuming agent finds
what a worker of a dead agent already wrote (a node's outputs) without any record of it.
"""

from __future__ import annotations

from graven.digests import PREFIX, sha256_hex
from graven.store.content import CAS_PREFIX, content_key
from graven.v1.identifier_pb2 import ExecutionIdentifier

INPUTS = "inputs.pb"
OUTPUTS = "outputs.pb"


def execution_prefix(execution_id: ExecutionIdentifier) -> str:
    return f"executions/{execution_id.project}/{execution_id.domain}/{execution_id.name}"


def execution_outputs_key(execution_id: ExecutionIdentifier) -> str:
    return f"{execution_prefix(execution_id)}/{OUTPUTS}"


def node_prefix(execution_id: ExecutionIdentifier, node_id: str) -> str:
    return f"{execution_prefix(execution_id)}/nodes/{node_id}"


def node_inputs_key(execution_id: ExecutionIdentifier, node_id: str) -> str:
    return f"{node_prefix(execution_id, node_id)}/{INPUTS}"


def node_outputs_key(execution_id: ExecutionIdentifier, node_id: str) -> str:
    """Written by the worker before it returns: its presence means the node succeeded."""
    return f"{node_prefix(execution_id, node_id)}/{OUTPUTS}"


def attempt_started_key(execution_id: ExecutionIdentifier, node_id: str, attempt: int) -> str:
    """Written when an attempt with a timeout starts running, so queueing is not counted."""
    return f"{node_prefix(execution_id, node_id)}/attempts/{attempt}/started"


def bundle_key(bundle_digest: str) -> str:
    """``sha256:<hex>`` → ``bundles/sha256/<hex>.tar.gz``."""
    if not bundle_digest.startswith(PREFIX):
        raise ValueError(f"bundle digest {bundle_digest!r} must start with {PREFIX!r}")
    return f"bundles/sha256/{bundle_digest.removeprefix(PREFIX)}.tar.gz"


def artifact_key(artifact_hash: str) -> str:
    """``sha256:<hex>`` → ``cas/sha256/<hh>/<hex>``: an artifact's bytes (or a blob's content)."""
    return content_key(artifact_hash)


LINEAGE_MARK = ".lineage/"


def lineage_key(artifact_hash: str, record: bytes) -> str:
    """Where one lineage record of an artifact lives: beside it, named by the record's own
    sha256, so writing the same record twice is harmless and two records never collide."""
    return (
        f"{artifact_key(artifact_hash)}{LINEAGE_MARK}{sha256_hex(record).removeprefix(PREFIX)}.pb"
    )


def is_lineage_key(key: str) -> bool:
    return key.startswith(CAS_PREFIX + "/") and LINEAGE_MARK in key
