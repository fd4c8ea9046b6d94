"""Streams and long polls cannot starve the gRPC server (issue 12.5), on a real server.

Open WatchExecution streams and idle ClaimExecution long polls wait on the server's event loop
holding no thread, so unary calls and the agent's heartbeats still answer at once; one client
cannot open more of either than its limit; a client that hangs up frees its place at once.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from cp_support import DOMAIN, INT, task_id, task_spec, unique, var
from execution_support import (
    WAIT,
    FakeAgent,
    Harness,
    node_event,
    private_plane,
)
from google.protobuf.duration_pb2 import Duration
from grpc_health.v1 import health_pb2
from grpc_health.v1.health_pb2_grpc import HealthStub

from graven.control_plane.transport.grpc_server import DEFAULT_UPLOAD_WORKERS, DEFAULT_WORKERS
from graven.literals import int_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import ExecutionIdentifier

WATCHES = 200
LONG_POLLS = 16
# What "answers at once" means under that load (each call takes milliseconds when idle).
FAST_S = 1.0
STOP_GRACE_S = 1.0
STALLED = DEFAULT_WORKERS + DEFAULT_UPLOAD_WORKERS + 4

T = TypeVar("T")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def watch(cp: Harness, execution_id: ExecutionIdentifier) -> Any:
    """An open WatchExecution call whose first message (the state now) was read, so the
    server holds it; the call is an iterator of the messages that follow."""
    call = cp.executions.WatchExecution(es.WatchExecutionRequest(id=execution_id), timeout=60)
    first = next(call)
    assert first.execution.id == execution_id
    return call


def long_poll(cp: Harness, pool: ThreadPoolExecutor, agent: str) -> Future[Any]:
    wait_for = Duration(seconds=30)
    request = ag.ClaimExecutionRequest(agent_id=agent, wait_for=wait_for)
    return pool.submit(cp.agents.ClaimExecution, request, timeout=60)


def running_execution(cp: Harness) -> tuple[ExecutionIdentifier, FakeAgent]:
    """An execution claimed by an agent, so that it stays running and no later long poll
    finds work."""
    workflow = cp.register()
    execution = cp.create(workflow.id, x=int_literal(1))
    agent = cp.agent()
    assert agent.claim().execution.id == execution.id
    return execution.id, agent


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


def test_unary_calls_and_heartbeats_answer_at_once_beside_open_streams_and_long_polls(
    cp: Harness,
) -> None:
    execution_id, agent = running_execution(cp)
    watches = [watch(cp, execution_id) for _ in range(WATCHES)]
    with ThreadPoolExecutor(LONG_POLLS) as pool:
        polls = [long_poll(cp, pool, unique("idle")) for _ in range(LONG_POLLS)]
        wait_until(lambda: cp.plane.agents.waiting_claims == LONG_POLLS, "every poll waits")

        latencies: dict[str, float] = {}
        got, latencies["GetExecution"] = timed(lambda: cp.get(execution_id))
        assert got.closure.phase == pb.EXECUTION_PHASE_RUNNING
        listed, latencies["ListExecutions"] = timed(
            lambda: cp.executions.ListExecutions(
                es.ListExecutionsRequest(project=cp.project, domain=DOMAIN)
            )
        )
        assert [e.id for e in listed.executions] == [execution_id]
        task = task_id(unique("t"), project=cp.project)
        registered, latencies["CreateTask"] = timed(
            lambda: cp.registry.CreateTask(
                rs.CreateTaskRequest(id=task, spec=task_spec([var("x", INT)]))
            )
        )
        assert registered.task.id == task
        beat, latencies["Heartbeat"] = timed(lambda: agent.heartbeat(execution_id))
        assert not beat.lost
        _, latencies["ReportEvents"] = timed(
            lambda: agent.report(node_event(execution_id, "inc1", pb.NODE_PHASE_RUNNING))
        )
        # The event reaches every watch, the last one opened included.
        for call in (watches[0], watches[-1]):
            update = next(call)
            assert [n.phase for n in update.node_executions] == [pb.NODE_PHASE_RUNNING]
        print(f"with {WATCHES} watches and {LONG_POLLS} long polls open:")
        for name, seconds in latencies.items():
            print(f"  {name}: {seconds * 1000:.1f} ms")
        assert max(latencies.values()) < FAST_S, latencies

        # New work still reaches a waiting poll at once.
        workflow = cp.register()
        queued = cp.create(workflow.id, x=int_literal(2))
        wait_until(lambda: any(p.done() for p in polls), "a poll claimed the new execution")
        claimed = [p.result() for p in polls if p.done()]
        assert [c.execution.id for c in claimed] == [queued.id]
        for call in watches:
            call.cancel()
        cp.plane.stop(grace=None)


def test_a_client_has_at_most_its_limit_of_open_watches(tmp_path: Path, database_url: str) -> None:
    with private_plane(tmp_path, database_url, max_watches_per_client=3) as cp:
        execution_id, _ = running_execution(cp)
        watches = [watch(cp, execution_id) for _ in range(3)]
        with pytest.raises(grpc.RpcError) as refused:
            watch(cp, execution_id)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "3 open WatchExecution streams" in refused.value.details()
        assert "max_watches_per_client" in refused.value.details()
        # Unary calls are not limited by the streams.
        assert cp.get(execution_id).id == execution_id

        # A client that hangs up frees its place at once (the server learns of it without
        # waiting for the stream's next message, which for a quiet execution never comes).
        watches.pop().cancel()
        watches.append(eventually_opened(lambda: watch(cp, execution_id)))
        for call in watches:
            call.cancel()


def test_a_client_has_at_most_its_limit_of_waiting_claims(
    tmp_path: Path, database_url: str
) -> None:
    with (
        private_plane(tmp_path, database_url, max_claims_per_client=2) as cp,
        ThreadPoolExecutor(2) as pool,
    ):
        polls = [long_poll(cp, pool, unique("idle")) for _ in range(2)]
        wait_until(lambda: cp.plane.agents.waiting_claims == 2, "both polls wait")
        with pytest.raises(grpc.RpcError) as refused:
            cp.agent().claim(wait=5)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "max_claims_per_client" in refused.value.details()
        # The agent's other calls are not limited by its waiting claims.
        assert not cp.agent().heartbeat().lost
        cp.plane.stop(grace=None)
        assert not futures.wait(polls, timeout=WAIT).not_done


def test_stalled_uploads_leave_the_unary_calls_their_threads(cp: Harness) -> None:
    bundle = gzip.compress(b"not checked until a worker extracts it\n" * 100)
    digest = f"sha256:{hashlib.sha256(bundle).hexdigest()}"
    release = threading.Event()

    def stalled() -> Iterator[rs.UploadBundleRequest]:
        yield rs.UploadBundleRequest(header=rs.BundleHeader(digest=digest, size=len(bundle)))
        release.wait(WAIT)
        yield rs.UploadBundleRequest(chunk=bundle)

    # Other servers of this process may have upload threads of their own, idle.
    idle = upload_threads()
    # More uploads than every pool has threads, each stalled after its header.
    uploads = [cp.registry.UploadBundle.future(stalled(), timeout=60) for _ in range(STALLED)]
    try:
        wait_until(
            lambda: upload_threads() == idle + DEFAULT_UPLOAD_WORKERS, "every upload thread waits"
        )
        execution_id, _ = running_execution(cp)
        got, seconds = timed(lambda: cp.get(execution_id))
        assert got.id == execution_id
        print(f"GetExecution beside {STALLED} stalled uploads: {seconds * 1000:.1f} ms")
        assert seconds < FAST_S
    finally:
        release.set()
    assert {u.result(timeout=WAIT).bundle.digest for u in uploads} == {digest}


def test_a_stop_does_not_wait_for_stalled_uploads(cp: Harness) -> None:
    release = threading.Event()

    def stalled() -> Iterator[rs.UploadBundleRequest]:
        yield rs.UploadBundleRequest(header=rs.BundleHeader(digest="sha256:" + "0" * 64, size=1))
        release.wait(WAIT)
        yield rs.UploadBundleRequest(chunk=b"x")

    idle = upload_threads()
    uploads = [cp.registry.UploadBundle.future(stalled(), timeout=60) for _ in range(3)]
    try:
        wait_until(lambda: upload_threads() == idle + 3, "the uploads wait for their chunk")
        # The upload threads wait for chunks the event loop receives: stopping cancels the
        # calls, which ends those waits, before the pools are shut down.
        _, seconds = timed(lambda: cp.plane.stop(grace=None))
    finally:
        release.set()
    assert seconds < FAST_S
    for upload in uploads:
        assert upload.exception(timeout=WAIT) is not None


def upload_threads() -> int:
    """The upload threads of the servers of this process."""
    return sum(t.name.startswith("grpc-upload") for t in threading.enumerate())


def eventually_opened(open_call: Callable[[], T]) -> T:
    """``open_call()`` once the server has released the place of a cancelled call: a
    cancellation reaches the server an instant after the client sent it."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return open_call()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


def test_a_stopping_server_says_not_serving_then_ends_its_streams_after_the_grace(
    tmp_path: Path, database_url: str
) -> None:
    with private_plane(tmp_path, database_url) as cp:
        execution_id, _ = running_execution(cp)
        call = watch(cp, execution_id)
        # Health needs no token: a channel of its own.
        with grpc.insecure_channel(cp.plane.grpc_address) as channel:
            statuses = HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=60)
            assert next(statuses).status == health_pb2.HealthCheckResponse.SERVING
            with ThreadPoolExecutor(1) as pool:
                started = time.monotonic()
                stopped = pool.submit(cp.plane.stop, STOP_GRACE_S)
                assert next(statuses).status == health_pb2.HealthCheckResponse.NOT_SERVING
                said_not_serving = time.monotonic() - started
                with pytest.raises(grpc.RpcError) as ended:
                    next(call)
                streams_ended = time.monotonic() - started
                stopped.result(timeout=WAIT)
        assert ended.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
        print(
            f"NOT_SERVING after {said_not_serving:.2f} s, streams ended after {streams_ended:.2f} s"
        )
        assert said_not_serving < STOP_GRACE_S <= streams_ended + 0.1
