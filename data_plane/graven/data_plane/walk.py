"""The walk of one execution as a state machine: events in, actions out, no I/O.

Each node of the flattened graph (``walk_graph``) has one explicit ``Status``. Every public
method takes one event (start, an attempt finished, a timer fired, the cache answered, a
signal or a child execution moved, terminate, the lease was lost) and returns the actions
the driver must take (``walk_actions``). The store is read through the ``Reads`` port only
(a resumed node's outputs, a cache entry's, when a timed attempt really started).

Scheduling rules, in order of importance:

- A task node is submitted as soon as each upstream node has succeeded or has an attempt in
  flight: Ray passes the upstream result on, so a chain runs without a round trip through
  the walk. The walk still sees every attempt: a node is RUNNING once its upstream nodes
  are seen to succeed, and its timeout counts from the moment the worker really starts. If
  an upstream attempt fails, the attempts submitted behind it are withdrawn (their workers
  return without running) and submitted again behind the retry, or skipped.
- A cached node waits for its upstream nodes to succeed (its key holds their content); the
  cached nodes that become ready together are asked about in one ReserveCache question,
  together with the cached nodes below them whose keys the agent can foresee
  (``key_guesses``). HIT: succeed without Ray if the store still has every object, else
  ask again as an overwrite (a repair). RUN: run it. WAIT: ask again after a backoff.
- Other kinds start once their upstream nodes succeeded: a branch decides its case at once
  (the others are SKIPPED); a map releases its elements, at most ``concurrency`` at a time,
  and settles when every element has; a subworkflow node settles when its inner nodes have;
  a gate waits for a timer or a signal; a launch-plan node for its child execution.
- A failure that is not a map element's fails the workflow: under FAIL_IMMEDIATELY nothing
  new starts and what is in flight is cancelled; under FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
  every node that does not depend on it still runs. Then the failure node, if any, runs.

Exactly once: a worker writes a node's outputs to a key fixed by the execution and node ids
before it returns. A walk that resumes adopts those outputs for any node whose success was
never reported, and a retry adopts them instead of running again.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypedDict, Unpack

from graven.conditions import ConditionError, evaluate
from graven.data_plane.bindings import (
    BindingError,
    defaults_of,
    named_inputs,
    resolve,
    resolve_all,
)
from graven.data_plane.cache_hits import output_hashes
from graven.data_plane.cache_keys import is_cached
from graven.data_plane.cache_reservations import CacheResult
from graven.data_plane.events import TRANSIENT, timestamp
from graven.data_plane.key_guesses import came_true, guess_downstream
from graven.data_plane.outcomes import (
    NodeFailure,
    NodeOutcome,
    NodeRequest,
    NodeSuccess,
    UpstreamFailed,
)
from graven.data_plane.walk_actions import (
    Action,
    Ask,
    Cancel,
    Emit,
    Finish,
    Reads,
    Record,
    Release,
    Remember,
    StartChild,
    StopWaiting,
    Submit,
    SubmitBatch,
    Timer,
    WaitSignal,
)
from graven.data_plane.walk_graph import Graph, Kind
from graven.data_plane.walk_nodes import (
    DONE,
    FAILED,
    RECORDED,
    Backoff,
    MapProgress,
    NodeRun,
    Status,
)
from graven.literals import collection_literal, sealed, to_literal
from graven.store import StoreError, layout
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import (
    CACHE_DECISION_HIT,
    CACHE_DECISION_RUN,
    CACHE_DECISION_WAIT,
    CacheRequest,
    ChildExecutionRequest,
    ClaimExecutionResponse,
    ReserveCacheRequest,
    ReserveCacheResponse,
    SignalWait,
)
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import Literal, LiteralMap, Void
from graven.v1.signal_pb2 import Signal, SignalIdentifier
from graven.v1.types_pb2 import LiteralType, SimpleType
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
    BindingData,
    Node,
)
from graven.workflow_error import WorkflowError

# The error type of an attempt its agent did not live to finish; it costs no retry.
AGENT_LOST = "AgentLost"
# The status a cached node that succeeded by running leaves its entry in.
RAN_CACHED = {False: pb.CACHE_STATUS_POPULATED, True: pb.CACHE_STATUS_OVERWRITTEN}
# Between questions about a key another execution is computing, or after the cache failed.
CACHE_BACKOFF = Backoff(base=0.05, cap=2.0)
# Map elements go to Ray several to a task (one call, their writes flushed together) when
# enough are released at once to keep this many tasks busy, at most MAX_BATCH each.
BATCH_TASKS = 16
MAX_BATCH = 64
# How often a timed attempt that has not started yet (waiting for resources) is looked at.
START_POLL_SECONDS = 0.5
# The phase a node's settled status is reported as.
PHASES = {
    Status.SUCCEEDED: pb.NODE_PHASE_SUCCEEDED,
    Status.RECOVERED: pb.NODE_PHASE_RECOVERED,
    Status.FAILED: pb.NODE_PHASE_FAILED,
    Status.TIMED_OUT: pb.NODE_PHASE_TIMED_OUT,
    Status.SKIPPED: pb.NODE_PHASE_SKIPPED,
    Status.TERMINATED: pb.NODE_PHASE_TERMINATED,
}
_BOOL = LiteralType(simple=SimpleType.SIMPLE_TYPE_BOOLEAN)
_NONE = Literal(none=Void())


# Timer payloads: what falls due.
@dataclass(frozen=True)
class Retry:
    node_id: str
    failures: int


@dataclass(frozen=True)
class Deadline:
    """A timed attempt may be past its timeout."""

    node_id: str
    attempt: int


@dataclass(frozen=True)
class AskAgain:
    node_ids: tuple[str, ...]
    overwrite: bool


@dataclass(frozen=True)
class Wake:
    """A sleep gate's time has come, or a signal gate's timeout."""

    node_id: str


class Walk:
    def __init__(
        self,
        claim: ClaimExecutionResponse,
        reads: Reads,
        *,
        cached: bool = True,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``cached``: whether a cache service answers this walk's questions."""
        self.execution_id = claim.execution.id
        self._claim = claim
        self._reads = reads
        self._has_cache = cached
        self._overwrite = claim.execution.spec.overwrite_cache
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._graph = Graph(claim.workflow)
        template = claim.workflow.spec.template
        self._after_all = (
            template.metadata.failure_policy == FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
        )
        self._runs: dict[str, NodeRun] = {}
        self._recorded = {n.id.node_id: n for n in claim.node_executions}
        self._workflow_inputs: dict[str, Literal] = {}
        self._tokens = itertools.count(1)
        self._by_token: dict[int, NodeRun] = {}
        self._questions = itertools.count(1)
        self._asked: dict[int, tuple[tuple[NodeRun, ...], bool]] = {}
        # What the walk waits for: attempts, retries, questions, gates, children. The walk
        # ends when nothing is left.
        self._awaiting: set[tuple[str, object]] = set()
        # Completions to take up once the current event is done (see _started): handled in a
        # loop, not by recursion, so a long chain costs no stack.
        self._later: deque[tuple[NodeRun, NodeOutcome]] = deque()
        self._actions: list[Action] = []
        # The first failure that fails the workflow, and whether nothing may start any more.
        self._failure: pb.ExecutionError | None = None
        self._halted = False
        self._failure_node_started = False
        # The failure node and what it nests: their own failures fail nothing more.
        self._cleanup = (
            {g.id for g in self._graph.subtree(self._graph.failure)}
            if self._graph.failure
            else set()
        )
        self.phase: pb.ExecutionPhase | None = None

    # --- events ---------------------------------------------------------------------------

    def start(self) -> list[Action]:
        self._emit_execution(pb.EXECUTION_PHASE_RUNNING)
        try:
            self._prepare()
        except (StoreError, BindingError, KeyError, ValueError) as error:
            failure = pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM, type=type(error).__name__, message=str(error)
            )
            self._end(pb.EXECUTION_PHASE_FAILED, failure)
            return self._done()
        order = list(self._claim.workflow.closure.node_order) or list(self._graph.top)
        self._advance([self._runs[node_id] for node_id in order] + list(self._runs.values()))
        return self._done()

    def finished(self, token: int, outcome: NodeOutcome) -> list[Action]:
        """An attempt's result (a failure of Ray itself arrives as a SYSTEM NodeFailure)."""
        run = self._by_token.get(token)
        if run is None or run.token != token or not run.in_flight:
            return self._done()  # an attempt already given up on
        if run.status == Status.SUBMITTED:
            run.deferred = outcome  # its upstream completions are still on their way
            return self._done()
        self._completed(run, outcome)
        return self._done()

    def timer(self, payload: object) -> list[Action]:
        if isinstance(payload, Retry):
            run = self._runs[payload.node_id]
            self._awaiting.discard(("retry", run.id))
            if run.status == Status.RETRY_WAIT and run.failures == payload.failures:
                run.status = Status.PENDING
                self._advance([run])
        elif isinstance(payload, Deadline):
            self._check_timeout(self._runs[payload.node_id], payload.attempt)
        elif isinstance(payload, AskAgain):
            self._awaiting.discard(("later", payload))
            runs = [self._runs[node_id] for node_id in payload.node_ids]
            self._ask([r for r in runs if r.status == Status.ASKING], payload.overwrite)
        elif isinstance(payload, Wake):
            self._woken(self._runs[payload.node_id])
        return self._done()

    def answered(self, question: int, result: CacheResult) -> list[Action]:
        self._awaiting.discard(("ask", question))
        runs, overwrite = self._asked.pop(question)
        if self._halted:
            return self._done()
        if not isinstance(result, ReserveCacheResponse):
            self._cache_failed(runs, overwrite, result)
            return self._done()
        answers = {answer.node_id: answer for answer in result.answers}
        done: list[NodeRun] = []
        repairs: list[NodeRun] = []
        waiting: list[NodeRun] = []
        # Upstream first: a guess is judged once the answers it assumed are in.
        for run in runs:
            if run.status != Status.ASKING:
                continue
            expected, run.expected = run.expected, None
            if not came_true(run, self._runs, self._outputs_of):
                # Should the wrong key have been reserved, the node's settling releases it.
                run.forget_key()
                run.status = Status.PENDING
                continue
            run.assumed = None
            answer = answers.get(run.id)
            decision = answer.decision if answer is not None else None
            if answer is not None and decision == CACHE_DECISION_HIT:
                outputs = self._reads.entry_outputs(answer.entry, expected)
                if outputs is None:
                    # The entry's objects vanished from the store: recompute and repair it.
                    repairs.append(run)
                else:
                    self._hit(run, answer.entry, outputs)
                    done.append(run)
            elif decision == CACHE_DECISION_RUN:
                run.cache_status = pb.CACHE_STATUS_MISS
                run.waits = 0
                run.status = Status.PENDING
                self._submit(run)
                done.append(run)
            elif decision == CACHE_DECISION_WAIT:
                waiting.append(run)
            else:
                self._failed_unrun(run, "CacheError", "the cache did not answer for this node")
        # Repairs and waits first: they hold their nodes, which may be downstream of a hit.
        if repairs:
            self._ask(repairs, overwrite=True)
        if waiting:
            self._ask_later(waiting, overwrite)
        self._advance([down for run in done for down in run.downstream])
        return self._done()

    def signalled(self, node_id: str, signal: Signal) -> list[Action]:
        """A gate's signal was set."""
        run = self._runs[node_id]
        if run.status != Status.RUNNING or not signal.HasField("value"):
            return self._done()
        self._awaiting.discard(("gate", run.id))
        self._actions.append(StopWaiting(run.id))
        gate = run.node.gate_node
        if gate.WhichOneof("condition") == "approve":
            if not signal.value.primitive.boolean:
                who = f" by {signal.set_by}" if signal.set_by else ""
                self._settle_failed(
                    run, _error(pb.ERROR_KIND_USER, "Rejected", f"approval rejected{who}", run.id)
                )
                return self._done()
            outputs = LiteralMap(literals={"o0": self._inputs_of(run).literals["value"]})
            self._succeed(run, outputs, producer=False)
        else:
            self._succeed(run, LiteralMap(literals={"o0": signal.value}), producer=True)
        return self._done()

    def child_moved(
        self, node_id: str, execution: pb.Execution, outputs: LiteralMap | None
    ) -> list[Action]:
        """A launch-plan node's child execution started or ended (``outputs`` once it
        succeeded)."""
        run = self._runs[node_id]
        if run.status != Status.RUNNING:
            return self._done()
        if run.child is None and execution.HasField("id"):
            run.child = execution.id
            self._emit(run, pb.NODE_PHASE_RUNNING)
        phase = execution.closure.phase
        if phase == pb.EXECUTION_PHASE_SUCCEEDED and outputs is not None:
            self._awaiting.discard(("child", run.id))
            self._actions.append(StopWaiting(run.id))
            self._succeed(run, outputs, producer=False)
        elif phase in (
            pb.EXECUTION_PHASE_FAILED,
            pb.EXECUTION_PHASE_TERMINATED,
            pb.EXECUTION_PHASE_TIMED_OUT,
        ):
            self._awaiting.discard(("child", run.id))
            self._actions.append(StopWaiting(run.id))
            cause = execution.closure.error
            name = execution.id.name
            error = _error(
                cause.kind or pb.ERROR_KIND_USER,
                cause.type or "ChildExecutionFailed",
                f"child execution {name} ended {pb.ExecutionPhase.Name(phase)}: {cause.message}",
                run.id,
                cause.traceback,
            )
            self._settle_failed(run, error)
        return self._done()

    def terminate(self) -> list[Action]:
        error = pb.ExecutionError(
            kind=pb.ERROR_KIND_TERMINATED, message="the execution was terminated"
        )
        for run in self._runs.values():
            if run.status in (Status.RUNNING, Status.RETRY_WAIT):
                self._emit(run, pb.NODE_PHASE_TERMINATED, error=error)
            self._stop(run, Status.TERMINATED)
        self._end(pb.EXECUTION_PHASE_TERMINATED)
        return self._done()

    def lease_lost(self) -> list[Action]:
        """Stop without reporting anything more: another agent owns the execution now."""
        for run in self._runs.values():
            self._stop(run, Status.TERMINATED)
        self._end(pb.EXECUTION_PHASE_UNSPECIFIED)
        return self._done()

    # --- preparation and resumption -------------------------------------------------------

    def _prepare(self) -> None:
        workflow = self._claim.workflow
        inputs_uri = self._claim.execution.spec.inputs_uri
        if inputs_uri:
            self._workflow_inputs = dict(self._reads.outputs(inputs_uri).literals)
        for variable in workflow.spec.template.interface.inputs:
            if variable.name not in self._workflow_inputs and variable.HasField("default"):
                self._workflow_inputs[variable.name] = variable.default
        for graph_node in self._graph:
            self._runs[graph_node.id] = self._new_run(graph_node.id)
        for run in self._runs.values():
            run.upstream = [self._runs[up] for up in run.graph.upstream]
            run.downstream = [self._runs[down] for down in run.graph.downstream]
        for run in list(self._runs.values()):
            self._restore(run)
        for run in list(self._runs.values()):
            if run.status in FAILED and run.id not in self._cleanup and self._failure is None:
                # An earlier walk saw the workflow fail: this one only finishes the job.
                assert run.error is not None
                self._failure = run.error
            if run.status in FAILED | {Status.SKIPPED}:
                self._skip_downstream(run)
        if self._failure is not None and not self._after_all:
            self._halt()

    def _new_run(self, node_id: str) -> NodeRun:
        graph_node = self._graph[node_id]
        run = NodeRun(graph_node, enabled=graph_node.enabled)
        if graph_node.kind in (Kind.TASK, Kind.MAP):
            run.cached = graph_node.kind is Kind.TASK and is_cached(run.task)
            if run.cached and not self._has_cache:
                raise ValueError(f"node {node_id!r} is cached, and this walk has no cache")
            interface = run.task.spec.template.interface
            run.defaults = defaults_of(interface.inputs).SerializeToString(deterministic=True)
        self._prepare_bindings(run)
        return run

    def _prepare_bindings(self, run: NodeRun) -> None:
        names: dict[str, None] = {}
        for binding in run.node.inputs:
            names.update(dict.fromkeys(named_inputs(binding.binding)))
        missing = [name for name in names if name not in self._workflow_inputs]
        if missing:
            raise BindingError(f"node {run.id!r} needs the missing input {missing[0]!r}")
        run.bindings = Node(inputs=run.node.inputs).SerializeToString(deterministic=True)
        run.workflow_inputs = LiteralMap(
            literals={name: self._workflow_inputs[name] for name in names}
        ).SerializeToString(deterministic=True)

    def _restore(self, run: NodeRun) -> None:
        """Take up what earlier walks of this execution recorded about the node."""
        record = self._recorded.get(run.id)
        if record is not None:
            run.attempt = max((a.attempt for a in record.attempts), default=0)
            run.failures = sum(
                1
                for a in record.attempts
                if a.phase in (pb.NODE_PHASE_FAILED, pb.NODE_PHASE_TIMED_OUT)
                and a.error.type != AGENT_LOST
            )
            if record.HasField("child_execution_id"):
                run.child = record.child_execution_id
        if record is not None and record.phase in RECORDED:
            run.status = RECORDED[record.phase]
            run.outputs_uri = record.outputs_uri
            run.cache_status = record.cache_status
            run.output_hashes = dict(record.output_hashes)
            if run.status in FAILED:
                run.error = record.error
            return
        committed = self._reads.committed(run.id)
        if committed is not None:
            self._adopt(run, committed.outputs, committed.uri, committed.records)
        elif (
            record is not None
            and run.kind is Kind.TASK
            and record.attempts
            and record.attempts[-1].phase == pb.NODE_PHASE_RUNNING
        ):
            # The attempt a dead agent was running ended; it costs no retry.
            error = _error(
                pb.ERROR_KIND_SYSTEM,
                AGENT_LOST,
                "the agent running this attempt stopped; the node runs again",
            )
            self._emit(run, pb.NODE_PHASE_RETRYING, error=error)
        if record is not None and record.HasField("started_at"):
            run.since = record.started_at.ToNanoseconds() / 1e9

    def _adopt(
        self, run: NodeRun, outputs: LiteralMap, uri: str, records: list[LineageRecord]
    ) -> None:
        """Report a node whose outputs were committed but whose success never was."""
        run.attempt = max(run.attempt, 1)
        run.status = Status.SUCCEEDED
        run.outputs_uri = uri
        run.outputs = outputs
        if run.cached:
            # Its inputs are on record, so its key is what the dead agent reserved.
            run.make_key(self._reads.inputs(run.id))
            run.cache_status = RAN_CACHED[self._overwrite]
        self._emit(run, pb.NODE_PHASE_SUCCEEDED, outputs_uri=uri, lineage=records)

    # --- scheduling -----------------------------------------------------------------------

    def _advance(self, candidates: Iterable[NodeRun]) -> None:
        """Start every candidate that can start, and then whatever can start behind it; ask
        the cache about the cached ones, all in one question."""
        stack = list(reversed(list(candidates)))
        questions: list[NodeRun] = []
        while stack:
            run = stack.pop()
            if run.status != Status.PENDING or not run.enabled or self._halted:
                continue
            if run.kind is not Kind.TASK or run.cached:
                # Its key (or its decision, its lists…) needs its inputs' values.
                if not all(up.status in DONE for up in run.upstream):
                    continue
            elif not all(up.status in DONE or up.in_flight for up in run.upstream):
                continue
            if run.kind is not Kind.TASK:
                self._start(run)
            elif run.cached and run.cache_status != pb.CACHE_STATUS_MISS:
                run.status = Status.ASKING
                questions.append(run)
            else:
                # Not cached, or a retry of a node whose key this execution holds already.
                self._submit(run)
                stack.extend(reversed(run.downstream))
        if questions:
            self._ask(questions, overwrite=self._overwrite)

    def _submit(self, run: NodeRun) -> None:
        request = self._request(run)
        upstream = tuple(
            up.token if up.token is not None else self._outputs_bytes(up) for up in run.upstream
        )
        assert run.token is not None
        resources = run.task.spec.template.metadata.resources
        self._actions.append(Submit(run.token, request, resources, upstream))
        if all(up.status in DONE for up in run.upstream):
            self._started(run)
        else:
            run.status = Status.SUBMITTED

    def _submit_batch(self, runs: list[NodeRun]) -> None:
        """Submit elements of one map (no upstream, no timeout) a few to a Ray task."""
        size = max(1, min(MAX_BATCH, len(runs) // BATCH_TASKS))
        for start in range(0, len(runs), size):
            chunk = runs[start : start + size]
            requests = tuple(self._request(run) for run in chunk)
            tokens = tuple(run.token for run in chunk if run.token is not None)
            resources = chunk[0].task.spec.template.metadata.resources
            self._actions.append(SubmitBatch(tokens, requests, resources))
            for run in chunk:
                self._started(run)

    def _request(self, run: NodeRun) -> NodeRequest:
        """A new attempt of ``run``, as its worker needs it (the walk now awaits it)."""
        run.attempt += 1
        token = next(self._tokens)
        if run.token is not None:
            self._by_token.pop(run.token, None)
        run.token = token
        self._by_token[token] = run
        self._awaiting.add(("attempt", token))
        template = run.task.spec.template
        code = template.code
        return NodeRequest(
            store_url=self._claim.store_url,
            bundle_digest=code.bundle_digest,
            module=code.module,
            function=code.function,
            bindings=run.bindings,
            workflow_inputs=run.workflow_inputs,
            defaults=run.defaults,
            upstream_ids=tuple(up.id for up in run.upstream),
            inputs_key=layout.node_inputs_key(self.execution_id, run.id),
            outputs_key=layout.node_outputs_key(self.execution_id, run.id),
            started_key=(
                layout.attempt_started_key(self.execution_id, run.id, run.attempt)
                if template.metadata.HasField("timeout")
                else ""
            ),
            adopt_committed=run.attempt > 1,
            producer=self._producer(run).SerializeToString(),
        )

    def _started(self, run: NodeRun) -> None:
        """The walk has seen every upstream node succeed: the attempt is running (or about
        to, once Ray finds it a worker)."""
        run.status = Status.RUNNING
        inputs_uri = self._reads.uri(layout.node_inputs_key(self.execution_id, run.id))
        self._emit(run, pb.NODE_PHASE_RUNNING, inputs_uri=inputs_uri)
        timeout = run.task.spec.template.metadata.timeout.ToTimedelta().total_seconds()
        if timeout:
            self._actions.append(Timer(self._clock() + timeout, Deadline(run.id, run.attempt)))
        if run.deferred is not None:
            self._later.append((run, run.deferred))
            run.deferred = None

    def _completed(self, run: NodeRun, outcome: NodeOutcome) -> None:
        assert run.token is not None
        self._awaiting.discard(("attempt", run.token))
        if isinstance(outcome, NodeSuccess):
            self._succeeded(run, outcome)
            return
        if isinstance(outcome, UpstreamFailed):
            # Cannot happen once every upstream node succeeded; treated as a system error.
            outcome = NodeFailure(pb.ERROR_KIND_SYSTEM, "UpstreamFailed", "", "", 0, self._clock())
        error = pb.ExecutionError(
            kind=outcome.kind,
            type=outcome.type,
            message=outcome.message,
            traceback=outcome.traceback,
        )
        self._attempt_failed(run, error, at=outcome.finished_at)

    def _succeeded(self, run: NodeRun, outcome: NodeSuccess) -> None:
        run.status = Status.SUCCEEDED
        run.outputs = LiteralMap.FromString(outcome.outputs)
        run.outputs_uri = outcome.outputs_uri
        if run.cached:
            run.cache_status = RAN_CACHED[self._overwrite]
            self._actions.append(Remember(run.cache_key, output_hashes(run.outputs)))
        self._emit(
            run,
            pb.NODE_PHASE_SUCCEEDED,
            outputs_uri=outcome.outputs_uri,
            at=outcome.finished_at,
            lineage=[LineageRecord.FromString(record) for record in outcome.lineage],
        )
        assert run.token is not None
        self._by_token.pop(run.token, None)
        if not any(down.kind is Kind.TASK and not down.cached for down in run.downstream):
            # Nothing will be pipelined behind it: later attempts take its outputs' bytes.
            self._actions.append(Release(run.token))
            run.token = None
        self._after_success(run)

    def _after_success(self, run: NodeRun) -> None:
        for down in run.downstream:
            if down.status == Status.SUBMITTED and all(up.status in DONE for up in down.upstream):
                self._started(down)
        self._advance(run.downstream)
        self._tell_parent(run)

    def _attempt_failed(
        self, run: NodeRun, error: pb.ExecutionError, *, at: float | None = None
    ) -> None:
        error.node_id = run.id
        run.failures += 1
        run.token = None
        self._withdraw_downstream(run)
        if run.failures <= run.task.spec.template.metadata.retries and not self._halted:
            run.status = Status.RETRY_WAIT
            self._emit(run, pb.NODE_PHASE_RETRYING, error=error, at=at)
            self._awaiting.add(("retry", run.id))
            delay = self._backoff.delay(run.failures)
            self._actions.append(Timer(self._clock() + delay, Retry(run.id, run.failures)))
            return
        self._settle_failed(run, error, at=at)

    def _withdraw_downstream(self, run: NodeRun) -> None:
        """Forget the attempts submitted behind ``run``'s failed one; they never ran."""
        for down in run.downstream:
            if down.status == Status.SUBMITTED and down.token is not None:
                self._awaiting.discard(("attempt", down.token))
                self._by_token.pop(down.token, None)
                down.token = None
                down.deferred = None
                down.attempt -= 1
                down.status = Status.PENDING
                self._withdraw_downstream(down)

    def _check_timeout(self, run: NodeRun, attempt: int) -> None:
        if run.attempt != attempt or run.status != Status.RUNNING or run.token is None:
            return
        timeout = run.task.spec.template.metadata.timeout.ToTimedelta().total_seconds()
        started = self._reads.started_at(run.id, attempt)
        now = self._clock()
        if started is None:
            # Still queued for resources: the clock starts when the attempt runs.
            self._actions.append(
                Timer(now + min(timeout, START_POLL_SECONDS), Deadline(run.id, attempt))
            )
            return
        if now < started + timeout:
            self._actions.append(Timer(started + timeout, Deadline(run.id, attempt)))
            return
        self._actions.append(Cancel(run.token))
        self._awaiting.discard(("attempt", run.token))
        error = _error(
            pb.ERROR_KIND_TIMEOUT,
            "TimeoutError",
            f"attempt {attempt} ran longer than its timeout of {timeout:g} s",
        )
        self._attempt_failed(run, error)

    # --- other kinds ----------------------------------------------------------------------

    def _start(self, run: NodeRun) -> None:
        try:
            inputs = self._inputs_of(run) if run.kind is not Kind.SUBWORKFLOW else None
        except (BindingError, StoreError, ValueError) as error:
            self._failed_unrun(run, type(error).__name__, str(error))
            return
        run.status = Status.RUNNING
        run.attempt = max(run.attempt, 1)
        if run.kind is not Kind.LAUNCH_PLAN or run.child is not None:
            self._emit(run, pb.NODE_PHASE_RUNNING)
        if run.since == 0.0:
            run.since = self._clock()
        if run.kind is Kind.BRANCH:
            self._decide(run)
        elif run.kind is Kind.MAP:
            assert inputs is not None
            self._expand(run, inputs)
        elif run.kind is Kind.SUBWORKFLOW:
            self._tell_parent_children(run)
        elif run.kind is Kind.GATE:
            self._open_gate(run)
        elif run.kind is Kind.LAUNCH_PLAN:
            assert inputs is not None
            request = ChildExecutionRequest(
                parent=NodeExecutionIdentifier(execution_id=self.execution_id, node_id=run.id),
                launch_plan_id=run.node.workflow_node.launch_plan_id,
                inputs=inputs,
            )
            self._awaiting.add(("child", run.id))
            self._actions.append(StartChild(run.id, request))

    def _decide(self, run: NodeRun) -> None:
        """Take the first case whose condition holds; skip the others."""

        def value_of(data: BindingData) -> Literal:
            return resolve(data, self._workflow_inputs, self._outputs_of)

        chosen = run.graph.else_id
        try:
            for condition, case_id in run.graph.cases:
                if evaluate(condition, value_of):
                    chosen = case_id
                    break
        except (ConditionError, BindingError, StoreError) as error:
            self._settle_failed(
                run, _error(pb.ERROR_KIND_USER, type(error).__name__, str(error), run.id)
            )
            return
        run.chosen = chosen
        cases = [case_id for _, case_id in run.graph.cases]
        if run.graph.else_id:
            cases.append(run.graph.else_id)
        for case_id in cases:
            if case_id != chosen:
                for graph_node in self._graph.subtree(case_id):
                    skipped = self._runs[graph_node.id]
                    if not skipped.settled:
                        skipped.status = Status.SKIPPED
                        self._emit(skipped, pb.NODE_PHASE_SKIPPED)
        if not chosen:
            if run.graph.else_fail is not None:
                self._settle_failed(
                    run, _error(pb.ERROR_KIND_USER, "BranchFailed", run.graph.else_fail, run.id)
                )
            else:
                self._succeed(run, LiteralMap(), producer=False)
            return
        case = self._runs[chosen]
        if case.settled:
            self._child_settled(run, case)
            return
        subtree = [self._runs[g.id] for g in self._graph.subtree(chosen)]
        for inner in subtree:
            inner.enabled = True
        self._advance(subtree)

    def _expand(self, run: NodeRun, inputs: LiteralMap) -> None:
        array = run.node.array_node
        lists = {}
        for name in array.mapped_inputs:
            value = inputs.literals[name]
            if value.WhichOneof("value") != "collection":
                self._failed_unrun(run, "TypeError", f"mapped input {name!r} is not a list")
                return
            lists[name] = list(value.collection.literals)
        lengths = {len(items) for items in lists.values()}
        if len(lengths) > 1:
            sizes = ", ".join(f"{name}: {len(items)}" for name, items in lists.items())
            self._settle_failed(
                run,
                _error(
                    pb.ERROR_KIND_USER,
                    "ValueError",
                    f"the mapped lists differ in length ({sizes})",
                    run.id,
                ),
            )
            return
        count = lengths.pop() if lengths else 0
        elements = []
        for index in range(count):
            element_inputs = dict(inputs.literals)
            for name, items in lists.items():
                element_inputs[name] = _top_level(items[index])
            graph_node = self._graph.element(run.id, index, element_inputs)
            element = self._new_run(graph_node.id)
            self._runs[element.id] = element
            self._restore(element)
            elements.append(element)
        run.progress = MapProgress(
            elements,
            settled=sum(e.settled for e in elements),
            failed=sum(e.settled and e.status not in DONE for e in elements),
        )
        if self._doomed(run):
            return
        self._release_elements(run)
        if run.progress.settled == len(elements):
            self._finish_map(run)

    def _release_elements(self, run: NodeRun) -> None:
        progress = run.progress
        assert progress is not None
        limit = run.node.array_node.concurrency or len(progress.elements)
        released = []
        while progress.active < limit and progress.released < len(progress.elements):
            element = progress.elements[progress.released]
            progress.released += 1
            if element.settled:
                continue
            progress.active += 1
            released.append(element)
        template = run.task.spec.template
        if released and not released[0].cached and not template.metadata.HasField("timeout"):
            self._submit_batch([e for e in released if e.status == Status.PENDING])
        self._advance(released)

    def _finish_map(self, run: NodeRun) -> None:
        progress = run.progress
        assert progress is not None
        if run.settled:
            return
        elements = progress.elements
        succeeded = [e for e in elements if e.status in DONE]
        needed = self._needed(run)
        if len(succeeded) < needed:
            failed = [e for e in elements if e.status in FAILED]
            first = failed[0].error or pb.ExecutionError()
            message = (
                f"{len(failed)} of {len(elements)} elements failed "
                f"({len(succeeded)} succeeded, {needed} needed); first: element "
                f"{failed[0].id}: {first.type}: {first.message}"
            )
            error = _error(
                first.kind or pb.ERROR_KIND_USER, first.type, message, run.id, first.traceback
            )
            self._settle_failed(run, error)
            return
        try:
            outputs = LiteralMap()
            for variable in run.task.spec.template.interface.outputs:
                items = [
                    self._outputs_of(e.id).literals[variable.name] if e.status in DONE else _NONE
                    for e in elements
                ]
                outputs.literals[variable.name].CopyFrom(collection_literal(items))
        except (BindingError, StoreError, KeyError) as error:
            self._failed_unrun(run, type(error).__name__, str(error))
            return
        self._succeed(run, outputs, producer=True)

    def _doomed(self, run: NodeRun) -> bool:
        """Fail the map now if its ratio can no longer be met: nothing more of it runs."""
        progress = run.progress
        assert progress is not None
        if progress.failed <= len(progress.elements) - self._needed(run):
            return False
        error = pb.ExecutionError(
            kind=pb.ERROR_KIND_TERMINATED, message=f"stopped: the map {run.id} failed"
        )
        for element in progress.elements:
            self._abandon(element, error)
        self._finish_map(run)
        return True

    def _needed(self, run: NodeRun) -> int:
        """How many of a map's elements must succeed."""
        count = len(run.progress.elements) if run.progress is not None else 0
        array = run.node.array_node
        if not array.HasField("min_success_ratio"):
            return count
        return math.ceil(array.min_success_ratio * count - 1e-9)

    def _open_gate(self, run: NodeRun) -> None:
        gate = run.node.gate_node
        condition = gate.WhichOneof("condition")
        if condition == "sleep":
            self._awaiting.add(("gate", run.id))
            self._actions.append(
                Timer(run.since + gate.sleep.ToTimedelta().total_seconds(), Wake(run.id))
            )
            return
        if condition == "signal":
            signal_id, signal_type = gate.signal.signal_id, gate.signal.type
        else:
            signal_id, signal_type = gate.approve.signal_id, _BOOL
        wait = SignalWait(
            id=SignalIdentifier(execution_id=self.execution_id, signal_id=signal_id),
            type=signal_type,
            node_id=run.id,
        )
        timeout = gate.timeout.ToTimedelta().total_seconds()
        if timeout:
            wait.deadline.CopyFrom(timestamp(run.since + timeout))
            self._actions.append(Timer(run.since + timeout, Wake(run.id)))
        self._awaiting.add(("gate", run.id))
        self._actions.append(WaitSignal(run.id, wait))

    def _woken(self, run: NodeRun) -> None:
        if run.status != Status.RUNNING or ("gate", run.id) not in self._awaiting:
            return
        self._awaiting.discard(("gate", run.id))
        gate = run.node.gate_node
        if gate.WhichOneof("condition") == "sleep":
            self._succeed(run, LiteralMap(), producer=False)
            return
        self._actions.append(StopWaiting(run.id))
        name = gate.signal.signal_id or gate.approve.signal_id
        timeout = gate.timeout.ToTimedelta().total_seconds()
        error = _error(
            pb.ERROR_KIND_TIMEOUT,
            "TimeoutError",
            f"no value was given for {name!r} within its timeout of {timeout:g} s",
            run.id,
        )
        self._settle_failed(run, error, status=Status.TIMED_OUT)

    # --- parents and children -------------------------------------------------------------

    def _tell_parent(self, run: NodeRun) -> None:
        if run.graph.parent:
            self._child_settled(self._runs[run.graph.parent], run)

    def _child_settled(self, parent: NodeRun, child: NodeRun) -> None:
        if parent.settled or parent.status != Status.RUNNING:
            return
        if parent.kind is Kind.BRANCH:
            if child.id != parent.chosen:
                return
            if child.status in DONE:
                self._succeed(parent, self._outputs_of(child.id), producer=False)
            elif child.status in FAILED:
                assert child.error is not None
                self._settle_failed(parent, child.error, propagated=True)
            else:
                self._skip(parent)
        elif parent.kind is Kind.MAP:
            assert parent.progress is not None
            progress = parent.progress
            progress.active -= 1
            progress.settled += 1
            progress.failed += child.status not in DONE
            if self._doomed(parent):
                return
            self._release_elements(parent)
            if progress.settled == len(progress.elements):
                self._finish_map(parent)
        elif parent.kind is Kind.SUBWORKFLOW:
            if child.status in FAILED and not self._after_all:
                assert child.error is not None
                self._settle_failed(parent, child.error, propagated=True)
            else:
                self._tell_parent_children(parent)

    def _tell_parent_children(self, sub: NodeRun) -> None:
        """Settle a subworkflow node once its inner nodes have."""
        children = [self._runs[child] for child in sub.graph.children]
        if not all(child.settled for child in children):
            return
        failed = [child for child in children if child.status in FAILED]
        if failed:
            assert failed[0].error is not None
            self._settle_failed(sub, failed[0].error, propagated=True)
        elif any(child.status not in DONE for child in children):
            self._skip(sub)
        else:
            try:
                outputs = resolve_all(sub.graph.outputs, self._workflow_inputs, self._outputs_of)
            except (BindingError, StoreError) as error:
                self._failed_unrun(sub, type(error).__name__, str(error))
                return
            self._succeed(sub, outputs, producer=False)

    # --- settling -------------------------------------------------------------------------

    def _succeed(self, run: NodeRun, outputs: LiteralMap, *, producer: bool) -> None:
        """Settle a node no worker ran (its outputs are the walk's): record, then report."""
        run.status = Status.SUCCEEDED
        run.outputs = outputs
        run.attempt = max(run.attempt, 1)
        key = layout.node_outputs_key(self.execution_id, run.id)
        run.outputs_uri = self._reads.uri(key)
        # Its inputs (a map's lists, a launch plan's, a subworkflow's, an approved value) are
        # recorded like a task's, for GetNodeExecutionData.
        inputs = self._inputs_of(run) if run.node.inputs else None
        inputs_key = layout.node_inputs_key(self.execution_id, run.id)
        event = self._node_event(
            run,
            pb.NODE_PHASE_SUCCEEDED,
            outputs_uri=run.outputs_uri,
            inputs_uri=self._reads.uri(inputs_key) if inputs is not None else "",
        )
        consumed = None
        if producer:
            consumed = LiteralMap()
            if run.kind is Kind.MAP and inputs is not None:
                consumed = self._map_consumed(run, inputs)
        self._actions.append(
            Record(
                run.id,
                event,
                outputs,
                self._output_types(run, outputs),
                producer=self._producer(run) if producer else None,
                consumed=consumed,
                inputs=inputs,
                inputs_key=inputs_key,
            )
        )
        self._after_success(run)

    def _map_consumed(self, run: NodeRun, inputs: LiteralMap) -> LiteralMap:
        """What a map's lists are made of, for their lineage: the map's own inputs and each
        element's outputs (``[i].name``), so a walk up from a list reaches every element."""
        consumed = LiteralMap()
        consumed.CopyFrom(inputs)
        assert run.progress is not None
        for index, element in enumerate(run.progress.elements):
            if element.status in DONE:
                for name, literal in self._outputs_of(element.id).literals.items():
                    consumed.literals[f"[{index}].{name}"].CopyFrom(literal)
        return consumed

    def _output_types(self, run: NodeRun, outputs: LiteralMap) -> dict[str, LiteralType]:
        if run.kind is Kind.MAP:
            element_types = {v.name: v.type for v in run.task.spec.template.interface.outputs}
            return {
                name: LiteralType(collection_type=element_types[name]) for name in outputs.literals
            }
        if run.kind is Kind.GATE and run.node.gate_node.HasField("signal"):
            return {"o0": run.node.gate_node.signal.type}
        return {}

    def _settle_failed(
        self,
        run: NodeRun,
        error: pb.ExecutionError,
        *,
        at: float | None = None,
        status: Status | None = None,
        propagated: bool = False,
    ) -> None:
        """The node failed for good."""
        if not propagated:
            error.node_id = error.node_id or run.id
        run.status = status or (
            Status.TIMED_OUT if error.kind == pb.ERROR_KIND_TIMEOUT else Status.FAILED
        )
        run.error = error
        self._emit(run, PHASES[run.status], error=error, at=at)
        self._skip_downstream(run)
        parent = self._runs[run.graph.parent] if run.graph.parent else None
        if parent is not None and parent.kind is Kind.MAP:
            self._child_settled(parent, run)
            return
        if run.id in self._cleanup:
            if parent is not None:
                self._child_settled(parent, run)
            return
        if self._failure is None:
            self._failure = error
        # The nodes it is nested in fail with it before anything else is stopped.
        if parent is not None:
            self._child_settled(parent, run)
        if not self._after_all:
            self._halt()

    def _failed_unrun(self, run: NodeRun, error_type: str, message: str) -> None:
        """Fail a node that could not even start; no retry would help."""
        self._settle_failed(run, _error(pb.ERROR_KIND_SYSTEM, error_type, message, run.id))

    def _skip(self, run: NodeRun) -> None:
        run.status = Status.SKIPPED
        self._emit(run, pb.NODE_PHASE_SKIPPED)
        self._skip_downstream(run)
        self._tell_parent(run)

    def _skip_downstream(self, run: NodeRun) -> None:
        for down in run.downstream:
            if down.status == Status.PENDING:
                self._skip(down)

    def _halt(self) -> None:
        """Fail immediately: nothing new starts, and what runs is stopped."""
        if self._halted:
            return
        self._halted = True
        error = pb.ExecutionError(
            kind=pb.ERROR_KIND_TERMINATED,
            message=f"stopped: node {self._failure.node_id if self._failure else '?'} failed",
        )
        for run in self._runs.values():
            if run.id not in self._cleanup and run.enabled:
                self._abandon(run, error)

    def _abandon(self, run: NodeRun, error: pb.ExecutionError) -> None:
        """Stop a node that has not settled: TERMINATED if it started, else SKIPPED."""
        if run.status in (Status.RUNNING, Status.RETRY_WAIT, Status.SUBMITTED):
            if run.status != Status.SUBMITTED:
                self._emit(run, pb.NODE_PHASE_TERMINATED, error=error)
            self._stop(run, Status.TERMINATED)
        elif run.status in (Status.PENDING, Status.ASKING):
            run.status = Status.SKIPPED
            self._emit(run, pb.NODE_PHASE_SKIPPED)

    def _stop(self, run: NodeRun, status: Status) -> None:
        """Give up whatever the node waits for."""
        if run.in_flight:
            assert run.token is not None
            self._actions.append(Cancel(run.token))
            self._awaiting.discard(("attempt", run.token))
        for wait in ("retry", "gate", "child"):
            if (wait, run.id) in self._awaiting:
                self._awaiting.discard((wait, run.id))
                if wait != "retry":
                    self._actions.append(StopWaiting(run.id))
        if not run.settled:
            run.status = status

    # --- the cache ------------------------------------------------------------------------

    def _ask(self, runs: list[NodeRun], overwrite: bool) -> None:
        """One ReserveCache question about every run (and, unless it overwrites, about the
        cached nodes downstream whose keys can be told already)."""
        asked = []
        for run in runs:
            try:
                if run.components is None:
                    run.make_key(run.resolve(self._workflow_inputs, self._outputs_of))
            except (BindingError, StoreError, ValueError) as error:
                self._failed_unrun(run, type(error).__name__, str(error))
                continue
            run.status = Status.ASKING
            asked.append(run)
        if not asked:
            return
        if not overwrite:
            # An overwrite reserves every key it names: it must name no guessed one.
            asked += guess_downstream(
                asked, self._workflow_inputs, self._outputs_of, self._reads.foresee
            )
        question = next(self._questions)
        self._asked[question] = (tuple(asked), overwrite)
        self._awaiting.add(("ask", question))
        request = ReserveCacheRequest(
            execution_id=self.execution_id,
            requests=[
                CacheRequest(node_id=run.id, key=run.cache_key, components=run.components)
                for run in asked
            ],
            overwrite=overwrite,
        )
        self._actions.append(Ask(question, request))

    def _cache_failed(self, runs: tuple[NodeRun, ...], overwrite: bool, error: object) -> None:
        asked = []
        for run in runs:
            if run.status != Status.ASKING:
                continue
            run.expected = None
            if run.assumed is None:
                asked.append(run)
            else:
                run.forget_key()
                run.status = Status.PENDING
        code = getattr(error, "code", lambda: None)()
        if code in TRANSIENT:
            self._ask_later(asked, overwrite)
            return
        details = getattr(error, "details", lambda: str(error))()
        for run in asked:
            self._failed_unrun(run, "CacheError", f"the cache refused: {code} {details}")
        # Nodes asked on a guess go back to waiting for their upstream nodes.
        self._advance([run for run in runs if run.status == Status.PENDING])

    def _ask_later(self, runs: list[NodeRun], overwrite: bool) -> None:
        for run in runs:
            run.waits += 1
        payload = AskAgain(tuple(run.id for run in runs), overwrite)
        self._awaiting.add(("later", payload))
        delay = CACHE_BACKOFF.delay(max(run.waits for run in runs))
        self._actions.append(Timer(self._clock() + delay, payload))

    def _hit(self, run: NodeRun, entry: CacheEntry, outputs: LiteralMap) -> None:
        """Succeed with a cache entry's outputs: no Ray task, its lineage written behind."""
        assert run.inputs is not None
        source = entry.source
        self._actions.append(Remember(run.cache_key, dict(entry.outputs)))
        run.status = Status.SUCCEEDED
        run.outputs = outputs
        run.cache_status = pb.CACHE_STATUS_HIT
        producer = self._producer(run)
        producer.cache_source.CopyFrom(source)
        # Equal keys hold equal inputs unless some are ignored: then the source's recorded
        # inputs are this node's too, and a hit writes nothing but its lineage.
        shared = not run.task.spec.template.metadata.cache.ignore_inputs
        inputs_key = layout.node_inputs_key(
            source.execution_id if shared else self.execution_id,
            source.node_id if shared else run.id,
        )
        event = self._node_event(
            run,
            pb.NODE_PHASE_SUCCEEDED,
            inputs_uri=self._reads.uri(inputs_key),
            source_execution_id=source.execution_id,
        )
        types = {v.name: v.type for v in run.task.spec.template.interface.outputs}
        self._actions.append(
            Record(
                run.id,
                event,
                outputs,
                types,
                producer=producer,
                consumed=run.inputs,
                inputs=None if shared else run.inputs,
                inputs_key=inputs_key,
                values=False,
                commit=False,
                background=True,
            )
        )
        self._after_success(run)

    # --- values ---------------------------------------------------------------------------

    def _inputs_of(self, run: NodeRun) -> LiteralMap:
        return run.resolve(self._workflow_inputs, self._outputs_of)

    def _outputs_of(self, node_id: str) -> LiteralMap:
        run = self._runs[node_id]
        if run.outputs is None:
            run.outputs = self._recorded_outputs(run)
        return run.outputs

    def _outputs_bytes(self, run: NodeRun) -> bytes:
        return self._outputs_of(run.id).SerializeToString(deterministic=True)

    def _recorded_outputs(self, run: NodeRun) -> LiteralMap:
        """The outputs of a node that succeeded before this walk."""
        if run.outputs_uri:
            return self._reads.outputs(run.outputs_uri)
        if run.cache_status == pb.CACHE_STATUS_HIT:
            # A hit has no outputs of its own: they are its cache entry's artifacts.
            return self._reads.artifacts(run.output_hashes)
        raise BindingError(f"node {run.id!r} has no outputs")

    def _producer(self, run: NodeRun) -> LineageRecord:
        """The part of the node's lineage records the walk knows."""
        record = LineageRecord(
            execution_id=self.execution_id,
            workflow_id=self._claim.workflow.id,
            node_id=run.id,
            attempt=max(run.attempt, 1),
            cache_key=run.cache_key,
        )
        if run.graph.task is not None:
            record.task_id.CopyFrom(run.task.id)
            record.code_digest = run.task.spec.template.code.code_digest
        return record

    # --- endings --------------------------------------------------------------------------

    def _done(self) -> list[Action]:
        """Take up deferred completions, then end the walk if nothing is left to wait for."""
        while self._later:
            run, outcome = self._later.popleft()
            if run.in_flight and run.status == Status.RUNNING:
                self._completed(run, outcome)
        if self.phase is None and not self._awaiting:
            if self._failure is not None and self._start_failure_node():
                return self._done()
            self._finish()
        actions, self._actions = self._actions, []
        return actions

    def _start_failure_node(self) -> bool:
        """Run the failure node once, with the workflow's error; whether it started."""
        failure_id = self._graph.failure
        if failure_id is None or self._failure_node_started:
            return False
        self._failure_node_started = True
        assert self._failure is not None
        error = self._failure
        literal = to_literal(
            WorkflowError(
                node_id=error.node_id,
                kind=pb.ErrorKind.Name(error.kind).removeprefix("ERROR_KIND_"),
                type=error.type,
                message=error.message,
                traceback=error.traceback,
            ),
            WorkflowError,
        )
        self._halted = False
        subtree = [self._runs[g.id] for g in self._graph.subtree(failure_id)]
        for run in subtree:
            run.enabled = True
            _substitute_error(run.node, literal)
            self._prepare_bindings(run)
        self._advance(subtree)
        return True

    def _finish(self) -> None:
        if self._failure is not None:
            phase = (
                pb.EXECUTION_PHASE_TIMED_OUT
                if self._failure.kind == pb.ERROR_KIND_TIMEOUT
                else pb.EXECUTION_PHASE_FAILED
            )
            self._end(phase, self._failure)
            return
        try:
            outputs = resolve_all(
                self._claim.workflow.spec.template.outputs, self._workflow_inputs, self._outputs_of
            )
        except (BindingError, StoreError) as error:
            failure = _error(pb.ERROR_KIND_SYSTEM, type(error).__name__, str(error))
            self._end(pb.EXECUTION_PHASE_FAILED, failure)
            return
        self._end(pb.EXECUTION_PHASE_SUCCEEDED, outputs=outputs)

    def _end(
        self,
        phase: pb.ExecutionPhase,
        error: pb.ExecutionError | None = None,
        outputs: LiteralMap | None = None,
    ) -> None:
        self.phase = phase
        self._awaiting.clear()
        self._actions.append(Finish(phase, error, outputs))

    # --- events ---------------------------------------------------------------------------

    def _emit_execution(self, phase: pb.ExecutionPhase) -> None:
        event = pb.ExecutionEvent(
            id=self.execution_id, phase=phase, occurred_at=timestamp(self._clock())
        )
        self._actions.append(Emit(pb.Event(execution=event)))

    def _emit(self, run: NodeRun, phase: pb.NodePhase, **fields: Unpack[NodeEventFields]) -> None:
        self._actions.append(Emit(pb.Event(node=self._node_event(run, phase, **fields))))

    def _node_event(
        self, run: NodeRun, phase: pb.NodePhase, **fields: Unpack[NodeEventFields]
    ) -> pb.NodeEvent:
        at = fields.get("at")
        return pb.NodeEvent(
            id=NodeExecutionIdentifier(execution_id=self.execution_id, node_id=run.id),
            task_id=run.graph.task.id if run.graph.task is not None else None,
            phase=phase,
            attempt=run.attempt,
            occurred_at=timestamp(at if at is not None else self._clock()),
            error=fields.get("error"),
            inputs_uri=fields.get("inputs_uri", ""),
            outputs_uri=fields.get("outputs_uri", ""),
            cache_status=run.cache_status,
            cache_key=run.cache_key,
            cache_key_components=run.components,
            source_execution_id=fields.get("source_execution_id"),
            lineage=fields.get("lineage"),
            parent_node_id=run.graph.parent,
            child_execution_id=run.child,
        )


class NodeEventFields(TypedDict, total=False):
    """What a node event may say beyond what its run knows (phase, attempt, cache key)."""

    error: pb.ExecutionError | None
    inputs_uri: str
    outputs_uri: str
    # When it happened, if not now (a worker's own finish time).
    at: float | None
    lineage: list[LineageRecord] | None
    source_execution_id: ExecutionIdentifier | None


def _error(
    kind: pb.ErrorKind, error_type: str, message: str, node_id: str = "", traceback: str = ""
) -> pb.ExecutionError:
    return pb.ExecutionError(
        kind=kind, type=error_type, message=message, node_id=node_id, traceback=traceback
    )


def _top_level(item: Literal) -> Literal:
    """A list item as a value of its own (nested literals carry no hash)."""
    value = Literal()
    value.CopyFrom(item)
    return sealed(value)


def _substitute_error(node: Node, error: Literal) -> None:
    """Bind the failure node's ``workflow_error`` inputs to the workflow's error."""

    def walk(data: BindingData) -> None:
        kind = data.WhichOneof("value")
        if kind == "workflow_error":
            data.literal.CopyFrom(error)
        elif kind == "collection":
            for item in data.collection.bindings:
                walk(item)
        elif kind == "map":
            for item in data.map.bindings.values():
                walk(item)

    for binding in node.inputs:
        walk(binding.binding)
