"""Remote's lineage queries: where an artifact came from, what it fed, which execution
produced some bytes, and how two executions differ."""

from __future__ import annotations

import os
from typing import Literal

from graven.errors import GravenValueError
from graven.remote_blobs import content_ref
from graven.store.content import ContentRef
from graven.v1 import identifier_pb2 as idl
from graven.v1 import lineage_pb2
from graven.v1 import lineage_service_pb2 as lin
from graven.v1.lineage_service_pb2_grpc import LineageServiceStub

Direction = Literal["upstream", "downstream", "both"]
DIRECTIONS: dict[str, lin.LineageDirection] = {
    "upstream": lin.LINEAGE_DIRECTION_UPSTREAM,
    "downstream": lin.LINEAGE_DIRECTION_DOWNSTREAM,
    "both": lin.LINEAGE_DIRECTION_BOTH,
}


class LineageCalls:
    """Mixed into ``Remote``, which supplies the stub."""

    lineage_service: LineageServiceStub

    def lineage(
        self,
        subject: str | idl.ExecutionIdentifier,
        direction: Direction = "upstream",
        depth: int = 0,
    ) -> lineage_pb2.LineageGraph:
        """The graph around an artifact ("sha256:<hex>") or an execution, ``depth`` steps
        (0: all the way) towards the producers, the consumers or both; every page of it (the
        server answers at most its max_lineage_steps steps a call)."""
        if direction not in DIRECTIONS:
            raise GravenValueError(
                f"lineage direction {direction!r} must be one of {', '.join(DIRECTIONS)}"
            )
        if depth < 0:
            raise GravenValueError(f"lineage depth {depth} must be 0 (no limit) or more")
        request = lin.GetLineageRequest(direction=DIRECTIONS[direction], depth=depth)
        if isinstance(subject, idl.ExecutionIdentifier):
            request.execution_id.CopyFrom(subject)
        else:
            request.artifact_hash = subject
        graph = lineage_pb2.LineageGraph()
        seen: set[str] = set()
        while True:
            page = self.lineage_service.GetLineage(request)
            graph.steps.extend(page.graph.steps)
            # An artifact several pages' steps touch comes with each of them.
            for artifact in page.graph.artifacts:
                if artifact.hash not in seen:
                    seen.add(artifact.hash)
                    graph.artifacts.append(artifact)
            if not page.next_page_token:
                return _in_order(graph)
            request.page_token = page.next_page_token

    def artifact(self, artifact_hash: str) -> lineage_pb2.Artifact:
        """A stored value's type, size and every lineage record of it."""
        request = lin.GetArtifactRequest(hash=artifact_hash)
        return self.lineage_service.GetArtifact(request).artifact

    def find_by_content(
        self, source: bytes | str | os.PathLike[str] | ContentRef
    ) -> list[lineage_pb2.Artifact]:
        """The artifacts holding these bytes (or a file's content), hashed here, so the
        content itself never travels."""
        ref = source if isinstance(source, ContentRef) else content_ref(source)
        request = lin.FindByContentRequest(content_hash=ref.digest)
        return list(self.lineage_service.FindByContent(request).artifacts)

    def diff_executions(
        self, a: idl.ExecutionIdentifier, b: idl.ExecutionIdentifier
    ) -> lin.DiffExecutionsResponse:
        """Every node of either execution, with what differs: task version, code, inputs,
        outputs."""
        return self.lineage_service.DiffExecutions(lin.DiffExecutionsRequest(a=a, b=b))


def _in_order(graph: lineage_pb2.LineageGraph) -> lineage_pb2.LineageGraph:
    """The pages' steps and artifacts in the order of one answer: oldest first, ties by
    identity (each page is ordered so, not the pages among themselves)."""

    def step_order(step: lineage_pb2.LineageStep) -> tuple[int, int, str, str, str, str]:
        execution = step.id.execution_id
        at = step.created_at
        return (
            at.seconds,
            at.nanos,
            execution.project,
            execution.domain,
            execution.name,
            step.id.node_id,
        )

    steps = sorted(graph.steps, key=step_order)
    artifacts = sorted(
        graph.artifacts, key=lambda a: (a.created_at.seconds, a.created_at.nanos, a.hash)
    )
    return lineage_pb2.LineageGraph(steps=steps, artifacts=artifacts)
