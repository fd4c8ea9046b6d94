"""What gates and launch-plan nodes wait for, as the walk's driver sees it: two ports, and
their implementations over the agent's channel to the control plane.

Both are polls: every open wait of every execution the agent runs goes in one call per
round (``AgentService.WaitSignals``, ``AgentService.StartChildExecutions``; both are
idempotent, so asking again is also how the state is followed). A new wait is asked about at
once; a control plane that is away is asked again next round.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import grpc

from graven.data_plane.events import TRANSIENT, ExecutionKey, execution_key
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import (
    ChildExecutionRequest,
    SignalWait,
    StartChildExecutionsRequest,
    WaitSignalsRequest,
)
from graven.v1.agent_service_pb2_grpc import AgentServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.signal_pb2 import Signal

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
CALL_TIMEOUT_SECONDS = 10.0
TERMINAL = frozenset(
    {
        pb.EXECUTION_PHASE_SUCCEEDED,
        pb.EXECUTION_PHASE_FAILED,
        pb.EXECUTION_PHASE_TERMINATED,
        pb.EXECUTION_PHASE_TIMED_OUT,
    }
)


class SignalWaits(Protocol):
    def wait(self, wait: SignalWait, done: Callable[[Signal], None]) -> None:
        """Call ``done`` once, from another thread, when the signal holds a value."""
        ...

    def stop(self, execution_id: ExecutionIdentifier, node_id: str) -> None: ...

    def forget(self, execution_id: ExecutionIdentifier) -> None: ...


class ChildExecutions(Protocol):
    def start(self, request: ChildExecutionRequest, moved: Callable[[pb.Execution], None]) -> None:
        """Start the child (once); call ``moved`` from another thread when it is known and
        whenever its phase changes, the last time when it ends."""
        ...

    def stop(self, execution_id: ExecutionIdentifier, node_id: str) -> None: ...

    def forget(self, execution_id: ExecutionIdentifier) -> None: ...


Request = TypeVar("Request", SignalWait, ChildExecutionRequest)
Reply = TypeVar("Reply", Signal, pb.Execution)
WaitKey = tuple[ExecutionKey, str]


class _Poller(ABC, Generic[Request, Reply]):
    """The waits of every execution of one agent, asked about in one call per round."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._waits: dict[WaitKey, tuple[Request, Callable[[Reply], None]]] = {}
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, key: WaitKey, request: Request, callback: Callable[[Reply], None]) -> None:
        with self._lock:
            self._waits[key] = (request, callback)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def stop(self, execution_id: ExecutionIdentifier, node_id: str) -> None:
        with self._lock:
            self._waits.pop((execution_key(execution_id), node_id), None)

    def forget(self, execution_id: ExecutionIdentifier) -> None:
        key = execution_key(execution_id)
        with self._lock:
            for wait in [w for w in self._waits if w[0] == key]:
                del self._waits[wait]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closed or bool(self._waits))
                if self._closed:
                    return
                waits = list(self._waits.items())
            try:
                replies = self._ask([request for _, (request, _) in waits])
            except grpc.RpcError as error:
                if error.code() not in TRANSIENT:
                    log.warning("%s refused: %s", self._name, error)
                replies = None
            if replies is not None:
                for (key, (_, callback)), reply in zip(waits, replies, strict=True):
                    if self._settled(key, reply):
                        with self._lock:
                            self._waits.pop(key, None)
                    if self._changed(key, reply):
                        callback(reply)
            with self._lock:
                self._lock.wait(POLL_SECONDS)

    @abstractmethod
    def _ask(self, requests: list[Request]) -> list[Reply]:
        """The replies to ``requests``, in order."""

    @abstractmethod
    def _settled(self, key: WaitKey, reply: Reply) -> bool:
        """Whether the wait is over."""

    @abstractmethod
    def _changed(self, key: WaitKey, reply: Reply) -> bool:
        """Whether the waiter is to hear of ``reply``."""


class AgentSignalWaits(_Poller[SignalWait, Signal]):
    def __init__(self, stub: AgentServiceStub, agent_id: str) -> None:
        super().__init__("graven-signal-waits")
        self._stub = stub
        self._agent_id = agent_id

    def wait(self, wait: SignalWait, done: Callable[[Signal], None]) -> None:
        self.add((execution_key(wait.id.execution_id), wait.node_id), wait, done)

    def _ask(self, requests: list[SignalWait]) -> list[Signal]:
        request = WaitSignalsRequest(agent_id=self._agent_id, waits=requests)
        response = self._stub.WaitSignals(request, timeout=CALL_TIMEOUT_SECONDS)
        return list(response.signals)

    def _settled(self, key: WaitKey, reply: Signal) -> bool:
        return reply.HasField("value")

    def _changed(self, key: WaitKey, reply: Signal) -> bool:
        return reply.HasField("value")


class AgentChildExecutions(_Poller[ChildExecutionRequest, pb.Execution]):
    def __init__(self, stub: AgentServiceStub, agent_id: str) -> None:
        super().__init__("graven-child-executions")
        self._stub = stub
        self._agent_id = agent_id
        self._phases: dict[WaitKey, int] = {}

    def start(self, request: ChildExecutionRequest, moved: Callable[[pb.Execution], None]) -> None:
        key = (execution_key(request.parent.execution_id), request.parent.node_id)
        self.add(key, request, moved)

    def _ask(self, requests: list[ChildExecutionRequest]) -> list[pb.Execution]:
        try:
            return self._started(requests)
        except grpc.RpcError as error:
            if error.code() in TRANSIENT or len(requests) == 1:
                raise
        # One bad request must not hold back the others: ask one at a time.
        executions = []
        for request in requests:
            try:
                executions.extend(self._started([request]))
            except grpc.RpcError as error:
                if error.code() in TRANSIENT:
                    raise
                executions.append(_refused(error))
        return executions

    def _started(self, requests: list[ChildExecutionRequest]) -> list[pb.Execution]:
        request = StartChildExecutionsRequest(agent_id=self._agent_id, requests=requests)
        response = self._stub.StartChildExecutions(request, timeout=CALL_TIMEOUT_SECONDS)
        return list(response.executions)

    def _settled(self, key: WaitKey, reply: pb.Execution) -> bool:
        return reply.closure.phase in TERMINAL

    def _changed(self, key: WaitKey, reply: pb.Execution) -> bool:
        changed = self._phases.get(key) != reply.closure.phase
        self._phases[key] = reply.closure.phase
        if reply.closure.phase in TERMINAL:
            self._phases.pop(key, None)
        return changed


def _refused(error: grpc.RpcError) -> pb.Execution:
    """A child the control plane will not start, as an execution that failed at once."""
    return pb.Execution(
        closure=pb.ExecutionClosure(
            phase=pb.EXECUTION_PHASE_FAILED,
            error=pb.ExecutionError(
                kind=pb.ERROR_KIND_SYSTEM,
                type="ChildExecutionRefused",
                message=f"{error.code().name}: {error.details()}",
            ),
        )
    )
