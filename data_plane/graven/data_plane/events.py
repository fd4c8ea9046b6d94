"""Events from the DAG walk to the control plane, in batches, off the critical path.

A walk never waits on the control plane: it drops each event into a queue and goes on. One
sender thread drains the queue, so events leave in the order they were made. The first event
after a quiet spell leaves at once; during a burst the sender lets events gather for a few
milliseconds between calls, because the control plane pays per call (a transaction), and a
fast graph makes hundreds of events a second. A control plane that is away is
retried with backoff until it answers; a batch it refuses is retried one execution at a
time, so one execution whose lease was lost cannot hold back the others' events.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from itertools import groupby
from typing import Protocol

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from graven.v1.agent_service_pb2 import ReportEventsRequest
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.execution_pb2 import Event
from graven.v1.identifier_pb2 import ExecutionIdentifier

log = logging.getLogger(__name__)

MAX_BATCH = 500
# The least time between the starts of two calls while events keep coming.
MIN_INTERVAL_SECONDS = 0.025
# Codes that mean "try the same request again later", as opposed to "this request is bad".
TRANSIENT = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
)
BACKOFF_SECONDS = (0.05, 0.2, 0.5, 1.0, 2.0)
CALL_TIMEOUT_SECONDS = 30.0

ExecutionKey = tuple[str, str, str]


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


def execution_key(execution_id: ExecutionIdentifier) -> ExecutionKey:
    return (execution_id.project, execution_id.domain, execution_id.name)


def event_execution(event: Event) -> ExecutionKey:
    if event.HasField("execution"):
        return execution_key(event.execution.id)
    return execution_key(event.node.id.execution_id)


def timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


class EventReporter:
    """Sends events to ``AgentService.ReportEvents`` from a background thread."""

    def __init__(
        self,
        stub: AgentServiceStub,
        agent_id: str,
        *,
        max_batch: int = MAX_BATCH,
        min_interval: float = MIN_INTERVAL_SECONDS,
    ) -> None:
        self._stub = stub
        self._agent_id = agent_id
        self._max_batch = max_batch
        self._min_interval = min_interval
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._dropped: set[ExecutionKey] = set()
        self._progress = threading.Condition()
        self._emitted = 0
        self._done = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="graven-events", daemon=True)
        self._thread.start()

    def emit(self, event: Event) -> None:
        with self._progress:
            self._emitted += 1
        self._queue.put(event)

    def drop(self, execution_id: ExecutionIdentifier) -> None:
        """Stop reporting for an execution this agent no longer holds."""
        with self._progress:
            self._dropped.add(execution_key(execution_id))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event emitted so far was sent (or dropped); False on timeout."""
        with self._progress:
            target = self._emitted
            return self._progress.wait_for(lambda: self._done >= target, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (for up to ``timeout`` seconds), then stop the thread."""
        self.flush(timeout)
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        last_call = -self._min_interval
        while True:
            first = self._queue.get()
            if first is None:
                return
            gather = last_call + self._min_interval - time.monotonic()
            if gather > 0 and not self._closed:
                time.sleep(gather)
            last_call = time.monotonic()
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            self._deliver(batch)
            with self._progress:
                self._done += len(batch)
                self._progress.notify_all()

    def _deliver(self, batch: list[Event]) -> None:
        with self._progress:
            events = [e for e in batch if event_execution(e) not in self._dropped]
        if not events or self._send(events) is None:
            return
        # Refused as a whole: one execution's events may be what the control plane rejects.
        for key, group in groupby(events, key=event_execution):
            if key in self._dropped:
                continue
            refused = self._send(list(group))
            if refused == grpc.StatusCode.FAILED_PRECONDITION:
                # Its lease went to another agent: this one has nothing more to say about it.
                with self._progress:
                    self._dropped.add(key)

    def _send(self, events: Iterable[Event]) -> grpc.StatusCode | None:
        """None once delivered, else the code it was refused with; retries while the control
        plane is away."""
        request = ReportEventsRequest(agent_id=self._agent_id, events=events)
        attempt = 0
        while True:
            try:
                self._stub.ReportEvents(request, timeout=CALL_TIMEOUT_SECONDS)
                return None
            except grpc.RpcError as error:
                code: grpc.StatusCode = error.code()
                if code not in TRANSIENT or self._closed:
                    log.warning("ReportEvents refused: %s %s", code, error)
                    return code
            time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
            attempt += 1
