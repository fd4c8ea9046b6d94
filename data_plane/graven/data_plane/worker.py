"""The worker side: what runs inside a Ray task for one attempt of one node.

Everything a worker learns once (the store client, the extracted bundle, the imported task
and its interface) is kept for the life of the worker process, so a node costs one function
call and the writes of its inputs and outputs. Files, directories, tables and pickles go
through the store both ways (``StoreBlobs``), so they work on any node of the cluster.

On success the worker stores every input and output value as an artifact (inputs that came
from a constant or a default have none yet), then one lineage record per output beside it,
and last the node's outputs, under a key fixed by the execution and node ids: that write is
the commit. A node whose outputs exist has succeeded, whether or not its agent lived to report
it, and everything its lineage names is in the store already.
"""

from __future__ import annotations

import functools
import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import ray

from graven.artifacts import put_artifact
from graven.blobs import Blobs, StoreBlobs
from graven.data_plane.bindings import resolve_all
from graven.data_plane.bundles import BundleCache
from graven.data_plane.isolation import activated
from graven.data_plane.lineage_records import committed_records, output_records, put_record
from graven.data_plane.outcomes import (
    NodeFailure,
    NodeOutcome,
    NodeRequest,
    NodeSuccess,
    UpstreamFailed,
)
from graven.data_plane.store_writes import BackgroundWrites
from graven.interface import PythonInterface, interface_of
from graven.store import ObjectStore, open_store
from graven.task import Task
from graven.v1.execution_pb2 import ERROR_KIND_SYSTEM, ERROR_KIND_USER, ErrorKind
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.task_pb2 import Resources
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import Node

WARM_UP_SECONDS = 0.1
UPSTREAM_FAILED = UpstreamFailed()


