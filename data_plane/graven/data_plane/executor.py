"""The walk of one execution's graph on Ray.

One thread per execution submits nodes and then sleeps on an inbox. Ray completions (future
callbacks), a user's terminate and the loss of the lease all arrive there, and timers (retry
backoff, attempt timeouts) bound the sleep, so the walk reacts at once to whatever happens
first and costs nothing while it waits.

A node is submitted as soon as each of its upstream nodes has either succeeded or been
submitted itself: the upstream attempts' object refs are passed as arguments, so Ray starts
the node the moment they finish, with no round trip through this thread (which, in the
embedded stack, shares its process with the control plane). The walk still sees every
attempt: a node is reported RUNNING once its upstream nodes are seen to succeed, and that is
when its timeout starts to count (from the moment the worker really starts, if it has to
wait for resources). If an upstream attempt fails, the nodes submitted behind it find out in
their worker and return without running; the walk withdraws them and submits them again
behind the retry, or skips them.

Exactly once: a worker writes a node's outputs to a key fixed by the execution and node ids
before it returns. A walk that resumes an execution adopts those outputs for any node whose
success was never reported, and a retry adopts them instead of running again.

A cached node (its task has a cache policy) is not pipelined: its key holds the content hash
of its inputs, so it waits for its upstream nodes to succeed. The walk then asks the control
plane's cache about every cached node that became ready at once, in one ReserveCache call:
a HIT whose objects are all still in the store succeeds on the spot, with no Ray task, its
outputs read from the artifacts; a hit whose objects vanished is asked again as an overwrite,
which reserves the key, and runs (a miss that repairs the entry); RUN means the key is this
node's until it settles, and it runs like any other; WAIT (another execution is computing the
key) asks again after a backoff. The walk also asks ahead: where the agent remembers what a
key's hits give (cache_reservations), the keys of the cached nodes below follow at once and
go in the same call; such an answer stands only if the hits it assumed come true, else the
node is asked again once its upstream nodes really succeed. The lineage records of a hit are
written in the background (store_writes), so a chain the cache holds costs one round trip
and no store write on the walk's critical path.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypedDict, Unpack

import grpc
import ray

from graven.artifacts import read_artifact
from graven.blobs import StoreBlobs
from graven.data_plane.bindings import (
    BindingError,
    defaults_of,
    named_inputs,
    promised_nodes,
    resolve_all,
)
from graven.data_plane.cache_hits import entry_outputs, output_hashes
from graven.data_plane.cache_keys import is_cached
from graven.data_plane.cache_reservations import CacheService
from graven.data_plane.events import TRANSIENT, EventSink, timestamp
from graven.data_plane.key_guesses import came_true, guess_downstream
from graven.data_plane.lineage_records import committed_records, output_records, put_record
from graven.data_plane.outcomes import (
    NodeFailure,
    NodeOutcome,
    NodeRequest,
    NodeSuccess,
    UpstreamFailed,
)
from graven.data_plane.store_writes import BackgroundWrites
from graven.data_plane.walk_nodes import (
    DONE,
    FAILED,
    SETTLED,
    Backoff,
    CacheAnswers,
    Completion,
    Message,
    NodeRun,
    Signal,
)
from graven.data_plane.worker import remote_for
from graven.store import ObjectStore, StoreError, layout
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import (
    CACHE_DECISION_HIT,
    CACHE_DECISION_RUN,
    CACHE_DECISION_WAIT,
    CacheRequest,
    ClaimExecutionResponse,
    ReserveCacheRequest,
)
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.workflow_pb2 import Node

log = logging.getLogger(__name__)

# How often a timed attempt that has not started yet (waiting for resources) is looked at.
START_POLL_SECONDS = 0.5
# The error type of an attempt its agent did not live to finish; it costs no retry.
AGENT_LOST = "AgentLost"
# The status a cached node that succeeded by running leaves its entry in.
RAN_CACHED = {False: pb.CACHE_STATUS_POPULATED, True: pb.CACHE_STATUS_OVERWRITTEN}
# Between questions about a key another execution is computing, or after the cache failed.
CACHE_BACKOFF = Backoff(base=0.05, cap=2.0)


class Executor:
    def __init__(
        self,
        claim: ClaimExecutionResponse,
        store: ObjectStore,
        events: EventSink,
        *,
        cache: CacheService | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.execution_id = claim.execution.id
        self._claim = claim
        self._store = store
        self._blobs = StoreBlobs(store)
        self._events = events
        self._cache = cache
        self._overwrite = claim.execution.spec.overwrite_cache
        self._backoff = backoff or Backoff()
        self._writes = BackgroundWrites()
        self._inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._workflow_inputs: dict[str, Literal] = {}
        self._runs: dict[str, NodeRun] = {}
        # Attempts in flight plus retries waiting for their backoff: the walk ends at zero.
        self._pending = 0

    # Thread-safe entry points for the agent.

    def terminate(self) -> None:
        self._inbox.put(Signal.TERMINATE)

    def abandon(self) -> None:
        """Stop working on the execution without reporting anything more (lease lost)."""
        self._inbox.put(Signal.ABANDON)

    # The walk.

    def run(self) -> pb.ExecutionPhase:
        """Walk the execution to its end; the phase it ended in (UNSPECIFIED if abandoned)."""
        self._emit_execution(pb.EXECUTION_PHASE_RUNNING)
        try:
            self._prepare()
        except (StoreError, BindingError, KeyError, ValueError) as error:
            log.exception("execution %s cannot start", self.execution_id.name)
            failure = pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM, type=type(error).__name__, message=str(error)
            )
            return self._emit_execution(pb.EXECUTION_PHASE_FAILED, error=failure)
        self._submit_ready(list(self._runs.values()))
        while self._pending:
            message = self._next_message()
            if message is Signal.TERMINATE:
                return self._terminate()
            if message is Signal.ABANDON:
                self._cancel_in_flight()
                return pb.EXECUTION_PHASE_UNSPECIFIED
            if isinstance(message, Completion):
                self._completed(message)
            elif isinstance(message, CacheAnswers):
                self._answered(message)
        return self._finish()

    def _next_message(self) -> Message | None:
        """The next message, or None after running the timers that fell due meanwhile."""
        while self._timers and self._timers[0][0] <= time.time():
            heapq.heappop(self._timers)[2]()
        wait = self._timers[0][0] - time.time() if self._timers else None
        try:
            return self._inbox.get(timeout=max(0.0, wait) if wait is not None else None)
        except queue.Empty:
            return None

    def _at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (when, next(self._sequence), action))

    # Preparation and resumption.

    def _prepare(self) -> None:
        workflow = self._claim.workflow
        inputs_uri = self._claim.execution.spec.inputs_uri
        if inputs_uri:
            data = self._store.get_bytes(self._store.key_of(inputs_uri))
            self._workflow_inputs = dict(LiteralMap.FromString(data).literals)
        for variable in workflow.spec.template.interface.inputs:
            if variable.name not in self._workflow_inputs and variable.HasField("default"):
                self._workflow_inputs[variable.name] = variable.default
        tasks = {_task_key(t.id): t for t in workflow.closure.tasks}
        for node in workflow.spec.template.nodes:
            task = tasks[_task_key(node.task_node.task_id)]
            self._runs[node.id] = NodeRun(node, task, cached=is_cached(task))
            if self._cache is None and self._runs[node.id].cached:
                raise ValueError(f"node {node.id!r} is cached, and this walk has no cache")
        for run in self._runs.values():
            upstream = dict.fromkeys(run.node.upstream_node_ids)
            names: dict[str, None] = {}
            for binding in run.node.inputs:
                upstream.update(dict.fromkeys(promised_nodes(binding.binding)))
                names.update(dict.fromkeys(named_inputs(binding.binding)))
            run.upstream = [self._runs[node_id] for node_id in upstream]
            for up in run.upstream:
                up.downstream.append(run)
            missing = [name for name in names if name not in self._workflow_inputs]
            if missing:
                raise BindingError(f"node {run.id!r} needs the missing input {missing[0]!r}")
            run.bindings = Node(inputs=run.node.inputs).SerializeToString(deterministic=True)
            run.workflow_inputs = LiteralMap(
                literals={name: self._workflow_inputs[name] for name in names}
            ).SerializeToString(deterministic=True)
            interface = run.task.spec.template.interface
            run.defaults = defaults_of(interface.inputs).SerializeToString(deterministic=True)
        self._resume()

    def _resume(self) -> None:
        recorded = {n.id.node_id: n for n in self._claim.node_executions}
        order = list(self._claim.workflow.closure.node_order) or list(self._runs)
        for node_id in order:
            run = self._runs[node_id]
            record = recorded.get(node_id)
            if record is not None:
                run.attempt = max((a.attempt for a in record.attempts), default=0)
                run.failures = sum(
                    1 for a in record.attempts if a.phase in FAILED and a.error.type != AGENT_LOST
                )
            if record is not None and record.phase in SETTLED:
                run.phase = record.phase
                run.outputs_uri = record.outputs_uri
                run.cache_status = record.cache_status
                run.output_hashes = dict(record.output_hashes)
                if record.phase in FAILED:
                    run.error = record.error
                continue
            outputs_key = layout.node_outputs_key(self.execution_id, node_id)
            if self._store.exists(outputs_key):
                self._adopt_unreported(run, outputs_key)
            elif record is not None and record.phase == pb.NODE_PHASE_RUNNING:
                self._close_interrupted_attempt(run, record)
        for run in self._runs.values():
            if run.phase in FAILED | {pb.NODE_PHASE_SKIPPED}:
                self._skip_downstream(run)

    def _adopt_unreported(self, run: NodeRun, outputs_key: str) -> None:
        """Report a node whose worker finished but whose agent died before it said so."""
        run.attempt = max(run.attempt, 1)
        run.phase = pb.NODE_PHASE_SUCCEEDED
        run.outputs_uri = self._store.uri(outputs_key)
        run.outputs = LiteralMap.FromString(self._store.get_bytes(outputs_key))
        if run.cached:
            # Its inputs are on record, so its key is what the dead agent reserved.
            inputs_key = layout.node_inputs_key(self.execution_id, run.id)
            run.make_key(LiteralMap.FromString(self._store.get_bytes(inputs_key)))
            run.cache_status = RAN_CACHED[self._overwrite]
        records = committed_records(self._store, self.execution_id, run.id, run.outputs)
        self._emit_node(run, pb.NODE_PHASE_SUCCEEDED, outputs_uri=run.outputs_uri, lineage=records)

    def _close_interrupted_attempt(self, run: NodeRun, record: pb.NodeExecution) -> None:
        """Record that the attempt a dead agent was running ended; it costs no retry."""
        last = record.attempts[-1] if record.attempts else None
        if last is None or last.phase != pb.NODE_PHASE_RUNNING:
            return
        error = pb.ExecutionError(
            kind=pb.ERROR_KIND_SYSTEM,
            type=AGENT_LOST,
            message="the agent running this attempt stopped; the node runs again",
        )
        self._emit_node(run, pb.NODE_PHASE_RETRYING, error=error)

    # Attempts.

    def _submittable(self, run: NodeRun) -> bool:
        if run.phase != pb.NODE_PHASE_UNSPECIFIED or run.in_flight or run.asking:
            return False
        if run.cached:
            # Its key holds its inputs' content: it waits for its upstream nodes to succeed.
            return all(up.phase in DONE for up in run.upstream)
        return all(up.phase in DONE or up.in_flight for up in run.upstream)

    def _submit_ready(self, candidates: list[NodeRun]) -> None:
        """Submit every candidate that can go, and then whatever can go behind it; ask the
        cache about the cached ones, all in one question."""
        stack = list(reversed(candidates))
        questions: list[NodeRun] = []
        while stack:
            run = stack.pop()
            if not self._submittable(run):
                continue
            if run.cached and run.cache_status != pb.CACHE_STATUS_MISS:
                questions.append(run)
                run.asking = True
                continue
            # Not cached, or a retry of a node whose key this execution holds already.
            self._submit(run)
            stack.extend(reversed(run.downstream))
        if questions:
            self._ask(questions, overwrite=self._overwrite)

    def _submit(self, run: NodeRun) -> None:
        run.attempt += 1
        template = run.task.spec.template
        code = template.code
        started_key = (
            layout.attempt_started_key(self.execution_id, run.id, run.attempt)
            if template.metadata.HasField("timeout")
            else ""
        )
        request = NodeRequest(
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
            started_key=started_key,
            adopt_committed=run.attempt > 1,
            producer=self._producer(run).SerializeToString(),
        )
        upstream = [
            up.ref if up.ref is not None else self._outputs_bytes(up) for up in run.upstream
        ]
        run.ref = remote_for(template.metadata.resources).remote(request, *upstream)
        future: Future[NodeOutcome] = run.ref.future()
        run.future = future
        self._pending += 1
        completion = Completion(run, future)
        future.add_done_callback(lambda _: self._inbox.put(completion))
        if all(up.phase in DONE for up in run.upstream):
            self._started(run)

    def _started(self, run: NodeRun) -> None:
        """The walk has seen every upstream node succeed: the attempt is running (or about
        to, once Ray finds it a worker)."""
        run.phase = pb.NODE_PHASE_RUNNING
        inputs_uri = self._store.uri(layout.node_inputs_key(self.execution_id, run.id))
        self._emit_node(run, pb.NODE_PHASE_RUNNING, inputs_uri=inputs_uri)
        timeout = run.task.spec.template.metadata.timeout.ToTimedelta().total_seconds()
        if timeout:
            attempt = run.attempt
            self._at(time.time() + timeout, lambda: self._check_timeout(run, attempt, timeout))
        if run.deferred is not None:
            self._inbox.put(run.deferred)
            run.deferred = None

    def _completed(self, completion: Completion) -> None:
        run = completion.run
        if completion.future is not run.future:
            return  # an attempt already given up on (timed out, withdrawn or cancelled)
        if run.phase != pb.NODE_PHASE_RUNNING:
            run.deferred = completion  # its upstream completions are still on their way
            return
        run.future = None
        self._pending -= 1
        outcome = _outcome(completion.future)
        if isinstance(outcome, NodeSuccess):
            self._succeeded(run, outcome)
            return
        if isinstance(outcome, UpstreamFailed):
            # Cannot happen once every upstream node succeeded; treated as a system error.
            outcome = NodeFailure(pb.ERROR_KIND_SYSTEM, "UpstreamFailed", "", "", 0, time.time())
        error = pb.ExecutionError(
            kind=outcome.kind,
            type=outcome.type,
            message=outcome.message,
            traceback=outcome.traceback,
        )
        self._attempt_failed(run, error, at=outcome.finished_at)

    def _succeeded(self, run: NodeRun, outcome: NodeSuccess) -> None:
        run.phase = pb.NODE_PHASE_SUCCEEDED
        run.outputs = LiteralMap.FromString(outcome.outputs)
        run.outputs_uri = outcome.outputs_uri
        if run.cached:
            assert self._cache is not None
            run.cache_status = RAN_CACHED[self._overwrite]
            self._cache.remember(run.cache_key, output_hashes(run.outputs))
        self._emit_node(
            run,
            pb.NODE_PHASE_SUCCEEDED,
            outputs_uri=outcome.outputs_uri,
            at=outcome.finished_at,
            lineage=[LineageRecord.FromString(record) for record in outcome.lineage],
        )
        for downstream in run.downstream:
            if (
                downstream.in_flight
                and downstream.phase == pb.NODE_PHASE_UNSPECIFIED
                and all(up.phase in DONE for up in downstream.upstream)
            ):
                self._started(downstream)
        self._submit_ready(run.downstream)

    def _attempt_failed(
        self, run: NodeRun, error: pb.ExecutionError, *, at: float | None = None
    ) -> None:
        error.node_id = run.id
        run.failures += 1
        self._withdraw_downstream(run)
        if run.failures <= run.task.spec.template.metadata.retries:
            run.phase = pb.NODE_PHASE_RETRYING
            self._emit_node(run, pb.NODE_PHASE_RETRYING, error=error, at=at)
            self._pending += 1
            self._at(time.time() + self._backoff.delay(run.failures), lambda: self._retry(run))
            return
        run.phase = (
            pb.NODE_PHASE_TIMED_OUT if error.kind == pb.ERROR_KIND_TIMEOUT else pb.NODE_PHASE_FAILED
        )
        run.error = error
        self._emit_node(run, run.phase, error=error, at=at)
        self._skip_downstream(run)

    def _retry(self, run: NodeRun) -> None:
        if run.phase == pb.NODE_PHASE_RETRYING:
            self._pending -= 1
            run.phase = pb.NODE_PHASE_UNSPECIFIED
            self._submit_ready([run])

    def _withdraw_downstream(self, run: NodeRun) -> None:
        """Forget the attempts submitted behind ``run``'s failed one; they never ran."""
        for downstream in run.downstream:
            if downstream.in_flight and downstream.phase == pb.NODE_PHASE_UNSPECIFIED:
                downstream.future = downstream.ref = downstream.deferred = None
                downstream.attempt -= 1
                self._pending -= 1
                self._withdraw_downstream(downstream)

    def _check_timeout(self, run: NodeRun, attempt: int, timeout: float) -> None:
        if run.attempt != attempt or run.phase != pb.NODE_PHASE_RUNNING:
            return
        started = self._started_at(run, attempt)
        now = time.time()
        if started is None:
            # Still queued for resources: the clock starts when the attempt runs.
            retry_at = now + min(timeout, START_POLL_SECONDS)
            self._at(retry_at, lambda: self._check_timeout(run, attempt, timeout))
            return
        if now < started + timeout:
            self._at(started + timeout, lambda: self._check_timeout(run, attempt, timeout))
            return
        if run.future is None or run.future.done():
            return  # finished in time after all; its completion is in the inbox
        ray.cancel(run.ref, force=True)
        run.future = None
        self._pending -= 1
        error = pb.ExecutionError(
            kind=pb.ERROR_KIND_TIMEOUT,
            type="TimeoutError",
            message=f"attempt {attempt} ran longer than its timeout of {timeout:g} s",
        )
        self._attempt_failed(run, error)

    def _started_at(self, run: NodeRun, attempt: int) -> float | None:
        key = layout.attempt_started_key(self.execution_id, run.id, attempt)
        try:
            return float(self._store.get_bytes(key))
        except StoreError:
            return None

    def _skip_downstream(self, run: NodeRun) -> None:
        for downstream in run.downstream:
            if downstream.phase == pb.NODE_PHASE_UNSPECIFIED:
                downstream.phase = pb.NODE_PHASE_SKIPPED
                self._emit_node(downstream, pb.NODE_PHASE_SKIPPED)
                self._skip_downstream(downstream)

    def _outputs_of(self, node_id: str) -> LiteralMap:
        run = self._runs[node_id]
        if run.outputs is None:
            run.outputs = LiteralMap.FromString(self._outputs_bytes(run))
        return run.outputs

    def _outputs_bytes(self, run: NodeRun) -> bytes:
        """The outputs of a node that succeeded, as recorded when it did before this walk."""
        if run.outputs is not None:
            return run.outputs.SerializeToString(deterministic=True)
        if run.outputs_uri:
            return self._store.get_bytes(self._store.key_of(run.outputs_uri))
        if run.cache_status == pb.CACHE_STATUS_HIT:
            # A hit has no outputs of its own: they are its cache entry's artifacts.
            run.outputs = LiteralMap(
                literals={
                    name: read_artifact(self._store, artifact_hash)
                    for name, artifact_hash in run.output_hashes.items()
                }
            )
            return run.outputs.SerializeToString(deterministic=True)
        raise BindingError(f"node {run.id!r} has no outputs")

    # The cache.

    def _ask(self, runs: list[NodeRun], *, overwrite: bool) -> None:
        """One ReserveCache question about every run (and, unless it overwrites, about the
        cached nodes downstream whose keys can be told already); the answers come through
        the inbox."""
        asked = []
        for run in runs:
            try:
                if run.components is None:
                    run.make_key(run.resolve(self._workflow_inputs, self._outputs_of))
            except (BindingError, StoreError, ValueError) as error:
                run.asking = False
                self._failed_unrun(run, type(error).__name__, str(error))
                continue
            run.asking = True
            asked.append(run)
        if not asked:
            return
        if not overwrite:
            # An overwrite reserves every key it names: it must name no guessed one.
            assert self._cache is not None
            asked += guess_downstream(
                asked, self._workflow_inputs, self._outputs_of, self._cache, self._store
            )
        assert self._cache is not None
        self._pending += len(asked)
        request = ReserveCacheRequest(
            execution_id=self.execution_id,
            requests=[
                CacheRequest(node_id=run.id, key=run.cache_key, components=run.components)
                for run in asked
            ],
            overwrite=overwrite,
        )
        subjects = tuple(asked)
        self._cache.reserve(
            request, lambda result: self._inbox.put(CacheAnswers(subjects, overwrite, result))
        )

    def _answered(self, message: CacheAnswers) -> None:
        self._pending -= len(message.runs)
        for run in message.runs:
            run.asking = False
        result = message.result
        if isinstance(result, grpc.RpcError):
            self._cache_failed(message, result)
            return
        answers = {answer.node_id: answer for answer in result.answers}
        done: list[NodeRun] = []
        repairs: list[NodeRun] = []
        waiting: list[NodeRun] = []
        # Upstream first: a guess is judged once the answers it assumed are in.
        for run in message.runs:
            expected, run.expected = run.expected, None
            if not came_true(run, self._runs, self._outputs_of):
                # Should the wrong key have been reserved, the node's settling releases it.
                run.forget_key()
                continue
            run.assumed = None
            answer = answers.get(run.id)
            decision = answer.decision if answer is not None else None
            if answer is not None and decision == CACHE_DECISION_HIT:
                if self._hit(run, answer.entry, expected):
                    done.append(run)
                else:
                    # The entry's objects vanished from the store: recompute and repair it.
                    repairs.append(run)
            elif decision == CACHE_DECISION_RUN:
                run.cache_status = pb.CACHE_STATUS_MISS
                run.waits = 0
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
            self._ask_later(waiting, overwrite=message.overwrite)
        self._submit_ready([downstream for run in done for downstream in run.downstream])

    def _cache_failed(self, message: CacheAnswers, error: grpc.RpcError) -> None:
        asked = []
        for run in message.runs:
            run.expected = None
            if run.assumed is None:
                asked.append(run)
            else:
                run.forget_key()
        code = error.code()
        if code in TRANSIENT:
            log.warning("cache unavailable (%s); asking again", code)
            self._ask_later(asked, overwrite=message.overwrite)
            return
        for run in asked:
            self._failed_unrun(run, "CacheError", f"the cache refused: {code} {error.details()}")

    def _ask_later(self, runs: list[NodeRun], *, overwrite: bool) -> None:
        for run in runs:
            run.asking = True
            run.waits += 1
        self._pending += len(runs)
        delay = CACHE_BACKOFF.delay(max(run.waits for run in runs))

        def again() -> None:
            self._pending -= len(runs)
            for run in runs:
                run.asking = False
            self._ask(runs, overwrite=overwrite)

        self._at(time.time() + delay, again)

    def _hit(self, run: NodeRun, entry: CacheEntry, expected: LiteralMap | None) -> bool:
        """Succeed with the entry's outputs, if every object they need is still stored."""
        outputs = entry_outputs(self._store, entry, expected)
        if outputs is None:
            log.info("cache entry %s of node %s lost objects; recomputing", entry.key, run.id)
            return False
        assert run.inputs is not None
        assert self._cache is not None
        self._cache.remember(run.cache_key, entry.outputs)
        run.phase = pb.NODE_PHASE_SUCCEEDED
        run.outputs = outputs
        run.cache_status = pb.CACHE_STATUS_HIT
        inputs = run.inputs
        producer = self._producer(run)
        producer.cache_source.CopyFrom(entry.source)
        # Equal keys hold equal inputs unless some are ignored: then the source's recorded
        # inputs are this node's too, and a hit writes nothing but its lineage.
        shared = not run.task.spec.template.metadata.cache.ignore_inputs
        source = entry.source
        inputs_key = layout.node_inputs_key(
            source.execution_id if shared else self.execution_id,
            source.node_id if shared else run.id,
        )
        event = self._node_event(
            run,
            pb.NODE_PHASE_SUCCEEDED,
            inputs_uri=self._store.uri(inputs_key),
            source_execution_id=source.execution_id,
        )
        types = {v.name: v.type for v in run.task.spec.template.interface.outputs}

        def record() -> None:
            records = output_records(
                producer, inputs.literals, outputs.literals, types, self._blobs
            )
            with self._store.deferred_sync() as store:
                if not shared:
                    store.put_bytes(inputs_key, inputs.SerializeToString(deterministic=True))
                for lineage in records:
                    put_record(store, lineage)
            # The event follows the records: what the control plane indexes is in the store.
            event.lineage.extend(records)
            self._events.emit(pb.Event(node=event))

        self._writes.submit(record)
        return True

    def _failed_unrun(self, run: NodeRun, error_type: str, message: str) -> None:
        """Fail a node that could not even be submitted; no retry would help."""
        run.phase = pb.NODE_PHASE_FAILED
        run.error = pb.ExecutionError(
            kind=pb.ERROR_KIND_SYSTEM, type=error_type, message=message, node_id=run.id
        )
        self._emit_node(run, run.phase, error=run.error)
        self._skip_downstream(run)

    def _producer(self, run: NodeRun) -> LineageRecord:
        """The part of the node's lineage records the walk knows."""
        return LineageRecord(
            execution_id=self.execution_id,
            workflow_id=self._claim.workflow.id,
            node_id=run.id,
            attempt=run.attempt,
            task_id=run.task.id,
            code_digest=run.task.spec.template.code.code_digest,
            cache_key=run.cache_key,
        )

    # Endings.

    def _finish(self) -> pb.ExecutionPhase:
        lost = self._writes.wait()
        if lost:
            failure = pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM,
                type=type(lost[0]).__name__,
                message=f"lineage records could not be stored: {lost[0]}",
            )
            return self._emit_execution(pb.EXECUTION_PHASE_FAILED, error=failure)
        failed = [r for r in self._runs.values() if r.phase in FAILED]
        if failed:
            first = failed[0]
            phase = (
                pb.EXECUTION_PHASE_TIMED_OUT
                if first.phase == pb.NODE_PHASE_TIMED_OUT
                else pb.EXECUTION_PHASE_FAILED
            )
            return self._emit_execution(phase, error=first.error)
        try:
            outputs = resolve_all(
                self._claim.workflow.spec.template.outputs, self._workflow_inputs, self._outputs_of
            )
        except (BindingError, StoreError) as error:
            failure = pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM, type=type(error).__name__, message=str(error)
            )
            return self._emit_execution(pb.EXECUTION_PHASE_FAILED, error=failure)
        key = layout.execution_outputs_key(self.execution_id)
        self._store.put_bytes(key, outputs.SerializeToString(deterministic=True))
        return self._emit_execution(pb.EXECUTION_PHASE_SUCCEEDED, outputs_uri=self._store.uri(key))

    def _cancel_in_flight(self) -> None:
        for run in self._runs.values():
            if run.in_flight:
                ray.cancel(run.ref, force=True)
                run.future = None

    def _terminate(self) -> pb.ExecutionPhase:
        self._cancel_in_flight()
        self._writes.wait()
        error = pb.ExecutionError(
            kind=pb.ERROR_KIND_TERMINATED, message="the execution was terminated"
        )
        for run in self._runs.values():
            if run.phase in (pb.NODE_PHASE_RUNNING, pb.NODE_PHASE_RETRYING):
                run.phase = pb.NODE_PHASE_TERMINATED
                self._emit_node(run, pb.NODE_PHASE_TERMINATED, error=error)
        return self._emit_execution(pb.EXECUTION_PHASE_TERMINATED)

    # Events.

    def _emit_execution(
        self,
        phase: pb.ExecutionPhase,
        *,
        error: pb.ExecutionError | None = None,
        outputs_uri: str = "",
    ) -> pb.ExecutionPhase:
        event = pb.ExecutionEvent(
            id=self.execution_id,
            phase=phase,
            occurred_at=timestamp(time.time()),
            error=error,
            outputs_uri=outputs_uri,
        )
        self._events.emit(pb.Event(execution=event))
        return phase

    def _emit_node(
        self, run: NodeRun, phase: pb.NodePhase, **fields: Unpack[NodeEventFields]
    ) -> None:
        self._events.emit(pb.Event(node=self._node_event(run, phase, **fields)))

    def _node_event(
        self, run: NodeRun, phase: pb.NodePhase, **fields: Unpack[NodeEventFields]
    ) -> pb.NodeEvent:
        at = fields.get("at")
        return pb.NodeEvent(
            id=NodeExecutionIdentifier(execution_id=self.execution_id, node_id=run.id),
            task_id=run.task.id,
            phase=phase,
            attempt=run.attempt,
            occurred_at=timestamp(at if at is not None else time.time()),
            error=fields.get("error"),
            inputs_uri=fields.get("inputs_uri", ""),
            outputs_uri=fields.get("outputs_uri", ""),
            cache_status=run.cache_status,
            cache_key=run.cache_key,
            cache_key_components=run.components,
            source_execution_id=fields.get("source_execution_id"),
            lineage=fields.get("lineage"),
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


def _outcome(future: Future[NodeOutcome]) -> NodeOutcome:
    """What an attempt came to; a failure of Ray or of the worker itself is a SYSTEM error."""
    try:
        return future.result()
    except Exception as error:
        now = time.time()
        return NodeFailure(pb.ERROR_KIND_SYSTEM, type(error).__name__, str(error), "", now, now)


def _task_key(identifier: Any) -> tuple[str, str, str, str]:
    return (identifier.project, identifier.domain, identifier.name, identifier.version)
