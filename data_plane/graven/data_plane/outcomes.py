"""What crosses Ray between the agent and a worker: small, plain, cheap to pickle.

Protos travel as serialized bytes, so a worker and the agent need not agree on anything but
the protos. A node's upstream results reach its worker as extra task arguments (object refs
of upstream attempts, or the bytes of outputs recorded earlier), so Ray can start a node the
moment its upstream nodes finish, without a round trip through the agent.
"""

from __future__ import annotations

from dataclasses import dataclass

from graven.v1.execution_pb2 import ErrorKind


@dataclass(frozen=True, slots=True)
class NodeRequest:
    """One attempt of one node, as the worker needs it."""

    store_url: str
    bundle_digest: str
    module: str
    function: str
    # A graven.v1.Node holding the node's input bindings.
    bindings: bytes
    # LiteralMaps: the workflow inputs the bindings name, and the task's input defaults.
    workflow_inputs: bytes
    defaults: bytes
    # The node ids of the upstream results passed after the request, in order.
    upstream_ids: tuple[str, ...]
    inputs_key: str
    outputs_key: str
    # Set when the attempt has a timeout: the worker records when it really started.
    started_key: str = ""
    # A retry or a resumed node: outputs already committed by an earlier attempt are
    # adopted instead of running the task again.
    adopt_committed: bool = False
    # A graven.v1.LineageRecord with the producer's fields set (execution, node, attempt,
    # task, code digest, cache key): the worker completes one per output.
    producer: bytes = b""


@dataclass(frozen=True, slots=True)
class NodeSuccess:
    outputs: bytes
    inputs_uri: str
    outputs_uri: str
    started_at: float
    finished_at: float
    # The graven.v1.LineageRecords written beside the outputs, one per output.
    lineage: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeFailure:
    kind: ErrorKind
    type: str
    message: str
    traceback: str
    started_at: float
    finished_at: float


@dataclass(frozen=True, slots=True)
class UpstreamFailed:
    """The node did not run: an upstream attempt it was submitted behind did not succeed."""


NodeOutcome = NodeSuccess | NodeFailure | UpstreamFailed
