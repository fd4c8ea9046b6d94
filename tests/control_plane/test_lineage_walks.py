"""Lineage walks over random DAGs of records: GetLineage answers what a plain breadth-first
walk of the DAG finds, for every subject, direction and depth."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lineage_support import LineageHarness, lineage_plane, now

from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.lineage_repository import IndexedRecord, LineageRepository
from graven.digests import sha256_hex
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.identifier_pb2 import ExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord

WORKFLOW_INPUTS = ("w0", "w1")


@dataclass(frozen=True)
class Step:
    node_id: str
    inputs: dict[str, str]  # input name -> artifact name
    outputs: tuple[str, ...]  # artifact names


@st.composite
def dags(draw: st.DrawFn) -> list[Step]:
    """An execution's inputs step, then nodes consuming earlier artifacts."""
    steps = [Step("", {}, WORKFLOW_INPUTS)]
    available = list(WORKFLOW_INPUTS)
    for i in range(draw(st.integers(1, 7))):
        consumed = draw(st.lists(st.sampled_from(available), max_size=3, unique=True))
        outputs = tuple(f"n{i}.o{k}" for k in range(draw(st.integers(1, 2))))
        steps.append(Step(f"n{i}", {f"in{k}": a for k, a in enumerate(consumed)}, outputs))
        available.extend(outputs)
    return steps


def expected(steps: list[Step], artifact: str, upstream: bool, depth: int) -> set[str]:
    """The node ids a breadth-first walk reaches within ``depth`` steps (0: any)."""
    reached: set[str] = set()
    frontier = {artifact}
    level = 0
    while frontier and (depth == 0 or level < depth):
        level += 1
        new = [
            s
            for s in steps
            if s.node_id not in reached
            and frontier & (set(s.outputs) if upstream else set(s.inputs.values()))
        ]
        reached.update(s.node_id for s in new)
        frontier = {a for s in new for a in (s.inputs.values() if upstream else s.outputs)}
    return reached


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[LineageHarness]:
    with lineage_plane(tmp_path, database_url) as harness:
        yield harness


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=dags(), data=st.data())
def test_walks_reach_what_a_breadth_first_walk_reaches(
    cp: LineageHarness, steps: list[Step], data: st.DataObject
) -> None:
    execution = ExecutionIdentifier(project=cp.project, domain="dev", name=uuid.uuid4().hex[:12])
    hashes: dict[str, str] = {}

    def hash_of(artifact: str) -> str:
        return hashes.setdefault(artifact, sha256_hex(f"{execution.name}/{artifact}".encode()))

    records = [
        LineageRecord(
            artifact_hash=hash_of(output),
            execution_id=execution,
            node_id=step.node_id,
            name=output,
            inputs={name: hash_of(a) for name, a in step.inputs.items()},
            created_at=now(),
        )
        for step in steps
        for output in step.outputs
    ]
    LineageRepository(make_sessions(cp.plane.engine)).index(map(IndexedRecord.of, records))

    artifact = data.draw(st.sampled_from(sorted({a for s in steps for a in s.outputs})))
    depth = data.draw(st.integers(0, 4))
    for upstream, direction in (
        (True, ls.LINEAGE_DIRECTION_UPSTREAM),
        (False, ls.LINEAGE_DIRECTION_DOWNSTREAM),
    ):
        graph = cp.graph(hash_of(artifact), direction, depth).graph
        want = expected(steps, artifact, upstream, depth)
        assert {s.id.node_id for s in graph.steps} == want
        touched = {hash_of(artifact)} | {
            hash_of(a) for s in steps if s.node_id in want for a in (*s.inputs.values(), *s.outputs)
        }
        assert {a.hash for a in graph.artifacts} == touched
    both = cp.graph(hash_of(artifact), ls.LINEAGE_DIRECTION_BOTH, depth).graph
    assert {s.id.node_id for s in both.steps} == expected(steps, artifact, True, depth) | expected(
        steps, artifact, False, depth
    )
