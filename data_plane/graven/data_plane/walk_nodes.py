"""What a walk keeps about each node of its execution, and the messages its thread wakes on."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

from graven.data_plane.bindings import UpstreamOutputs, resolve_all
from graven.data_plane.cache_keys import cache_key, key_components
from graven.data_plane.cache_reservations import CacheResult
from graven.data_plane.outcomes import NodeOutcome
from graven.v1 import execution_pb2 as pb
from graven.v1.cache_pb2 import CacheKeyComponents
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import Node

DONE = frozenset({pb.NODE_PHASE_SUCCEEDED, pb.NODE_PHASE_RECOVERED})
FAILED = frozenset({pb.NODE_PHASE_FAILED, pb.NODE_PHASE_TIMED_OUT})
SETTLED = DONE | FAILED | {pb.NODE_PHASE_SKIPPED, pb.NODE_PHASE_TERMINATED}


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (1-based): base * 2**(n-1), at most ``cap`` seconds."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.base * 2 ** (failures - 1)))


@dataclass(eq=False)
class NodeRun:
    node: Node
    task: Task
    upstream: list[NodeRun] = field(default_factory=list)
    downstream: list[NodeRun] = field(default_factory=list)
    # What every attempt's request carries, made once (see NodeRequest).
    bindings: bytes = b""
    workflow_inputs: bytes = b""
    defaults: bytes = b""
    # UNSPECIFIED until the node is seen to start; an attempt may be in flight before that.
    phase: pb.NodePhase = pb.NODE_PHASE_UNSPECIFIED
    attempt: int = 0
    # Failed attempts, counted against the task's retries.
    failures: int = 0
    # The attempt in flight, if any: its object ref and the future its completion comes on.
    ref: Any = None
    future: Future[NodeOutcome] | None = None
    # A completion that came before the walk saw every upstream node succeed.
    deferred: Completion | None = None
    outputs: LiteralMap | None = None
    outputs_uri: str = ""
    error: pb.ExecutionError | None = None
    # Caching, for a task with a cache policy: the resolved inputs the key was made of.
    cached: bool = False
    inputs: LiteralMap | None = None
    components: CacheKeyComponents | None = None
    cache_key: str = ""
    cache_status: pb.CacheStatus = pb.CACHE_STATUS_DISABLED
    # A question to the cache is on its way, or waits out a backoff.
    asking: bool = False
    waits: int = 0
    # The outputs of a cache hit recorded before this walk: output name to artifact hash.
    output_hashes: dict[str, str] = field(default_factory=dict)
    # While a question is out: the outputs a HIT is expected to give (remembered by the
    # agent, read from the store), so downstream keys can be asked in the same question.
    expected: LiteralMap | None = None
    # A question asked on such an expectation (see key_guesses): the upstream outputs (node
    # id to output name to artifact hash) its key assumed.
    assumed: dict[str, dict[str, str]] | None = None

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def in_flight(self) -> bool:
        return self.future is not None

    def resolve(self, workflow_inputs: dict[str, Literal], upstream: UpstreamOutputs) -> LiteralMap:
        """The node's inputs: its bindings' values and the defaults of the inputs unbound."""
        defaults = LiteralMap.FromString(self.defaults).literals
        return resolve_all(self.node.inputs, workflow_inputs, upstream, defaults)

    def make_key(self, inputs: LiteralMap) -> None:
        """Key the node on these inputs."""
        self.inputs = inputs
        self.components = key_components(self.task, inputs.literals)
        self.cache_key = cache_key(self.components)

    def forget_key(self) -> None:
        """Drop a guessed key: it is made again once the upstream nodes really succeed."""
        self.assumed = self.inputs = self.components = None
        self.cache_key = ""


@dataclass(frozen=True)
class Completion:
    run: NodeRun
    future: Future[NodeOutcome]


@dataclass(frozen=True)
class CacheAnswers:
    runs: tuple[NodeRun, ...]
    overwrite: bool
    result: CacheResult


class Signal(Enum):
    TERMINATE = auto()
    ABANDON = auto()


Message = Completion | CacheAnswers | Signal
