"""Registration and CreateExecution throughput from concurrent clients, on SQLite and on a
throwaway PostgreSQL cluster, each behind a control plane of its own with no agent (the
executions stay queued: what is measured is the control plane taking them in).

Every request is built before the clock starts; each client has a channel of its own and
times each of its calls, so the figures give the rate and the latency percentiles.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import grpc

from bench.context import Context
from bench.embedded import Stack, embedded_stack, postgres_database
from bench.figures import Figure
from bench.stats import Timing
from graven.bundle import build_bundle
from graven.channels import open_channel, resolve_token
from graven.literals import int_literal
from graven.loader import load_project
from graven.remote import Remote
from graven.v1 import execution_service_pb2 as exs
from graven.v1 import identifier_pb2 as idl
from graven.v1 import registry_service_pb2 as reg
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub
from graven.v1.literals_pb2 import LiteralMap
from graven.v1.registry_service_pb2_grpc import RegistryServiceStub

PROJECT = "bench"
DOMAIN = "development"
CLIENTS = 8
TARGET = "≥ 300/s"
SOURCE = """
from graven import task, workflow


@task
def noop(x: int) -> int:
    return x


@workflow
def one(x: int) -> int:
    return noop(x=x)
"""


def _hammer(
    stack: Stack, requests: Sequence[Any], call: Callable[[grpc.Channel, Any], object]
) -> tuple[Timing, float]:
    """Send every request from CLIENTS concurrent clients; per-call latencies and the rate.
    Each call carries the home's admin token, as every client's does."""
    shares = [requests[i::CLIENTS] for i in range(CLIENTS)]
    token = resolve_token(home=stack.home)
    channels = [open_channel(stack.endpoint, token) for _ in range(CLIENTS)]
    for channel in channels:
        grpc.channel_ready_future(channel).result(timeout=30)
    start_line = threading.Barrier(CLIENTS + 1)

    def client(channel: grpc.Channel, share: Sequence[Any]) -> list[float]:
        latencies = []
        start_line.wait()
        for request in share:
            started = time.perf_counter()
            call(channel, request)
            latencies.append(time.perf_counter() - started)
        return latencies

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client, c, s) for c, s in zip(channels, shares, strict=True)]
            start_line.wait()
            started = time.perf_counter()
            latencies = [latency for future in futures for latency in future.result()]
            elapsed = time.perf_counter() - started
    finally:
        for channel in channels:
            channel.close()
    return Timing(tuple(latencies)), len(requests) / elapsed


def _register(channel: grpc.Channel, request: reg.RegisterRequest) -> object:
    return RegistryServiceStub(channel).Register(request)


def _create(channel: grpc.Channel, request: exs.CreateExecutionRequest) -> object:
    return ExecutionServiceStub(channel).CreateExecution(request)


def _measure(stack: Stack, backend: str, count: int) -> Iterator[Figure]:
    with tempfile.TemporaryDirectory() as tmp, Remote(stack.endpoint, home=stack.home) as remote:
        package = Path(tmp) / "bench_throughput"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "flows.py").write_text(SOURCE)
        registered = remote.register(package, project=PROJECT)
        loaded = load_project(package)
        bundle = build_bundle(loaded.root)
        (task,) = loaded.tasks
        spec = task.spec(bundle.digest)
        workflow_id = next(
            r.id for r in registered if r.id.resource_type == idl.RESOURCE_TYPE_WORKFLOW
        )

    registrations = [
        reg.RegisterRequest(
            entries=[
                reg.RegistrationEntry(
                    task=reg.CreateTaskRequest(
                        id=idl.Identifier(
                            resource_type=idl.RESOURCE_TYPE_TASK,
                            project=PROJECT,
                            domain=DOMAIN,
                            name=task.name,
                            version=f"throughput-{i}",
                        ),
                        spec=spec,
                    )
                )
            ]
        )
        for i in range(count)
    ]
    latencies, rate = _hammer(stack, registrations, _register)
    yield Figure(
        "throughput",
        f"Register (a new task version), {backend}",
        graven=latencies,
        rate=rate,
        target=TARGET,
        peak_rss=stack.peak_rss(),
        note=f"{count:,} calls from {CLIENTS} clients",
    )

    inputs = LiteralMap(literals={"x": int_literal(1)})
    creations = [
        exs.CreateExecutionRequest(
            project=PROJECT, domain=DOMAIN, workflow_id=workflow_id, inputs=inputs
        )
        for _ in range(count)
    ]
    latencies, rate = _hammer(stack, creations, _create)
    yield Figure(
        "throughput",
        f"CreateExecution, {backend}",
        graven=latencies,
        rate=rate,
        target=TARGET,
        peak_rss=stack.peak_rss(),
        note=f"{count:,} calls from {CLIENTS} clients",
    )


def figures(context: Context) -> Iterator[Figure]:
    count = 500 if context.quick else 3000
    with embedded_stack(agent=False) as stack:
        yield from _measure(stack, "SQLite", count)
    with ExitStack() as running:
        url = running.enter_context(postgres_database())
        if url is None:
            print("  PostgreSQL is not installed (`make postgres` installs it): skipped")
            return
        stack = running.enter_context(embedded_stack(db=url, agent=False))
        yield from _measure(stack, "PostgreSQL", count)
