"""What a walk keeps about each node of its execution: one explicit status and the data of
the attempt, question or wait in progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from graven.data_plane.bindings import UpstreamOutputs, resolve_all
from graven.data_plane.cache_keys import cache_key, key_components
from graven.data_plane.outcomes import NodeOutcome
from graven.data_plane.walk_graph import GraphNode, Kind
from graven.v1 import execution_pb2 as pb
from graven.v1.cache_pb2 import CacheKeyComponents
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.task_pb2 import Task
from graven.v1.workflow_pb2 import Node


class Status(Enum):
    """A node's place in its life. A task node goes PENDING → (ASKING) → SUBMITTED →
    RUNNING → (RETRY_WAIT → PENDING …) → a settled status; SUBMITTED means an attempt is in
    Ray behind upstream attempts the walk has not seen succeed yet. Other kinds go PENDING →
    RUNNING (waiting on their children, a signal, a timer or a child execution) → settled."""

    PENDING = "pending"
    ASKING = "asking-cache"
    SUBMITTED = "submitted"
    RUNNING = "running"
    RETRY_WAIT = "retry-wait"
    SUCCEEDED = "succeeded"
    RECOVERED = "recovered"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    SKIPPED = "skipped"
    TERMINATED = "terminated"


DONE = frozenset({Status.SUCCEEDED, Status.RECOVERED})
FAILED = frozenset({Status.FAILED, Status.TIMED_OUT})
SETTLED = DONE | FAILED | {Status.SKIPPED, Status.TERMINATED}
# How a recorded phase is taken up again by a walk that resumes.
RECORDED = {
    pb.NODE_PHASE_SUCCEEDED: Status.SUCCEEDED,
    pb.NODE_PHASE_RECOVERED: Status.RECOVERED,
    pb.NODE_PHASE_FAILED: Status.FAILED,
    pb.NODE_PHASE_TIMED_OUT: Status.TIMED_OUT,
    pb.NODE_PHASE_SKIPPED: Status.SKIPPED,
    pb.NODE_PHASE_TERMINATED: Status.TERMINATED,
}


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (1-based): base * 2**(n-1), at most ``cap`` seconds."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.base * 2 ** (failures - 1)))


@dataclass(eq=False)
class MapProgress:
    """A map node's elements, released to run at most ``concurrency`` at a time."""

    elements: list[NodeRun]
    released: int = 0
    active: int = 0
    settled: int = 0
    failed: int = 0


@dataclass(eq=False)
class NodeRun:
    graph: GraphNode
    enabled: bool = True
    upstream: list[NodeRun] = field(default_factory=list)
    downstream: list[NodeRun] = field(default_factory=list)
    status: Status = Status.PENDING
    # What every attempt's request carries, made once (see NodeRequest).
    bindings: bytes = b""
    workflow_inputs: bytes = b""
    defaults: bytes = b""
    attempt: int = 0
    # Failed attempts, counted against the task's retries.
    failures: int = 0
    # The attempt in flight, if any; after a success, the one whose result downstream
    # attempts take as an argument (its object ref stays with the driver).
    token: int | None = None
    # A completion that came before the walk saw every upstream node succeed.
    deferred: NodeOutcome | None = None
    outputs: LiteralMap | None = None
    outputs_uri: str = ""
    error: pb.ExecutionError | None = None
    # Caching, for a task with a cache policy: the resolved inputs the key was made of.
    cached: bool = False
    inputs: LiteralMap | None = None
    components: CacheKeyComponents | None = None
    cache_key: str = ""
    cache_status: pb.CacheStatus = pb.CACHE_STATUS_DISABLED
    waits: int = 0
    # The outputs of a cache hit recorded before this walk: output name to artifact hash.
    output_hashes: dict[str, str] = field(default_factory=dict)
    # While a question is out: the outputs a HIT is expected to give (remembered by the
    # agent, read from the store), so downstream keys can be asked in the same question.
    expected: LiteralMap | None = None
    # A question asked on such an expectation (see key_guesses): the upstream outputs (node
    # id to output name to artifact hash) its key assumed.
    assumed: dict[str, dict[str, str]] | None = None
    # A map's elements; a branch's case taken; a launch-plan node's child execution.
    progress: MapProgress | None = None
    chosen: str = ""
    child: ExecutionIdentifier | None = None
    # When a timed attempt or a gate started (seconds since the epoch).
    since: float = 0.0

    @property
    def id(self) -> str:
        return self.graph.id

    @property
    def node(self) -> Node:
        return self.graph.node

    @property
    def kind(self) -> Kind:
        return self.graph.kind

    @property
    def task(self) -> Task:
        assert self.graph.task is not None
        return self.graph.task

    @property
    def in_flight(self) -> bool:
        return self.status in (Status.SUBMITTED, Status.RUNNING) and self.token is not None

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

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
