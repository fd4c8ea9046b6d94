"""A lineage query of depth 10 over 100,000 stored artifacts, on SQLite and PostgreSQL.

The index is filled through the lineage repository in bulk, as event batches fill it: 1,000
executions, each an inputs step and a chain of 100 nodes where every node consumes the
outputs of the two nodes before it, so each level of a walk meets more than one step. Every
execution's inputs are the same content, as repeated runs of one workflow share them. The
query is GetLineage over gRPC on a control plane serving that database: upstream 10 steps
from a chain's last output, and downstream 10 steps from a chain's first one, each timed on
a different execution. There is no raw Ray counterpart to a database query.

    python -m bench.lineage [--repeat 7] [--no-postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.context import Context
from bench.figures import Figure
from bench.stats import Timing
from graven.channels import open_channel
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.control_plane.persistence.base import make_sessions
from graven.control_plane.persistence.lineage_repository import IndexedRecord, LineageRepository
from graven.control_plane.persistence.postgres_cluster import find_binaries, running_postgres
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.digests import sha256_hex
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub
from graven.v1.types_pb2 import SIMPLE_TYPE_INTEGER, LiteralType

EXECUTIONS = 1_000
CHAIN = 100
DEPTH = 10
TARGET_MS = 50
# Records per repository call: one event batch of a large fan-out.
BATCH = 5_000
INT = LiteralType(simple=SIMPLE_TYPE_INTEGER)
WORKFLOW = Identifier(project="bench", domain="dev", name="chain", version="v1")


@dataclass(frozen=True)
class Measured:
    upstream: Timing
    downstream: Timing
    artifacts: int
    fill_seconds: float


def _execution(i: int) -> ExecutionIdentifier:
    return ExecutionIdentifier(project="bench", domain="dev", name=f"run{i:05d}")


def _output(i: int, node: int) -> str:
    return sha256_hex(f"run{i}/n{node}".encode())


INPUT = sha256_hex(b"the shared input")


def _records(i: int, created: int) -> Iterator[LineageRecord]:
    """One execution: its input, then the chain (node k consumes nodes k-1 and k-2)."""
    execution = _execution(i)
    stamp = to_timestamp(datetime.fromtimestamp(created, UTC))
    yield LineageRecord(
        artifact_hash=INPUT,
        type=INT,
        size=3,
        execution_id=execution,
        workflow_id=WORKFLOW,
        name="x",
        created_at=stamp,
    )
    for node in range(CHAIN):
        consumed = {"a": _output(i, node - 1) if node >= 1 else INPUT}
        if node >= 2:
            consumed["b"] = _output(i, node - 2)
        yield LineageRecord(
            artifact_hash=_output(i, node),
            type=INT,
            size=3,
            execution_id=execution,
            workflow_id=WORKFLOW,
            node_id=f"n{node}",
            name="o",
            attempt=1,
            task_id=Identifier(project="bench", domain="dev", name="step", version="v1"),
            code_digest=sha256_hex(b"step"),
            inputs=consumed,
            created_at=stamp,
        )


def fill(repository: LineageRepository) -> int:
    """Index every execution's records, a batch at a time; how many artifacts there are."""
    batch: list[IndexedRecord] = []
    start = 1_700_000_000
    for i in range(EXECUTIONS):
        batch.extend(map(IndexedRecord.of, _records(i, start + i)))
        if len(batch) >= BATCH:
            repository.index(batch)
            batch = []
    repository.index(batch)
    return EXECUTIONS * CHAIN + 1


def measure(home: Path, db_url: str, repeat: int) -> Measured:
    """Fill a new database, serve it, and time the two queries ``repeat`` times each (after
    one warm-up), each run on another execution."""
    settings = Settings.for_home(home, db_url=db_url, grpc_port=0)
    with ControlPlane(settings) as plane:
        started = time.perf_counter()
        artifacts = fill(LineageRepository(make_sessions(plane.engine)))
        fill_seconds = time.perf_counter() - started
        with open_channel(plane.grpc_address, plane.home_tokens.admin) as channel:
            lineage = LineageServiceStub(channel)

            def timed(direction: ls.LineageDirection, node: int, want: int) -> Timing:
                samples = []
                for run in range(repeat + 1):
                    i = (run * 97) % EXECUTIONS
                    request = ls.GetLineageRequest(
                        artifact_hash=_output(i, node),
                        direction=direction,
                        depth=DEPTH,
                    )
                    begin = time.perf_counter()
                    graph = lineage.GetLineage(request).graph
                    elapsed = time.perf_counter() - begin
                    if len(graph.steps) != want:
                        raise AssertionError(f"{len(graph.steps)} steps, expected {want}")
                    if run:
                        samples.append(elapsed)
                return Timing(tuple(samples))

            # Each level meets two new nodes (node k consumes k-1 and k-2), except the first
            # level upstream: the last node alone produced the last output.
            upstream = timed(ls.LINEAGE_DIRECTION_UPSTREAM, CHAIN - 1, 2 * DEPTH - 1)
            downstream = timed(ls.LINEAGE_DIRECTION_DOWNSTREAM, 0, 2 * DEPTH)
    return Measured(upstream, downstream, artifacts, fill_seconds)


@contextmanager
def databases(home: Path, postgres: bool) -> Iterator[list[tuple[str, str]]]:
    """(name, url) of a new SQLite database, and of a PostgreSQL one when wanted and
    installed."""
    with ExitStack() as stack:
        found = [("SQLite", f"sqlite:///{home / 'lineage.db'}")]
        binaries = find_binaries() if postgres else None
        if binaries is not None:
            cluster = stack.enter_context(running_postgres(binaries))
            found.append(("PostgreSQL", cluster.url(cluster.create_database())))
        yield found


def run(repeat: int, postgres: bool = True) -> Iterator[tuple[str, Measured]]:
    with (
        tempfile.TemporaryDirectory(prefix="graven-bench-lineage-") as folder,
        databases(Path(folder), postgres) as found,
    ):
        for name, url in found:
            yield name, measure(Path(folder) / name, url, repeat)


def figures(context: Context) -> Iterator[Figure]:
    """SQLite; PostgreSQL too unless the suite is quick (filling it takes a minute)."""
    for name, measured in run(context.runs(7), postgres=not context.quick):
        note = (
            f"{measured.artifacts:,} artifacts indexed in {measured.fill_seconds:.0f} s; "
            "no raw Ray counterpart"
        )
        for direction, timing in (
            ("upstream", measured.upstream),
            ("downstream", measured.downstream),
        ):
            yield Figure(
                "lineage",
                f"GetLineage {direction}, depth {DEPTH}, {name}",
                graven=timing,
                target=f"≤ {TARGET_MS} ms",
                note=note,
            )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lineage", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="timed queries per figure")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    print(f"Lineage query, depth {DEPTH}, over gRPC (target ≤ {TARGET_MS} ms)")
    for name, measured in run(args.repeat, postgres=not args.no_postgres):
        print(
            f"  {name}: {measured.artifacts:,} artifacts indexed in {measured.fill_seconds:.1f} s"
        )
        for direction, timing in (
            ("upstream", measured.upstream),
            ("downstream", measured.downstream),
        ):
            print(f"    {direction:10s} {timing.describe()}")


if __name__ == "__main__":
    main()
