"""CacheService over a real gRPC server: explaining hits and misses, listing and evicting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN
from lineage_support import LineageHarness, Run, lineage_plane

from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.store.layout import LINEAGE_MARK, artifact_key
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import Identifier, NodeExecutionIdentifier


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[LineageHarness]:
    with lineage_plane(tmp_path, database_url) as harness:
        yield harness


def cached_run(cp: LineageHarness, workflow: Identifier, x: int, code: str = "") -> Run:
    """An execution whose inc1 computed its (cached) output."""
    run = cp.start(cp.create(workflow, x=int_literal(x)))
    run.succeed("inc1", cached=True, code=code)
    return run


def explain(cp: LineageHarness, node: NodeExecutionIdentifier) -> cs.ExplainCacheResponse:
    return cp.cache.ExplainCache(cs.ExplainCacheRequest(node_execution_id=node))


def test_a_hit_is_explained_by_the_entry_it_reused(cp: LineageHarness) -> None:
    workflow = cp.register()
    first = cached_run(cp, workflow.id, 1)
    second = cp.start(cp.create(workflow.id, x=int_literal(1)))
    (hit,) = second.reserve("inc1")
    second.succeed("inc1", cached=True, hit=hit)
    answer = explain(cp, second.node("inc1"))
    assert answer.status == pb.CACHE_STATUS_HIT
    assert answer.key == hit.entry.key
    assert answer.components == second.components("inc1")
    assert answer.entry == hit.entry
    assert answer.entry.source == first.node("inc1")
    assert list(answer.changed) == []
    assert answer.reason.startswith("hit")
    assert first.id.name in answer.reason


def test_a_miss_names_the_components_that_changed(cp: LineageHarness) -> None:
    workflow = cp.register()
    first = cached_run(cp, workflow.id, 1)

    edited = cached_run(cp, workflow.id, 1, code=sha256_hex(b"edited inc"))
    answer = explain(cp, edited.node("inc1"))
    assert answer.status == pb.CACHE_STATUS_POPULATED
    assert list(answer.changed) == ["code_digest"]
    assert answer.entry.source == first.node("inc1")
    assert "code_digest" in answer.reason

    # Compared with the nearest earlier entry: the edited run's, made just before.
    other_input = cached_run(cp, workflow.id, 5)
    answer = explain(cp, other_input.node("inc1"))
    assert answer.entry.source == edited.node("inc1")
    assert list(answer.changed) == ["code_digest", "inputs.x"]
    assert "code_digest, inputs.x changed" in answer.reason


def test_a_first_run_has_no_earlier_entry(cp: LineageHarness) -> None:
    workflow = cp.register()
    run = cached_run(cp, workflow.id, 1)
    answer = explain(cp, run.node("inc1"))
    assert answer.status == pb.CACHE_STATUS_POPULATED
    assert not answer.HasField("entry")
    assert list(answer.changed) == []
    assert "no earlier cache entry" in answer.reason


def test_an_overwrite_and_an_uncached_node_are_explained(cp: LineageHarness) -> None:
    workflow = cp.register()
    cached_run(cp, workflow.id, 1)
    forced = cp.start(cp.create(workflow.id, x=int_literal(1)))
    assert [a.decision for a in forced.reserve("inc1", overwrite=True)] == [ag.CACHE_DECISION_RUN]
    forced.succeed("inc1", cached=True, status=pb.CACHE_STATUS_OVERWRITTEN)
    answer = explain(cp, forced.node("inc1"))
    assert answer.status == pb.CACHE_STATUS_OVERWRITTEN
    assert list(answer.changed) == []
    assert "overwrite" in answer.reason
    # The overwrite made the newest entry: a hit now reuses it.
    (hit,) = cp.start(cp.create(workflow.id, x=int_literal(1))).reserve("inc1")
    assert hit.entry.source == forced.node("inc1")

    plain = cp.run(workflow.id, x=3)
    answer = explain(cp, plain.node("inc2"))
    assert answer.status == pb.CACHE_STATUS_UNSPECIFIED
    assert answer.key == ""
    assert "no cache key" in answer.reason


def test_explaining_a_missing_node_is_not_found(cp: LineageHarness) -> None:
    run = cached_run(cp, cp.register().id, 1)
    for node, code, named in [
        (NodeExecutionIdentifier(execution_id=run.id, node_id="nope"), "NOT_FOUND", "'nope'"),
        (NodeExecutionIdentifier(execution_id=run.id), "INVALID_ARGUMENT", "node_id"),
        (NodeExecutionIdentifier(), "INVALID_ARGUMENT", "node_execution_id"),
    ]:
        with pytest.raises(grpc.RpcError) as caught:
            explain(cp, node)
        assert caught.value.code().name == code
        assert named in (caught.value.details() or "")


def list_entries(cp: LineageHarness, **fields: object) -> cs.ListCacheEntriesResponse:
    request = cs.ListCacheEntriesRequest(project=cp.project, domain=DOMAIN, **fields)  # type: ignore[arg-type]
    return cp.cache.ListCacheEntries(request)


def test_entries_are_listed_newest_first_page_by_page(cp: LineageHarness) -> None:
    workflow = cp.register()
    runs = [cached_run(cp, workflow.id, x) for x in range(5)]
    fmt = runs[0]
    fmt.succeed("inc2")
    fmt.succeed("fmt", cached=True)
    every = list_entries(cp).entries
    assert [e.source for e in every] == [fmt.node("fmt")] + [
        run.node("inc1") for run in reversed(runs)
    ]
    pages, token = [], ""
    while True:
        page = list_entries(cp, task_name="inc", page_size=2, page_token=token)
        pages.append([e.source.execution_id.name for e in page.entries])
        token = page.next_page_token
        if not token:
            break
    assert pages == [
        [runs[4].id.name, runs[3].id.name],
        [runs[2].id.name, runs[1].id.name],
        [runs[0].id.name],
    ]
    with pytest.raises(grpc.RpcError) as caught:
        list_entries(cp, task_name="fmt", page_token=list_entries(cp, page_size=1).next_page_token)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in (caught.value.details() or "")


def evict(cp: LineageHarness, **fields: object) -> int:
    request = cs.EvictCacheRequest(project=cp.project, domain=DOMAIN, **fields)  # type: ignore[arg-type]
    return cp.cache.EvictCache(request).evicted


def test_evicting_stops_reuse_but_keeps_artifacts_and_lineage(cp: LineageHarness) -> None:
    workflow = cp.register()
    first = cached_run(cp, workflow.id, 1)
    key = first.records["inc1"][0].cache_key
    output = first.output_hash("inc1")
    before = cp.artifact(output).artifact

    assert evict(cp, key=sha256_hex(b"no such key")) == 0
    assert evict(cp, key=key) == 1
    assert list_entries(cp).entries == []
    # The artifact, its record and its lineage are all still there.
    assert cp.artifact(output).artifact == before
    assert cp.store.exists(artifact_key(output))
    assert list(cp.store.list(artifact_key(output) + LINEAGE_MARK))
    assert [s.id.node_id for s in cp.graph(output).graph.steps] == ["", "inc1"]
    # A later run of the key computes it again.
    again = cp.start(cp.create(workflow.id, x=int_literal(1)))
    assert [a.decision for a in again.reserve("inc1")] == [ag.CACHE_DECISION_RUN]


def test_evicting_by_task_and_by_age(cp: LineageHarness) -> None:
    workflow = cp.register()
    old = [cached_run(cp, workflow.id, x) for x in range(3)]
    cutoff = old[-1].records["inc1"][0].created_at
    newer = cached_run(cp, workflow.id, 10)
    entries = list_entries(cp).entries
    assert len(entries) == 4
    assert entries[0].source == newer.node("inc1")
    assert entries[0].created_at.ToNanoseconds() > cutoff.ToNanoseconds()
    assert evict(cp, task_name="fmt") == 0
    assert evict(cp, created_before=entries[0].created_at) == 3
    assert [e.source for e in list_entries(cp).entries] == [newer.node("inc1")]
    assert evict(cp, task_name="inc") == 1
    assert list_entries(cp).entries == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, "task_name"),
        ({"key": "not-a-digest"}, "key"),
        ({"task_name": "Bad Name!"}, "task_name"),
        ({"project": "", "task_name": "inc"}, "project"),
    ],
)
def test_bad_evict_requests_are_invalid(
    cp: LineageHarness, fields: dict[str, object], named: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        cp.cache.EvictCache(
            cs.EvictCacheRequest(**{"project": cp.project, "domain": DOMAIN, **fields})  # type: ignore[arg-type]
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith(named)
