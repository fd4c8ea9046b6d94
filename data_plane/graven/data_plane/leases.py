"""Keeping the leases of the executions an agent runs, and hearing what to stop.

One heartbeat covers every execution the agent holds. Its cadence is a fraction of the
lease, and never slower than a second, because the heartbeat is also how a user's
terminate reaches the agent: it must arrive well within the five seconds a terminate may
take.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import grpc

from graven.data_plane.events import ExecutionKey, execution_key
from graven.v1.agent_service_pb2 import HeartbeatRequest
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier

log = logging.getLogger(__name__)

MAX_INTERVAL_SECONDS = 1.0
MIN_INTERVAL_SECONDS = 0.05
# Beats per lease: a few may fail before the lease is at risk.
BEATS_PER_LEASE = 4
CALL_TIMEOUT_SECONDS = 5.0

Callback = Callable[[ExecutionIdentifier], None]


class LeaseKeeper:
    def __init__(
        self,
        stub: AgentServiceStub,
        agent_id: str,
        *,
        on_terminate: Callback,
        on_lost: Callback,
        interval: float = MAX_INTERVAL_SECONDS,
    ) -> None:
        self._stub = stub
        self._agent_id = agent_id
        self._on_terminate = on_terminate
        self._on_lost = on_lost
        self._interval = interval
        self._held: dict[ExecutionKey, ExecutionIdentifier] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="graven-leases", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def hold(self, execution_id: ExecutionIdentifier, lease_seconds: float) -> None:
        """Heartbeat for this execution from now on, often enough for a lease this long."""
        with self._lock:
            self._held[execution_key(execution_id)] = execution_id
            beat = lease_seconds / BEATS_PER_LEASE
            self._interval = max(MIN_INTERVAL_SECONDS, min(self._interval, beat))

    def release(self, execution_id: ExecutionIdentifier) -> None:
        with self._lock:
            self._held.pop(execution_key(execution_id), None)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def beat(self) -> None:
        """One heartbeat for everything held, acting on the answer."""
        with self._lock:
            held = list(self._held.values())
        if not held:
            return
        request = HeartbeatRequest(agent_id=self._agent_id, execution_ids=held)
        try:
            response = self._stub.Heartbeat(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            # Keep working: no other agent can take over while the control plane is away,
            # and when it is back the next answer says what was lost meanwhile.
            log.warning("heartbeat failed: %s", error)
            return
        for execution_id in response.lost:
            self.release(execution_id)
            self._on_lost(execution_id)
        for execution_id in response.terminate:
            self._on_terminate(execution_id)

    def _run(self) -> None:
        while not self._stopped.is_set():
            started = time.monotonic()
            self.beat()
            with self._lock:
                interval = self._interval
            self._stopped.wait(max(0.0, interval - (time.monotonic() - started)))
