"""What a walk asks its driver to do, and the store reads it needs, as plain values.

The walk (``graven.data_plane.walk``) decides; the driver (``executor``) does: it turns each
action into a Ray call, a cache question, a store write or an event, and each answer back
into a call on the walk. Keeping the two apart lets every scheduling rule be tested without
Ray, a control plane or a store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from graven.data_plane.outcomes import NodeRequest
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import ChildExecutionRequest, ReserveCacheRequest, SignalWait
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.task_pb2 import Resources
from graven.v1.types_pb2 import LiteralType


@dataclass(frozen=True)
class Submit:
    """Start an attempt on Ray. Each upstream argument is the token of an attempt whose
    result Ray passes on (it may still be running) or the bytes of recorded outputs."""

    token: int
    request: NodeRequest
    resources: Resources
    upstream: tuple[int | bytes, ...]


@dataclass(frozen=True)
class SubmitBatch:
    """Start attempts of several nodes that take no upstream results (map elements) in one
    Ray task, which returns their outcomes in order."""

    tokens: tuple[int, ...]
    requests: tuple[NodeRequest, ...]
    resources: Resources


@dataclass(frozen=True)
class Cancel:
    token: int


@dataclass(frozen=True)
class Release:
    """No attempt will be submitted behind this one: its object ref may go."""

    token: int


@dataclass(frozen=True)
class Ask:
    """One ReserveCache question; the answer comes back as ``Walk.answered(question, …)``."""

    question: int
    request: ReserveCacheRequest


@dataclass(frozen=True)
class Remember:
    """Remember which outputs a key gave, so later walks can ask ahead (key_guesses)."""

    key: str
    outputs: Mapping[str, str]


@dataclass(frozen=True)
class Emit:
    event: pb.Event


@dataclass(frozen=True)
class Timer:
    """Call ``Walk.timer(payload)`` at ``at`` (seconds since the epoch)."""

    at: float
    payload: object


@dataclass(frozen=True)
class Record:
    """Store what the walk itself produced for a node (a cache hit, a map's lists, a
    branch's or a gate's outputs), then emit ``event``: what the control plane indexes must
    be in the store first.

    ``values``: store the outputs (and ``consumed``) as artifacts. ``producer``: write one
    lineage record per output, naming ``consumed`` as its inputs. ``inputs_key``: store
    ``inputs`` there as the node's inputs. ``commit``: write the outputs to the node's
    outputs key, the commit marker of a node no worker ran. ``background``: the walk need
    not wait for the writes (the event still follows them)."""

    node_id: str
    event: pb.NodeEvent
    outputs: LiteralMap
    types: Mapping[str, LiteralType]
    producer: LineageRecord | None = None
    consumed: LiteralMap | None = None
    inputs: LiteralMap | None = None
    inputs_key: str = ""
    values: bool = True
    commit: bool = True
    background: bool = False


@dataclass(frozen=True)
class WaitSignal:
    node_id: str
    wait: SignalWait


@dataclass(frozen=True)
class StartChild:
    node_id: str
    request: ChildExecutionRequest


@dataclass(frozen=True)
class StopWaiting:
    """Stop watching the signal or child execution of this node."""

    node_id: str


@dataclass(frozen=True)
class Finish:
    """The walk is over: write ``outputs`` (if any) and report ``phase`` (UNSPECIFIED: say
    nothing, the lease is lost), once the background writes are in."""

    phase: pb.ExecutionPhase
    error: pb.ExecutionError | None = None
    outputs: LiteralMap | None = None


Action = (
    Submit
    | SubmitBatch
    | Cancel
    | Release
    | Ask
    | Remember
    | Emit
    | Timer
    | Record
    | WaitSignal
    | StartChild
    | StopWaiting
    | Finish
)


@dataclass(frozen=True)
class Committed:
    """Outputs a worker (or a walk) committed for a node whose success was never reported."""

    outputs: LiteralMap
    uri: str
    records: list[LineageRecord]


class Reads(Protocol):
    """The store, as the walk reads it (a resumed walk, a cache hit, a timeout)."""

    def outputs(self, uri: str) -> LiteralMap: ...

    def artifacts(self, hashes: Mapping[str, str]) -> LiteralMap: ...

    def committed(self, node_id: str) -> Committed | None: ...

    def inputs(self, node_id: str) -> LiteralMap:
        """The inputs recorded for a node."""
        ...

    def started_at(self, node_id: str, attempt: int) -> float | None:
        """When the worker really started the attempt; None while it waits for resources."""
        ...

    def entry_outputs(self, entry: CacheEntry, known: LiteralMap | None) -> LiteralMap | None:
        """A cache entry's outputs, or None when the store lost any object it needs."""
        ...

    def foresee(self, key: str) -> LiteralMap | None:
        """The outputs a hit of ``key`` is expected to give (see key_guesses)."""
        ...

    def uri(self, key: str) -> str: ...
