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
        (0: all the way) towards the producers, the consumers or both."""
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
        return self.lineage_service.GetLineage(request).graph

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
