"""The data-plane agent: claims executions from the control plane and walks them on Ray.

Several executions run at once, each walked by its own thread; one heartbeat thread keeps
all their leases and relays terminate and lost-lease answers to them; one sender thread
reports the events of all of them in batches. The agent never writes the database: what it
knows reaches the control plane as events.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path

import grpc
from google.protobuf.duration_pb2 import Duration

from graven.channels import AGENT_TOKEN_FILE, open_channel, resolve_token
from graven.data_plane import ray_runtime
from graven.data_plane.cache_reservations import CacheReservations
from graven.data_plane.events import EventReporter, ExecutionKey, execution_key, timestamp
from graven.data_plane.executor import Executor
from graven.data_plane.gate_ports import AgentChildExecutions, AgentSignalWaits
from graven.data_plane.leases import LeaseKeeper
from graven.data_plane.walk_nodes import Backoff
from graven.store import ObjectStore, open_store
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import ClaimExecutionRequest, ClaimExecutionResponse
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier

log = logging.getLogger(__name__)

CLAIM_WAIT_SECONDS = 5.0
# Between claims that failed because the control plane is away.
RECONNECT_SECONDS = 1.0
# A claim refused for the agent's credential: no retry will be taken, so the agent ends
# with the control plane's reason instead of asking again forever.
REFUSED = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})
# How long stop() waits for each execution's walk to let go.
STOP_SECONDS = 10.0


def default_agent_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Agent:
    def __init__(
        self,
        endpoint: str,
        ray_address: str | None = None,
        agent_id: str | None = None,
        *,
        max_executions: int = 16,
        num_cpus: int | None = None,
        claim_wait: float = CLAIM_WAIT_SECONDS,
        backoff: Backoff | None = None,
        token: str | None = None,
        ca: Path | None = None,
    ) -> None:
        """``token``: an agent token; default GRAVEN_TOKEN, else the agent-token file of
        GRAVEN_HOME (or ~/.graven). ``ca``: the CA of a control plane serving TLS (default
        GRAVEN_CA). See graven.channels."""
        self.endpoint = endpoint
        self._token = resolve_token(token, file=AGENT_TOKEN_FILE)
        self._ca = ca
        self.ray_address = ray_address
        self.agent_id = agent_id or default_agent_id()
        self._max_executions = max_executions
        self._num_cpus = num_cpus
        self._claim_wait = claim_wait
        self._backoff = backoff
        self._stopped = threading.Event()
        # Set once Ray is connected and the agent claims work: `graven up` waits for it.
        self.ready = threading.Event()
        self._lock = threading.Condition()
        self._executors: dict[ExecutionKey, Executor] = {}
        self._threads: list[threading.Thread] = []
        self._claim_call: grpc.Future[ClaimExecutionResponse] | None = None
        self._reporter: EventReporter | None = None
        self._leases: LeaseKeeper | None = None
        self._cache: CacheReservations | None = None
        self._signals: AgentSignalWaits | None = None
        self._children: AgentChildExecutions | None = None

    def stop(self) -> None:
        """Stop claiming and leave the executions in hand to be resumed by another agent."""
        self._stopped.set()
        with self._lock:
            if self._claim_call is not None:
                self._claim_call.cancel()
            self._lock.notify_all()

    def run(self) -> None:
        """Claim and run executions until ``stop()``; a claim refused for the agent's token
        (UNAUTHENTICATED, PERMISSION_DENIED) ends it with that error."""
        ray_runtime.connect(self.ray_address, num_cpus=self._num_cpus)
        channel = open_channel(self.endpoint, self._token, ca=self._ca)
        stub = AgentServiceStub(channel)
        self._reporter = EventReporter(stub, self.agent_id)
        self._cache = CacheReservations(stub, self.agent_id)
        self._signals = AgentSignalWaits(stub, self.agent_id)
        self._children = AgentChildExecutions(stub, self.agent_id)
        self._leases = LeaseKeeper(
            stub, self.agent_id, on_terminate=self._terminate, on_lost=self._lost
        )
        self._leases.start()
        self.ready.set()
        log.info("agent %s serving %s", self.agent_id, self.endpoint)
        try:
            while not self._stopped.is_set():
                if not self._wait_for_capacity():
                    break
                claim = self._claim(stub)
                if claim is not None:
                    self._start(claim)
        finally:
            with self._lock:
                executors = list(self._executors.values())
            for executor in executors:
                executor.abandon()
            for thread in self._threads:
                thread.join(STOP_SECONDS)
            self._leases.stop()
            self._signals.close()
            self._children.close()
            self._reporter.close()
            channel.close()

    def _wait_for_capacity(self) -> bool:
        with self._lock:
            return (
                self._lock.wait_for(
                    lambda: self._stopped.is_set() or len(self._executors) < self._max_executions
                )
                and not self._stopped.is_set()
            )

    def _claim(self, stub: AgentServiceStub) -> ClaimExecutionResponse | None:
        wait = Duration()
        wait.FromNanoseconds(int(self._claim_wait * 1e9))
        request = ClaimExecutionRequest(agent_id=self.agent_id, wait_for=wait)
        with self._lock:
            if self._stopped.is_set():
                return None
            call = self._claim_call = stub.ClaimExecution.future(
                request, timeout=self._claim_wait + 30
            )
        try:
            response: ClaimExecutionResponse = call.result()
        except grpc.FutureCancelledError:
            return None
        except grpc.RpcError as error:
            if error.code() in REFUSED:
                raise
            if not self._stopped.is_set():
                log.warning("claim failed: %s", error)
                self._stopped.wait(RECONNECT_SECONDS)
            return None
        finally:
            with self._lock:
                self._claim_call = None
        return response if response.HasField("execution") else None

    def _start(self, claim: ClaimExecutionResponse) -> None:
        assert self._reporter is not None
        assert self._leases is not None
        execution_id = claim.execution.id
        executor = Executor(
            claim,
            self._store(claim.store_url),
            self._reporter,
            cache=self._cache,
            backoff=self._backoff,
            signals=self._signals,
            children=self._children,
        )
        lease_seconds = claim.lease_expires_at.ToNanoseconds() / 1e9 - time.time()
        self._leases.hold(execution_id, lease_seconds)
        with self._lock:
            self._executors[execution_key(execution_id)] = executor
        thread = threading.Thread(
            target=self._walk,
            args=(executor,),
            name=f"graven-execution-{execution_id.name}",
            daemon=True,
        )
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _walk(self, executor: Executor) -> None:
        assert self._reporter is not None
        assert self._leases is not None
        execution_id = executor.execution_id
        try:
            executor.run()
        except Exception as error:
            log.exception("execution %s failed inside the agent", execution_id.name)
            failure = pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM, type=type(error).__name__, message=str(error)
            )
            event = pb.ExecutionEvent(
                id=execution_id,
                phase=pb.EXECUTION_PHASE_FAILED,
                occurred_at=timestamp(time.time()),
                error=failure,
            )
            self._reporter.emit(pb.Event(execution=event))
        finally:
            self._leases.release(execution_id)
            with self._lock:
                self._executors.pop(execution_key(execution_id), None)
                self._lock.notify_all()

    def _terminate(self, execution_id: ExecutionIdentifier) -> None:
        with self._lock:
            executor = self._executors.get(execution_key(execution_id))
        if executor is not None:
            executor.terminate()

    def _lost(self, execution_id: ExecutionIdentifier) -> None:
        assert self._reporter is not None
        self._reporter.drop(execution_id)
        with self._lock:
            executor = self._executors.get(execution_key(execution_id))
        if executor is not None:
            executor.abandon()

    @functools.cache  # noqa: B019 - one store client per URL for the agent's life
    def _store(self, url: str) -> ObjectStore:
        return open_store(url)
