"""Migration 0003 (lineage and cache) on a database that holds executions already: their
nodes read back with the new columns empty, and the new tables carry the constraints that
make indexing idempotent and reservations race-safe."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, inspect

from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.execution_models import ExecutionRow, NodeExecutionRow
from graven.control_plane.persistence.execution_repository import ExecutionKey, ExecutionRepository
from graven.control_plane.persistence.migrate import upgrade
from graven.v1 import execution_pb2 as pb

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def test_an_upgrade_from_0002_keeps_executions_and_adds_the_index(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0002")
    # Written with the 0002 columns only.
    executions = ExecutionRow.__table__
    nodes = NodeExecutionRow.__table__
    with engine.begin() as connection:
        (execution_id,) = connection.execute(
            insert(executions).returning(executions.c.id),  # type: ignore[arg-type]
            {
                "project": "p",
                "domain": "d",
                "name": "old",
                "workflow_project": "p",
                "workflow_domain": "d",
                "workflow_name": "wf",
                "workflow_version": "v1",
                "mode": pb.EXECUTION_MODE_MANUAL,
                "spec": b"",
                "phase": pb.EXECUTION_PHASE_SUCCEEDED,
                "created_at": NOW,
                "updated_at": NOW,
                "outputs_uri": "",
                "terminate_requested": False,
                "terminate_reason": "",
                "revision": 2,
            },
        ).one()
        row = {
            "execution_id": execution_id,
            "node_id": "n",
            "task_project": "p",
            "task_domain": "d",
            "task_name": "t",
            "task_version": "v1",
            "phase": pb.NODE_PHASE_SUCCEEDED,
            "attempt": 1,
            "cache_status": pb.CACHE_STATUS_POPULATED,
            "cache_key": "k",
            "inputs_uri": "",
            "outputs_uri": "file:///out",
            "revision": 2,
        }
        # Only the columns given (none of 0003's) are written.
        connection.execute(insert(nodes), row)  # type: ignore[arg-type]

    upgrade(engine)
    repository = ExecutionRepository(make_sessions(engine))
    stored = repository.get(ExecutionKey("p", "d", "old"))
    assert stored is not None
    node = repository.nodes(stored)["n"]
    assert node.outputs_uri == "file:///out"
    assert node.cache_key == "k"
    assert not node.HasField("cache_key_components")
    assert dict(node.output_hashes) == {}

    schema = inspect(engine)
    assert {c["name"] for c in schema.get_unique_constraints("lineage_records")} == {
        "uq_lineage_records_digest"
    }
    assert {c["name"] for c in schema.get_unique_constraints("artifacts")} == {"uq_artifacts_hash"}
    assert {c["name"] for c in schema.get_unique_constraints("cache_entries")} == {
        "uq_cache_entries_source"
    }
    assert schema.get_pk_constraint("cache_reservations")["constrained_columns"] == ["key"]
    engine.dispose()
