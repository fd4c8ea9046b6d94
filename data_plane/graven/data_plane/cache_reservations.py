"""Asking the control plane's cache about a batch of keys, without blocking the walk.

``AgentService.ReserveCache`` answers each key with HIT (reuse an entry), RUN (the key is
now reserved for the asking node) or WAIT (another live execution is computing it). The call
is made asynchronously: its answer reaches the walk through the callback, like a Ray
completion, so a walk waiting for the control plane still hears a terminate at once.

The agent also remembers which outputs each key it saw hit or populate had. The control plane
stays the only authority on hits (an entry may have been evicted or overwritten since); the
memory only lets a walk tell the keys of the cached nodes downstream of a node it asks about
before the answer arrives, and ask about them in the same call. A chain the cache holds then
costs one round trip instead of one per node.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Protocol

import grpc

from graven.v1.agent_service_pb2 import ReserveCacheRequest, ReserveCacheResponse
from graven.v1.agent_service_pb2_grpc import AgentServiceStub

CALL_TIMEOUT_SECONDS = 10.0
# Keys whose outputs are remembered (a few hundred bytes each), least recently used first out.
REMEMBERED_KEYS = 100_000

CacheResult = ReserveCacheResponse | grpc.RpcError
CacheCallback = Callable[[CacheResult], None]


class CacheService(Protocol):
    def reserve(self, request: ReserveCacheRequest, done: CacheCallback) -> None:
        """Send ``request``; ``done`` is called once, from another thread, with the answer
        or the error."""
        ...

    def remembered(self, key: str) -> Mapping[str, str] | None:
        """The outputs (name to artifact hash) ``key`` was last seen with, if any."""
        ...

    def remember(self, key: str, outputs: Mapping[str, str]) -> None: ...


class CacheReservations:
    """``CacheService`` over the agent's gRPC channel."""

    def __init__(
        self, stub: AgentServiceStub, agent_id: str, *, remembered_keys: int = REMEMBERED_KEYS
    ) -> None:
        self._stub = stub
        self._agent_id = agent_id
        self._capacity = remembered_keys
        self._outputs: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def reserve(self, request: ReserveCacheRequest, done: CacheCallback) -> None:
        request.agent_id = self._agent_id
        call = self._stub.ReserveCache.future(request, timeout=CALL_TIMEOUT_SECONDS)
        call.add_done_callback(lambda finished: done(_result(finished)))

    def remembered(self, key: str) -> Mapping[str, str] | None:
        with self._lock:
            outputs = self._outputs.get(key)
            if outputs is not None:
                self._outputs.move_to_end(key)
            return outputs

    def remember(self, key: str, outputs: Mapping[str, str]) -> None:
        with self._lock:
            self._outputs[key] = dict(outputs)
            self._outputs.move_to_end(key)
            while len(self._outputs) > self._capacity:
                self._outputs.popitem(last=False)


def _result(call: grpc.Future[ReserveCacheResponse]) -> CacheResult:
    try:
        return call.result()
    except grpc.RpcError as error:
        return error
