"""`reindex` rebuilds the lineage index from the store alone: after the database is dropped,
lineage answers exactly as before, and reindexing again changes nothing."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import Message
from lineage_support import LineageHarness, Run, lineage_plane
from sqlalchemy import make_url, text

from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_engine
from graven.control_plane.service.reindex import reindex
from graven.literals import int_literal
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1 import lineage_service_pb2 as ls


def drop_database(url: str) -> None:
    """Every table gone: the file of SQLite, the schema of PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def history(cp: LineageHarness) -> list[Run]:
    """Runs with shared content, a cache hit and a recovery."""
    workflow = cp.register()
    plain = cp.run(workflow.id, x=1)
    cached = cp.start(cp.create(workflow.id, x=int_literal(2)))
    cached.reserve("inc1")
    cached.succeed("inc1", cached=True)
    cached.succeed("inc2")
    cached.finish(pb.EXECUTION_PHASE_FAILED)
    hit = cp.start(cp.create(workflow.id, x=int_literal(2)))
    (answer,) = hit.reserve("inc1")
    hit.succeed("inc1", cached=True, hit=answer)
    hit.succeed("inc2")
    hit.succeed("fmt")
    hit.finish()
    recovered = cp.start(
        cp.executions.RecoverExecution(es.RecoverExecutionRequest(id=cached.id)).execution
    )
    recovered.outputs.update(cached.outputs)
    recovered.succeed("fmt")
    recovered.finish()
    return [plain, cached, hit, recovered]


def answers(cp: LineageHarness, runs: list[Run]) -> list[Message]:
    """Every kind of lineage answer about the runs."""
    found: list[Message] = []
    hashes = sorted(_hashes(runs))
    for direction in (
        ls.LINEAGE_DIRECTION_UPSTREAM,
        ls.LINEAGE_DIRECTION_DOWNSTREAM,
        ls.LINEAGE_DIRECTION_BOTH,
    ):
        for run in runs:
            found.append(cp.graph(run.id, direction))
        for artifact_hash in hashes:
            found.append(cp.graph(artifact_hash, direction))
            found.append(cp.graph(artifact_hash, direction, depth=1))
    for artifact_hash in hashes:
        found.append(cp.artifact(artifact_hash))
        found.append(cp.lineage.FindByContent(ls.FindByContentRequest(content_hash=artifact_hash)))
    for a in runs:
        for b in runs:
            found.append(cp.lineage.DiffExecutions(ls.DiffExecutionsRequest(a=a.id, b=b.id)))
    return found


def test_lineage_answers_the_same_after_the_database_is_rebuilt_from_the_store(
    tmp_path: Path, database_url: str
) -> None:
    with lineage_plane(tmp_path, database_url) as cp:
        runs = history(cp)
        before = answers(cp, runs)
        stored = sum(len(cp.artifact(h).artifact.records) for h in _hashes(runs))
    assert any(graph.ByteSize() > 0 for graph in before)

    drop_database(database_url)
    settings = Settings.for_home(tmp_path, db_url=database_url)
    count = reindex(settings)
    assert count >= stored > 0
    with lineage_plane(tmp_path, database_url) as cp:
        after = answers(cp, runs)
        assert after == before
        # The executions themselves are gone; only their lineage came back.
        assert (
            cp.executions.ListExecutions(
                es.ListExecutionsRequest(project=runs[0].id.project, domain=runs[0].id.domain)
            ).executions
            == []
        )

    # Reindexing an index that is complete adds nothing.
    assert reindex(settings) == count
    with lineage_plane(tmp_path, database_url) as cp:
        assert answers(cp, runs) == before


def _hashes(runs: list[Run]) -> set[str]:
    return {h for run in runs for h in map(run.output_hash, run.outputs)} | {
        literal.hash for run in runs for literal in run.inputs.values()
    }
