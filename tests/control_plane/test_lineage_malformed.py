"""Bad LineageService and CacheService requests get a status a client can act on (naming the
field), never UNKNOWN or INTERNAL, and the server keeps serving."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from cp_support import DOMAIN, PROJECT
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc

from graven.digests import sha256_hex
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.cache_service_pb2_grpc import CacheServiceStub
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub

UNKNOWN = sha256_hex(b"never stored")
NOBODY = ExecutionIdentifier(project=PROJECT, domain=DOMAIN, name="nobody")
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND

CASES: list[tuple[str, Message, grpc.StatusCode, str]] = [
    ("GetArtifact", ls.GetArtifactRequest(), INVALID, "hash"),
    ("GetArtifact", ls.GetArtifactRequest(hash="sha256:ABC"), INVALID, "hash"),
    ("GetArtifact", ls.GetArtifactRequest(hash=UNKNOWN), NOT_FOUND, UNKNOWN),
    ("GetLineage", ls.GetLineageRequest(), INVALID, "subject"),
    ("GetLineage", ls.GetLineageRequest(artifact_hash="md5:1"), INVALID, "artifact_hash"),
    ("GetLineage", ls.GetLineageRequest(artifact_hash=UNKNOWN), NOT_FOUND, UNKNOWN),
    (
        "GetLineage",
        ls.GetLineageRequest(artifact_hash=UNKNOWN, direction=9),  # type: ignore[arg-type]
        INVALID,
        "direction",
    ),
    (
        "GetLineage",
        ls.GetLineageRequest(execution_id=ExecutionIdentifier(project=PROJECT, domain=DOMAIN)),
        INVALID,
        "execution_id.name",
    ),
    ("GetLineage", ls.GetLineageRequest(execution_id=NOBODY), NOT_FOUND, "nobody"),
    ("FindByContent", ls.FindByContentRequest(content_hash=""), INVALID, "content_hash"),
    ("DiffExecutions", ls.DiffExecutionsRequest(b=NOBODY), INVALID, "a"),
    (
        "DiffExecutions",
        ls.DiffExecutionsRequest(a=NOBODY, b=ExecutionIdentifier(project="Bad!")),
        INVALID,
        "b.project",
    ),
    ("DiffExecutions", ls.DiffExecutionsRequest(a=NOBODY, b=NOBODY), NOT_FOUND, "nobody"),
    ("ExplainCache", cs.ExplainCacheRequest(), INVALID, "node_execution_id"),
    (
        "ExplainCache",
        cs.ExplainCacheRequest(
            node_execution_id=NodeExecutionIdentifier(execution_id=NOBODY, node_id="n")
        ),
        NOT_FOUND,
        "nobody",
    ),
    ("ListCacheEntries", cs.ListCacheEntriesRequest(domain=DOMAIN), INVALID, "project"),
    (
        "ListCacheEntries",
        cs.ListCacheEntriesRequest(project=PROJECT, domain=DOMAIN, page_size=-1),
        INVALID,
        "page_size",
    ),
    (
        "ListCacheEntries",
        cs.ListCacheEntriesRequest(project=PROJECT, domain=DOMAIN, page_token="garbage"),
        INVALID,
        "page_token",
    ),
    (
        "EvictCache",
        cs.EvictCacheRequest(
            project=PROJECT, domain=DOMAIN, created_before=Timestamp(seconds=-(10**13))
        ),
        INVALID,
        "created_before",
    ),
]


@pytest.fixture(scope="session")
def stubs(grpc_channel: grpc.Channel) -> dict[str, Callable[[Message], Message]]:
    lineage = LineageServiceStub(grpc_channel)
    cache = CacheServiceStub(grpc_channel)
    return {name: getattr(lineage, name, None) or getattr(cache, name) for name, *_ in CASES}


@pytest.mark.parametrize(("method", "request_", "code", "named"), CASES)
def test_a_bad_request_gets_the_right_status(
    stubs: dict[str, Callable[[Message], Message]],
    grpc_channel: grpc.Channel,
    method: str,
    request_: Message,
    code: grpc.StatusCode,
    named: str,
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stubs[method](request_)
    assert caught.value.code() == code
    details = caught.value.details() or ""
    assert details.startswith(named) if code == INVALID else named in details
    health = health_pb2_grpc.HealthStub(grpc_channel)
    answer = health.Check(health_pb2.HealthCheckRequest(service="graven.v1.LineageService"))
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(
    "method",
    [
        "/graven.v1.LineageService/GetLineage",
        "/graven.v1.LineageService/GetArtifact",
        "/graven.v1.CacheService/EvictCache",
    ],
)
def test_undecodable_bytes_are_invalid(grpc_channel: grpc.Channel, method: str) -> None:
    call = grpc_channel.unary_unary(method)
    with pytest.raises(grpc.RpcError) as caught:
        call(b"\xff\xff\xff")
    assert caught.value.code() == INVALID
