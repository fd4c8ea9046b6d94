"""The driver of one execution's walk: it does what the walk decides.

One thread per execution sleeps on an inbox. Ray completions (future callbacks), cache
answers, signals, child executions, a user's terminate and the loss of the lease all arrive
there, and timers bound the sleep, so the walk reacts at once to whatever happens first and
costs nothing while it waits. Each message becomes one call on the ``Walk`` (the state
machine, ``walk.py``), and each action it returns becomes a Ray call, a cache question, a
store write or an event (``_do``). The rules of the walk live there, not here.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import queue
import time
from concurrent.futures import Future
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any

import ray

from graven.artifacts import put_artifact
from graven.blobs import StoreBlobs
from graven.data_plane.cache_reservations import CacheResult, CacheService
from graven.data_plane.events import EventSink, timestamp
from graven.data_plane.gate_ports import ChildExecutions, SignalWaits
from graven.data_plane.lineage_records import output_records, put_record
from graven.data_plane.outcomes import NodeFailure, NodeOutcome
from graven.data_plane.store_reads import StoreReads
from graven.data_plane.store_writes import BackgroundWrites
from graven.data_plane.walk import Walk
from graven.data_plane.walk_actions import (
    Action,
    Ask,
    Cancel,
    Emit,
    Finish,
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
from graven.data_plane.walk_nodes import Backoff
from graven.data_plane.worker import remote_for
from graven.store import ObjectStore, layout
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import ClaimExecutionResponse
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.signal_pb2 import Signal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Completion:
    token: int
    future: Future[NodeOutcome]


@dataclass(frozen=True)
class Finished:
    """One outcome of a batch."""

    token: int
    outcome: NodeOutcome


@dataclass(frozen=True)
class Answer:
    question: int
    result: CacheResult


@dataclass(frozen=True)
class Signalled:
    node_id: str
    signal: Signal


@dataclass(frozen=True)
class ChildMoved:
    node_id: str
    execution: pb.Execution


class Stop(Enum):
    TERMINATE = auto()
    ABANDON = auto()


Message = Completion | Finished | Answer | Signalled | ChildMoved | Stop


class Executor:
    def __init__(
        self,
        claim: ClaimExecutionResponse,
        store: ObjectStore,
        events: EventSink,
        *,
        cache: CacheService | None = None,
        backoff: Backoff | None = None,
        signals: SignalWaits | None = None,
        children: ChildExecutions | None = None,
    ) -> None:
        self.execution_id = claim.execution.id
        self._store = store
        self._blobs = StoreBlobs(store)
        self._events = events
        self._cache = cache
        self._signals = signals
        self._children = children
        self._walk = Walk(
            claim,
            StoreReads(store, claim.execution.id, cache),
            cached=cache is not None,
            backoff=backoff,
        )
        self._writes = BackgroundWrites()
        self._inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, object]] = []
        self._sequence = itertools.count()
        self._refs: dict[int, Any] = {}
        self._phase = pb.EXECUTION_PHASE_UNSPECIFIED

    # Thread-safe entry points for the agent.

    def terminate(self) -> None:
        self._inbox.put(Stop.TERMINATE)

    def abandon(self) -> None:
        """Stop working on the execution without reporting anything more (lease lost)."""
        self._inbox.put(Stop.ABANDON)

    # The loop.

    def run(self) -> pb.ExecutionPhase:
        """Walk the execution to its end; the phase it ended in (UNSPECIFIED if abandoned)."""
        self._do(self._walk.start())
        while self._walk.phase is None:
            message = self._next_message()
            if message is not None:
                self._do(self._take(message))
        return self._phase

    def _take(self, message: Message | tuple[object]) -> list[Action]:
        walk = self._walk
        if isinstance(message, Completion):
            return walk.finished(message.token, _outcome(message.future))
        if isinstance(message, Finished):
            return walk.finished(message.token, message.outcome)
        if isinstance(message, Answer):
            return walk.answered(message.question, message.result)
        if isinstance(message, Signalled):
            return walk.signalled(message.node_id, message.signal)
        if isinstance(message, ChildMoved):
            return walk.child_moved(
                message.node_id, message.execution, self._child_outputs(message.execution)
            )
        if message is Stop.TERMINATE:
            return walk.terminate()
        if message is Stop.ABANDON:
            return walk.lease_lost()
        assert isinstance(message, tuple)
        return walk.timer(message[0])

    def _next_message(self) -> Message | tuple[object] | None:
        """The next message; a timer that fell due comes as a 1-tuple of its payload."""
        if self._timers and self._timers[0][0] <= time.time():
            return (heapq.heappop(self._timers)[2],)
        wait = self._timers[0][0] - time.time() if self._timers else None
        try:
            return self._inbox.get(timeout=max(0.0, wait) if wait is not None else None)
        except queue.Empty:
            return None

    # Actions.

    def _do(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Submit):
                upstream = [self._refs[u] if isinstance(u, int) else u for u in action.upstream]
                ref = remote_for(action.resources).remote(action.request, *upstream)
                self._refs[action.token] = ref
                future: Future[NodeOutcome] = ref.future()
                completion = Completion(action.token, future)
                future.add_done_callback(functools.partial(self._completed, completion))
            elif isinstance(action, SubmitBatch):
                ref = remote_for(action.resources, batch=True).remote(action.requests)
                for token in action.tokens:
                    self._refs[token] = ref
                batch: Future[tuple[NodeOutcome, ...]] = ref.future()
                batch.add_done_callback(functools.partial(self._batch_completed, action.tokens))
            elif isinstance(action, Emit):
                self._events.emit(action.event)
            elif isinstance(action, Cancel):
                ref = self._refs.pop(action.token, None)
                if ref is not None:
                    ray.cancel(ref, force=True)
            elif isinstance(action, Release):
                self._refs.pop(action.token, None)
            elif isinstance(action, Ask):
                assert self._cache is not None
                self._cache.reserve(
                    action.request, functools.partial(self._answer, action.question)
                )
            elif isinstance(action, Remember):
                assert self._cache is not None
                self._cache.remember(action.key, action.outputs)
            elif isinstance(action, Timer):
                heapq.heappush(self._timers, (action.at, next(self._sequence), action.payload))
            elif isinstance(action, Record):
                if action.background:
                    self._writes.submit(functools.partial(self._record, action))
                else:
                    self._record(action)
            elif isinstance(action, WaitSignal):
                assert self._signals is not None, "this agent has no signal service"
                self._signals.wait(action.wait, functools.partial(self._signalled, action.node_id))
            elif isinstance(action, StartChild):
                assert self._children is not None, "this agent cannot start child executions"
                self._children.start(action.request, functools.partial(self._moved, action.node_id))
            elif isinstance(action, StopWaiting):
                node_id = action.node_id
                for port in (self._signals, self._children):
                    if port is not None:
                        port.stop(self.execution_id, node_id)
            elif isinstance(action, Finish):
                self._finish(action)

    # Callbacks, from other threads: each posts its message.

    def _completed(self, completion: Completion, _: object) -> None:
        self._inbox.put(completion)

    def _batch_completed(
        self, tokens: tuple[int, ...], future: Future[tuple[NodeOutcome, ...]]
    ) -> None:
        try:
            outcomes = future.result()
        except Exception as error:
            now = time.time()
            failure = NodeFailure(
                pb.ERROR_KIND_SYSTEM, type(error).__name__, str(error), "", now, now
            )
            outcomes = (failure,) * len(tokens)
        for token, outcome in zip(tokens, outcomes, strict=True):
            self._inbox.put(Finished(token, outcome))

    def _answer(self, question: int, result: CacheResult) -> None:
        self._inbox.put(Answer(question, result))

    def _signalled(self, node_id: str, signal: Signal) -> None:
        self._inbox.put(Signalled(node_id, signal))

    def _moved(self, node_id: str, execution: pb.Execution) -> None:
        self._inbox.put(ChildMoved(node_id, execution))

    def _record(self, action: Record) -> None:
        """Store what the walk produced for a node, then report it."""
        event = action.event
        with self._store.deferred_sync() as store:
            consumed = action.consumed or LiteralMap()
            if action.values:
                for literal in [*consumed.literals.values(), *action.outputs.literals.values()]:
                    put_artifact(store, literal)
            if action.inputs is not None:
                inputs = action.inputs.SerializeToString(deterministic=True)
                store.put_bytes(action.inputs_key, inputs)
            if action.producer is not None:
                records = output_records(
                    action.producer,
                    consumed.literals,
                    action.outputs.literals,
                    action.types,
                    self._blobs,
                )
                for record in records:
                    put_record(store, record)
                event.lineage.extend(records)
        if action.commit:
            # Last: the outputs are the commit, and everything they name is stored by now.
            key = layout.node_outputs_key(self.execution_id, action.node_id)
            self._store.put_bytes(key, action.outputs.SerializeToString(deterministic=True))
        self._events.emit(pb.Event(node=event))

    def _child_outputs(self, execution: pb.Execution) -> LiteralMap | None:
        uri = execution.closure.outputs_uri
        if execution.closure.phase != pb.EXECUTION_PHASE_SUCCEEDED or not uri:
            return None
        return LiteralMap.FromString(self._store.get_bytes(self._store.key_of(uri)))

    def _finish(self, action: Finish) -> None:
        for port in (self._signals, self._children):
            if port is not None:
                port.forget(self.execution_id)
        lost = self._writes.wait()
        self._refs.clear()
        phase, error, outputs_uri = action.phase, action.error, ""
        if phase == pb.EXECUTION_PHASE_UNSPECIFIED:
            self._phase = phase
            return
        if lost and phase == pb.EXECUTION_PHASE_SUCCEEDED:
            phase = pb.EXECUTION_PHASE_FAILED
            error = pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM,
                type=type(lost[0]).__name__,
                message=f"lineage records could not be stored: {lost[0]}",
            )
        elif action.outputs is not None:
            key = layout.execution_outputs_key(self.execution_id)
            self._store.put_bytes(key, action.outputs.SerializeToString(deterministic=True))
            outputs_uri = self._store.uri(key)
        event = pb.ExecutionEvent(
            id=self.execution_id,
            phase=phase,
            occurred_at=timestamp(time.time()),
            error=error,
            outputs_uri=outputs_uri,
        )
        self._events.emit(pb.Event(execution=event))
        self._phase = phase


def _outcome(future: Future[NodeOutcome]) -> NodeOutcome:
    """What an attempt came to; a failure of Ray or of the worker itself is a SYSTEM error."""
    try:
        return future.result()
    except Exception as error:
        now = time.time()
        return NodeFailure(pb.ERROR_KIND_SYSTEM, type(error).__name__, str(error), "", now, now)
