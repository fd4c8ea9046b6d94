"""What crosses Ray between the agent and a worker: small, plain, cheap to pickle.

Literal maps travel as serialized bytes, so a worker and the agent need not agree on
anything but the proto.
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
    inputs: bytes
    inputs_key: str
    outputs_key: str
    # Set when the attempt has a timeout: the worker records when it really started.
    started_key: str = ""
    # A retry or a resumed node: outputs already committed by an earlier attempt are
    # adopted instead of running the task again.
    adopt_committed: bool = False


@dataclass(frozen=True, slots=True)
class NodeSuccess:
    outputs: bytes
    inputs_uri: str
    outputs_uri: str
    started_at: float
    finished_at: float


@dataclass(frozen=True, slots=True)
class NodeFailure:
    kind: ErrorKind
    type: str
    message: str
    traceback: str
    started_at: float
    finished_at: float


NodeOutcome = NodeSuccess | NodeFailure
