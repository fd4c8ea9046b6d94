"""Bounded requests over a real gRPC server: an upload past the cap is refused while it
streams and stores nothing; labels are limited in count and size; an error never echoes a
multi-megabyte value whole; GetLineage answers in pages no larger than the server's cap,
with tokens it checks. Every refusal leaves the server serving and what it stores intact."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from cp_support import (
    DOMAIN,
    INT,
    from_input,
    node,
    task_id,
    task_spec,
    var,
    workflow_id,
    workflow_spec,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lineage_support import LineageHarness, lineage_plane

from graven.channels import resolve_token
from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.lineage_repository import LineageRepository
from graven.control_plane.service.lineage_records import store_records
from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.remote import Remote
from graven.store import content_key
from graven.store.minio_process import MinioServer
from graven.v1 import execution_service_pb2 as es
from graven.v1 import lineage_service_pb2 as ls
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.lineage_pb2 import LineageGraph, LineageRecord
from graven.v1.literals_pb2 import LiteralMap

UPLOAD_CAP = 1 << 20
PAGE_CAP = 40
CONSUMERS = 150
HUGE = 3_000_000
SMALL_DETAILS = 1024


def refusal(call: grpc.RpcError) -> tuple[grpc.StatusCode, str]:
    return call.code(), str(call.details())


# --- uploads --------------------------------------------------------------------------------


@pytest.fixture(params=["folder", "minio"])
def capped(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[LineageHarness]:
    extra: dict[str, object] = {"max_upload_bytes": UPLOAD_CAP}
    if request.param == "minio":
        server: MinioServer = request.getfixturevalue("minio_server")
        extra["store_url"] = server.url()
    with lineage_plane(tmp_path, database_url, **extra) as harness:
        yield harness


def upload(
    harness: LineageHarness, data: bytes, size: int | None = None, part: int = 256 << 10
) -> ls.UploadContentResponse:
    header = ls.ContentHeader(hash=sha256_hex(data), size=len(data) if size is None else size)

    def parts() -> Iterator[ls.UploadContentRequest]:
        yield ls.UploadContentRequest(header=header)
        for start in range(0, len(data), part):
            yield ls.UploadContentRequest(chunk=data[start : start + part])

    return harness.lineage.UploadContent(parts())


def cas_keys(harness: LineageHarness) -> list[str]:
    return list(harness.store.list("cas/"))


def test_an_upload_at_the_cap_is_stored(capped: LineageHarness) -> None:
    data = os.urandom(UPLOAD_CAP)
    assert upload(capped, data).size == UPLOAD_CAP
    assert capped.store.get_bytes(content_key(sha256_hex(data))) == data


def test_an_upload_announced_past_the_cap_is_refused_before_any_byte(
    capped: LineageHarness,
) -> None:
    before = cas_keys(capped)
    data = os.urandom(UPLOAD_CAP + 1)
    with pytest.raises(grpc.RpcError) as refused:
        upload(capped, data)
    code, details = refusal(refused.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("header.size:")
    assert str(UPLOAD_CAP) in details
    assert cas_keys(capped) == before


def test_an_upload_that_streams_past_the_cap_is_refused_and_nothing_is_stored(
    capped: LineageHarness,
) -> None:
    before = cas_keys(capped)
    data = os.urandom(3 * UPLOAD_CAP)
    # The header lies about the size; the server counts what arrives.
    with pytest.raises(grpc.RpcError) as refused:
        upload(capped, data, size=1000)
    code, details = refusal(refused.value)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "nothing of it was stored" in details
    assert cas_keys(capped) == before
    assert not capped.store.exists(content_key(sha256_hex(data)))
    # The server serves on: a small upload goes in and reads back.
    small = os.urandom(5000)
    stored = upload(capped, small)
    request = ls.ReadContentRequest(hash=stored.hash)
    assert b"".join(r.chunk for r in capped.lineage.ReadContent(request)) == small


# --- labels ---------------------------------------------------------------------------------


@pytest.fixture
def plane(tmp_path: Path, database_url: str) -> Iterator[LineageHarness]:
    with lineage_plane(tmp_path, database_url) as harness:
        yield harness


def launch(harness: LineageHarness, **fields: object) -> es.CreateExecutionResponse:
    request = es.CreateExecutionRequest(
        project=harness.project,
        domain=DOMAIN,
        workflow_id=harness.workflow,
        inputs=LiteralMap(literals={"x": int_literal(1)}),
        **fields,
    )
    return harness.executions.CreateExecution(request)


def count_executions(harness: LineageHarness) -> int:
    request = es.ListExecutionsRequest(project=harness.project, domain=DOMAIN, page_size=1000)
    return len(harness.executions.ListExecutions(request).executions)


@pytest.fixture
def labelled(plane: LineageHarness) -> LineageHarness:
    plane.workflow = plane.register().id
    return plane


def test_labels_at_their_limits_are_kept(labelled: LineageHarness) -> None:
    labels = {f"k{i}": "v" * 256 for i in range(63)}
    labels["a" * 63] = "ok"
    execution = launch(labelled, labels=labels).execution
    assert dict(labelled.get(execution.id).spec.labels) == labels


@pytest.mark.parametrize(
    ("labels", "field", "says"),
    [
        ({f"k{i}": "v" for i in range(65)}, "labels", "has 65 labels; at most 64"),
        ({"a" * 64: "v"}, "labels['" + "a" * 64 + "']", "64 characters long; at most 63"),
        ({"-team": "v"}, "labels['-team']", "must match"),
        ({"team/x": "v"}, "labels['team/x']", "must match"),
        ({"": "v"}, "labels['']", "must match"),
        ({"team": "v" * 257}, "labels['team']", "257 characters long; at most 256"),
        ({"team": "a\nb"}, "labels['team']", "control characters or line breaks"),
        ({"team": "a\u2028b"}, "labels['team']", "control characters or line breaks"),
    ],
)
def test_labels_past_their_limits_are_refused_naming_the_label(
    labelled: LineageHarness, labels: dict[str, str], field: str, says: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        launch(labelled, labels=labels)
    code, details = refusal(refused.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith(f"{field}: ")
    assert says in details
    assert count_executions(labelled) == 0
    assert launch(labelled, labels={"team": "ml"}).execution.id.name


LABEL_KEYS = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?", fullmatch=True)
LABEL_VALUES = st.text(st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=256)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.dictionaries(LABEL_KEYS, LABEL_VALUES, max_size=64))
def test_any_labels_within_the_limits_are_kept(
    labelled: LineageHarness, labels: dict[str, str]
) -> None:
    execution = launch(labelled, labels=labels).execution
    assert dict(labelled.get(execution.id).spec.labels) == labels


# --- echoed values --------------------------------------------------------------------------


def test_errors_cut_multi_megabyte_values_short(labelled: LineageHarness) -> None:
    huge = "A" * HUGE
    calls = {
        "project": lambda: labelled.executions.CreateExecution(
            es.CreateExecutionRequest(project=huge, domain=DOMAIN, workflow_id=labelled.workflow)
        ),
        "hash": lambda: labelled.lineage.GetArtifact(ls.GetArtifactRequest(hash=huge)),
        "labels": lambda: launch(labelled, labels={huge: "v"}),
        # An input name the workflow does not take: it is in the field path of the problem.
        "inputs": lambda: labelled.executions.CreateExecution(
            es.CreateExecutionRequest(
                project=labelled.project,
                domain=DOMAIN,
                workflow_id=labelled.workflow,
                inputs=LiteralMap(literals={"x": int_literal(1), "b" * HUGE: int_literal(2)}),
            )
        ),
        "node id": lambda: labelled.registry.CreateWorkflow(
            rs.CreateWorkflowRequest(
                id=workflow_id("huge-node", project=labelled.project),
                spec=workflow_spec(
                    [node(huge, task_id("inc", project=labelled.project), x=from_input("x"))],
                    inputs=[var("x", INT)],
                ),
            )
        ),
        "task name": lambda: labelled.registry.CreateTask(
            rs.CreateTaskRequest(id=task_id("t" * HUGE), spec=task_spec([var("x", INT)]))
        ),
    }
    for what, call in calls.items():
        with pytest.raises(grpc.RpcError) as refused:
            call()
        code, details = refusal(refused.value)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, what
        assert len(details.encode()) < SMALL_DETAILS, (what, details[:300])
        assert f"({HUGE} bytes)" in details or "more bytes)" in details, (what, details)
    assert count_executions(labelled) == 0
    assert launch(labelled).execution.id.name


# --- lineage pages --------------------------------------------------------------------------


@pytest.fixture
def shared(tmp_path: Path, database_url: str) -> Iterator[tuple[LineageHarness, str]]:
    """A control plane answering at most PAGE_CAP steps a page, and an artifact CONSUMERS
    executions took in and fed to one node each."""
    with lineage_plane(tmp_path, database_url, max_lineage_steps=PAGE_CAP) as harness:
        shared_hash = sha256_hex(b"a widely shared value")
        index_consumers(harness, shared_hash, [f"e{i:04d}" for i in range(CONSUMERS)])
        yield harness, shared_hash


def index_consumers(harness: LineageHarness, shared_hash: str, names: list[str]) -> None:
    records = []
    for name in names:
        execution = ExecutionIdentifier(project=harness.project, domain=DOMAIN, name=name)
        taken = LineageRecord(
            artifact_hash=shared_hash, execution_id=execution, node_id="", name="x", size=1
        )
        taken.created_at.GetCurrentTime()
        used = LineageRecord(
            artifact_hash=sha256_hex(name.encode()),
            execution_id=execution,
            node_id="n",
            name="o",
            size=1,
            inputs={"x": shared_hash},
        )
        used.created_at.GetCurrentTime()
        records += [taken, used]
    repository = LineageRepository(make_sessions(harness.plane.engine))
    repository.index(store_records(harness.store, records))


def pages(
    harness: LineageHarness, shared_hash: str, direction: int, page_size: int = 0
) -> list[ls.GetLineageResponse]:
    request = ls.GetLineageRequest(
        artifact_hash=shared_hash, direction=direction, page_size=page_size
    )
    answers = []
    while True:
        answer = harness.lineage.GetLineage(request)
        answers.append(answer)
        if not answer.next_page_token:
            return answers
        request.page_token = answer.next_page_token
        assert len(answers) <= CONSUMERS * 2, "the pages never end"


def step_names(graph: LineageGraph) -> list[tuple[str, str]]:
    return [(s.id.execution_id.name, s.id.node_id) for s in graph.steps]


def test_a_widely_shared_artifact_comes_in_pages_of_at_most_the_cap(
    shared: tuple[LineageHarness, str],
) -> None:
    harness, shared_hash = shared
    answers = pages(harness, shared_hash, ls.LINEAGE_DIRECTION_DOWNSTREAM)
    assert [len(a.graph.steps) for a in answers] == [40, 40, 40, 30]
    seen = [name for a in answers for name in step_names(a.graph)]
    assert sorted(seen) == [(f"e{i:04d}", "n") for i in range(CONSUMERS)]
    for answer in answers:
        hashes = {a.hash for a in answer.graph.artifacts}
        touched = {h for s in answer.graph.steps for h in (*s.inputs.values(), *s.outputs.values())}
        assert touched <= hashes
        assert shared_hash in hashes


def test_both_directions_and_a_smaller_page_size(shared: tuple[LineageHarness, str]) -> None:
    harness, shared_hash = shared
    answers = pages(harness, shared_hash, ls.LINEAGE_DIRECTION_BOTH, page_size=25)
    assert all(len(a.graph.steps) <= 25 for a in answers)
    seen = [name for a in answers for name in step_names(a.graph)]
    assert len(seen) == len(set(seen)) == 2 * CONSUMERS
    # A page size above the cap is served as the cap.
    first = harness.lineage.GetLineage(
        ls.GetLineageRequest(
            artifact_hash=shared_hash, direction=ls.LINEAGE_DIRECTION_BOTH, page_size=10_000
        )
    )
    assert len(first.graph.steps) == PAGE_CAP


def test_the_sdk_follows_every_page(shared: tuple[LineageHarness, str]) -> None:
    harness, shared_hash = shared
    remote = Remote(
        harness.plane.grpc_address, token=resolve_token(home=harness.plane.settings.home)
    )
    graph = remote.lineage(shared_hash, "downstream")
    assert sorted(step_names(graph)) == [(f"e{i:04d}", "n") for i in range(CONSUMERS)]
    assert len({a.hash for a in graph.artifacts}) == len(graph.artifacts) == CONSUMERS + 1
    times = [(s.created_at.seconds, s.created_at.nanos) for s in graph.steps]
    assert times == sorted(times)


def test_steps_recorded_between_pages_do_not_repeat_or_lose_the_rest(
    shared: tuple[LineageHarness, str],
) -> None:
    harness, shared_hash = shared
    request = ls.GetLineageRequest(
        artifact_hash=shared_hash, direction=ls.LINEAGE_DIRECTION_DOWNSTREAM
    )
    first = harness.lineage.GetLineage(request)
    # New consumers that the walk orders before the first page's last step.
    index_consumers(harness, shared_hash, [f"a{i:03d}" for i in range(30)])
    request.page_token = first.next_page_token
    rest = pages_from(harness, request)
    seen = step_names(first.graph) + [n for a in rest for n in step_names(a.graph)]
    assert len(seen) == len(set(seen))
    assert {(f"e{i:04d}", "n") for i in range(CONSUMERS)} <= set(seen)


def pages_from(
    harness: LineageHarness, request: ls.GetLineageRequest
) -> list[ls.GetLineageResponse]:
    answers = []
    while request.page_token:
        answer = harness.lineage.GetLineage(request)
        answers.append(answer)
        request.page_token = answer.next_page_token
    return answers


def tampered(token: str, edit: Callable[[list[object]], object]) -> str:
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    cursor = json.loads(data["c"])
    data["c"] = json.dumps(edit(cursor))
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_tampered_or_foreign_page_token_is_refused(shared: tuple[LineageHarness, str]) -> None:
    harness, shared_hash = shared
    request = ls.GetLineageRequest(
        artifact_hash=shared_hash, direction=ls.LINEAGE_DIRECTION_DOWNSTREAM
    )
    token = harness.lineage.GetLineage(request).next_page_token
    bad_tokens = {
        "garbage": "not-a-token",
        "moved offset": tampered(token, lambda c: [c[0] + 7, *c[1:]]),
        "zero offset": tampered(token, lambda c: [0, *c[1:]]),
        "other step": tampered(token, lambda c: [c[0], c[1], c[2], "e9999", "n"]),
        "not a cursor": tampered(token, lambda c: {"offset": c[0]}),
    }
    for what, bad in bad_tokens.items():
        request.page_token = bad
        with pytest.raises(grpc.RpcError) as refused:
            harness.lineage.GetLineage(request)
        code, details = refusal(refused.value)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, what
        assert details.startswith("page_token: "), what
    # A token of another request (another direction) is refused too.
    other = ls.GetLineageRequest(
        artifact_hash=shared_hash, direction=ls.LINEAGE_DIRECTION_BOTH, page_token=token
    )
    with pytest.raises(grpc.RpcError) as refused:
        harness.lineage.GetLineage(other)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    request.page_size = -1
    request.page_token = ""
    with pytest.raises(grpc.RpcError) as refused:
        harness.lineage.GetLineage(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # The real token still works, and the lineage is whole.
    request.page_size = 0
    request.page_token = token
    assert len(harness.lineage.GetLineage(request).graph.steps) == PAGE_CAP


def test_an_execution_with_more_steps_than_a_page_comes_in_pages(
    shared: tuple[LineageHarness, str],
) -> None:
    harness, shared_hash = shared
    execution = ExecutionIdentifier(project=harness.project, domain=DOMAIN, name="big")
    records = []
    for i in range(100):
        record = LineageRecord(
            artifact_hash=sha256_hex(f"big {i}".encode()),
            execution_id=execution,
            node_id=f"n{i:03d}",
            name="o",
            size=1,
            inputs={"x": shared_hash},
        )
        record.created_at.GetCurrentTime()
        records.append(record)
    repository = LineageRepository(make_sessions(harness.plane.engine))
    repository.index(store_records(harness.store, records))
    request = ls.GetLineageRequest(
        execution_id=execution, direction=ls.LINEAGE_DIRECTION_UPSTREAM, page_size=30
    )
    first = harness.lineage.GetLineage(request)
    request.page_token = first.next_page_token
    answers = [first, *pages_from(harness, request)]
    assert [len(a.graph.steps) for a in answers] == [30] * 8 + [10]
    seen = [name for a in answers for name in step_names(a.graph)]
    assert len(seen) == len(set(seen))
    # Its own nodes, then upstream of the value it took in: the input steps of every
    # execution that took the shared value in.
    assert {n for n in seen if n[0] == "big"} == {("big", f"n{i:03d}") for i in range(100)}
    assert {n for n in seen if n[0] != "big"} == {(f"e{i:04d}", "") for i in range(CONSUMERS)}