class UserCodeError(Exception):
    """The task's own code raised: while importing its module, running, or returning."""

    def __init__(self, error: BaseException, traceback_text: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.traceback_text = traceback_text


@dataclass(frozen=True)
class LoadedTask:
    root: Path
    function: Callable[..., object]
    interface: PythonInterface

    @functools.cached_property
    def output_types(self) -> dict[str, LiteralType]:
        return {p.name: p.literal_type for p in self.interface.outputs}


_bundles = BundleCache()


@functools.cache
def _store(url: str) -> ObjectStore:
    return open_store(url)


@functools.cache
def _blobs(url: str) -> Blobs:
    return StoreBlobs(_store(url))


def _user_traceback(error: BaseException, skip: int) -> str:
    """The traceback from the user's code on, without the worker's own frames above it."""
    tb: TracebackType | None = error.__traceback__
    for _ in range(skip):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


@functools.cache
def _load(store_url: str, bundle_digest: str, module: str, function: str) -> LoadedTask:
    root = _bundles.path(_store(store_url), bundle_digest)
    with activated(root):
        try:
            target = getattr(importlib.import_module(module), function)
        except Exception as error:
            raise UserCodeError(error, _user_traceback(error, 1)) from error
    if isinstance(target, Task):
        # Call the user's function itself: the @task object would trace inside a workflow.
        return LoadedTask(root, target.fn, target.interface)
    return LoadedTask(root, target, interface_of(target, f"task {module}.{function}"))


def _qualified_type(error: BaseException) -> str:
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _failure(kind: ErrorKind, error: BaseException, text: str, started: float) -> NodeFailure:
    return NodeFailure(kind, _qualified_type(error), str(error), text, started, time.time())


def execute_node(request: NodeRequest, *upstream: NodeOutcome | bytes) -> NodeOutcome:
    """One attempt; ``upstream`` holds the results of ``request.upstream_ids``, in order."""
    upstream_outputs: dict[str, bytes] = {}
    for node_id, result in zip(request.upstream_ids, upstream, strict=True):
        if isinstance(result, NodeSuccess):
            upstream_outputs[node_id] = result.outputs
        elif isinstance(result, bytes):
            upstream_outputs[node_id] = result
        else:
            return UPSTREAM_FAILED
    return _execute([(request, upstream_outputs)])[0]


def execute_batch(requests: tuple[NodeRequest, ...]) -> tuple[NodeOutcome, ...]:
    """One attempt of each of several nodes that take no upstream results (map elements):
    one Ray task, and their writes flushed together."""
    return tuple(_execute([(request, {}) for request in requests]))


@dataclass
class _Ran:
    """An attempt whose task returned, waiting for its writes and its commit."""

    request: NodeRequest
    started: float
    data: bytes
    records: list[LineageRecord]


def _execute(attempts: list[tuple[NodeRequest, dict[str, bytes]]]) -> list[NodeOutcome]:
    outcomes: list[NodeOutcome | _Ran] = []
    store = _store(attempts[0][0].store_url)
    # The writes are independent of each other (each waits on the disk or the network), so
    # they go in parallel: the inputs while the task runs, then the artifacts and the
    # lineage records; on a local disk they are flushed together at the end of the block.
    # Whatever happens, the inputs are on record before the outcome is.
    writes = BackgroundWrites()
    try:
        with store.deferred_sync() as batch:
            for request, upstream_outputs in attempts:
                outcomes.append(_attempt(request, upstream_outputs, store, batch, writes))
            failed = writes.wait()
    except Exception as error:
        failed = [error]
    ran = [outcome for outcome in outcomes if isinstance(outcome, _Ran)]
    if ran and not failed:
        # Last: the outputs are the commit, and everything they name is stored by now.
        try:
            store.put_all({outcome.request.outputs_key: outcome.data for outcome in ran})
        except Exception as error:
            failed = [error]
    results: list[NodeOutcome] = []
    for outcome in outcomes:
        if not isinstance(outcome, _Ran):
            results.append(outcome)
        elif failed:
            text = "".join(traceback.format_exception(failed[0]))
            results.append(_failure(ERROR_KIND_SYSTEM, failed[0], text, outcome.started))
        else:
            request = outcome.request
            results.append(
                NodeSuccess(
                    outcome.data,
                    store.uri(request.inputs_key),
                    store.uri(request.outputs_key),
                    outcome.started,
                    time.time(),
                    _serialized(outcome.records),
                )
            )
    return results


def _attempt(
    request: NodeRequest,
    upstream_outputs: dict[str, bytes],
    store: ObjectStore,
    batch: ObjectStore,
    writes: BackgroundWrites,
) -> NodeOutcome | _Ran:
    started = time.time()
    try:
        if request.started_key:
            store.put_bytes(request.started_key, repr(started).encode())
        producer = LineageRecord.FromString(request.producer)
        if request.adopt_committed and store.exists(request.outputs_key):
            committed = store.get_bytes(request.outputs_key)
            records = committed_records(
                store, producer.execution_id, producer.node_id, LiteralMap.FromString(committed)
            )
            return NodeSuccess(
                committed,
                store.uri(request.inputs_key),
                store.uri(request.outputs_key),
                started,
                time.time(),
                _serialized(records),
            )
        task = _load(request.store_url, request.bundle_digest, request.module, request.function)
        inputs = resolve_all(
            Node.FromString(request.bindings).inputs,
            LiteralMap.FromString(request.workflow_inputs).literals,
            lambda node_id: LiteralMap.FromString(upstream_outputs[node_id]),
            LiteralMap.FromString(request.defaults).literals,
        )
        blobs = _blobs(request.store_url)
        recorded_inputs = inputs.SerializeToString(deterministic=True)
        writes.submit(functools.partial(batch.put_bytes, request.inputs_key, recorded_inputs))
        with activated(task.root):
            arguments = task.interface.input_values(inputs.literals, blobs=blobs)
            outputs = _run(task, arguments, blobs)
        for literal in [*inputs.literals.values(), *outputs.values()]:
            writes.submit(functools.partial(put_artifact, batch, literal))
        records = output_records(producer, inputs.literals, outputs, task.output_types, blobs)
        for record in records:
            writes.submit(functools.partial(put_record, batch, record))
        data = LiteralMap(literals=outputs).SerializeToString(deterministic=True)
        return _Ran(request, started, data, records)
    except UserCodeError as user:
        return _failure(ERROR_KIND_USER, user.error, user.traceback_text, started)
    except Exception as error:
        return _failure(ERROR_KIND_SYSTEM, error, traceback.format_exc(), started)


def _run(task: LoadedTask, arguments: dict[str, Any], blobs: Blobs) -> dict[str, Literal]:
    try:
        value = task.function(**arguments)
    except Exception as error:
        raise UserCodeError(error, _user_traceback(error, 1)) from error
    try:
        return task.interface.output_literals(value, blobs=blobs)
    except Exception as error:
        # The task returned something its own signature does not allow.
        raise UserCodeError(error, "") from error


def _serialized(records: list[LineageRecord]) -> tuple[bytes, ...]:
    return tuple(record.SerializeToString() for record in records)


def _warm_up() -> None:
    time.sleep(WARM_UP_SECONDS)


@functools.cache
def warm_up_remote() -> Any:
    return ray.remote(max_retries=0)(_warm_up)


@functools.cache
def _execute_remote() -> Any:
    # Graven retries and reports every attempt itself: Ray must not retry behind its back.
    return ray.remote(max_retries=0, retry_exceptions=False)(execute_node)


@functools.cache
def _batch_remote() -> Any:
    return ray.remote(max_retries=0, retry_exceptions=False)(execute_batch)


@functools.cache
def _remote_for(resources: bytes, batch: bool) -> Any:
    wanted = Resources.FromString(resources)
    options: dict[str, Any] = {}
    if wanted.cpus:
        options["num_cpus"] = wanted.cpus
    if wanted.gpus:
        options["num_gpus"] = wanted.gpus
    if wanted.memory_bytes:
        options["memory"] = wanted.memory_bytes
    if wanted.custom:
        options["resources"] = dict(wanted.custom)
    remote = _batch_remote() if batch else _execute_remote()
    return remote.options(**options) if options else remote


def remote_for(resources: Resources, *, batch: bool = False) -> Any:
    """The Ray remote function that runs a node (``execute_node``), or a batch of them
    (``execute_batch``), with these resources (one per distinct set)."""
    return _remote_for(resources.SerializeToString(deterministic=True), batch)
