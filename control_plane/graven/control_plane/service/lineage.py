"""Lineage: where an artifact came from, what it fed, and how two executions differ.

Every answer comes from the lineage index alone (never from the execution tables), so it is
the same after `graven admin reindex` rebuilt the index from the store, even for executions
whose rows are gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graven.control_plane.config import DEFAULT_MAX_LINEAGE_STEPS
from graven.control_plane.errors import InvalidArgument, NotFound
from graven.control_plane.persistence.execution_repository import ExecutionKey
from graven.control_plane.persistence.lineage_repository import (
    ExecutionName,
    LineageIndex,
    LineageRepository,
    StepKey,
)
from graven.control_plane.service.contents import ContentStore
from graven.control_plane.service.executions import checked_key
from graven.control_plane.service.lineage_diff import diff_steps
from graven.control_plane.service.lineage_graph import LineageWalk, execution_boundary
from graven.control_plane.service.lineage_pages import (
    decode_lineage_cursor,
    encode_lineage_cursor,
)
from graven.control_plane.service.validation import check_digest
from graven.v1 import lineage_service_pb2 as ls
from graven.v1.lineage_pb2 import Artifact, LineageStep

DIRECTIONS = {
    ls.LINEAGE_DIRECTION_UNSPECIFIED: (True, False),
    ls.LINEAGE_DIRECTION_UPSTREAM: (True, False),
    ls.LINEAGE_DIRECTION_DOWNSTREAM: (False, True),
    ls.LINEAGE_DIRECTION_BOTH: (True, True),
}


class LineageService:
    def __init__(
        self,
        lineage: LineageRepository,
        contents: ContentStore,
        max_steps: int = DEFAULT_MAX_LINEAGE_STEPS,
    ) -> None:
        self._lineage = lineage
        self._contents = contents
        self._max_steps = max_steps

    def get_artifact(self, request: ls.GetArtifactRequest) -> ls.GetArtifactResponse:
        check_digest(request.hash, "hash")
        with self._lineage.reading() as index:
            found = _with_records(index, [request.hash])
        if not found:
            raise NotFound(f"artifact {request.hash} is not in the lineage index")
        return ls.GetArtifactResponse(artifact=found[0])

    def get_lineage(self, request: ls.GetLineageRequest) -> ls.GetLineageResponse:
        """One page of the walk: the steps in the order it reached them, at most the page
        size (and the server's cap), with the artifacts they touch (the first page also has
        the subject artifact). A page walks only as far as its own end, so however widely an
        artifact is shared, an answer loads no more than offset + page size steps (besides an
        execution subject's own steps, all loaded: its boundary needs every one)."""
        subject = request.WhichOneof("subject")
        if subject is None:
            raise InvalidArgument("subject", "give an artifact_hash or an execution_id")
        if request.direction not in DIRECTIONS:
            raise InvalidArgument("direction", f"{request.direction} is not a lineage direction")
        if request.page_size < 0:
            raise InvalidArgument("page_size", f"must not be negative, got {request.page_size}")
        size = min(request.page_size or self._max_steps, self._max_steps)
        upstream, downstream = DIRECTIONS[request.direction]
        depth = request.depth
        query = _query(request)
        cursor = decode_lineage_cursor(request.page_token, query)
        offset = 0 if cursor is None else cursor.offset
        also: list[str] = []
        with self._lineage.reading() as index:
            walk = LineageWalk(index, limit=offset + size + 1, skip=offset)
            if subject == "artifact_hash":
                artifact_hash = request.artifact_hash
                check_digest(artifact_hash, "artifact_hash")
                also.append(artifact_hash)
                start: dict[ExecutionName | None, set[str]] = {None: {artifact_hash}}
                if upstream:
                    walk.walk(start, upstream=True, depth=depth)
                if downstream:
                    walk.walk(start, upstream=False, depth=depth)
                if not walk.order and not index.artifacts([artifact_hash]):
                    raise NotFound(f"artifact {artifact_hash} is not in the lineage index")
            else:
                execution = checked_key(request.execution_id, "execution_id")
                # All of the execution's own steps: its boundary needs every one of them.
                own = walk.load(_execution_steps(index, execution))
                taken_in, given_out = execution_boundary(walk.steps[key] for key in own)
                if upstream:
                    walk.walk({None: taken_in}, upstream=True, depth=depth, expanded=own)
                if downstream:
                    walk.walk({None: given_out}, upstream=False, depth=depth, expanded=own)
            begin = 0 if cursor is None else cursor.resume_at(walk.order)
            end = offset + size
            page = walk.order[begin:end]
            graph = walk.graph(page, also if cursor is None else ())
        more = len(walk.order) > end
        token = encode_lineage_cursor(query, end, walk.order[end - 1]) if more else ""
        return ls.GetLineageResponse(graph=graph, next_page_token=token)

    def find_by_content(self, request: ls.FindByContentRequest) -> ls.FindByContentResponse:
        """Empty when no indexed artifact is or holds these bytes."""
        check_digest(request.content_hash, "content_hash")
        with self._lineage.reading() as index:
            artifacts = _with_records(index, index.containing(request.content_hash))
        return ls.FindByContentResponse(artifacts=artifacts)

    def diff_executions(self, request: ls.DiffExecutionsRequest) -> ls.DiffExecutionsResponse:
        a = checked_key(request.a, "a")
        b = checked_key(request.b, "b")
        with self._lineage.reading() as index:
            steps_a = _steps_by_node(index, a)
            steps_b = _steps_by_node(index, b)
        return diff_steps(steps_a, steps_b)

    def upload_content(
        self, header: ls.ContentHeader, chunks: Iterable[bytes]
    ) -> ls.UploadContentResponse:
        return self._contents.upload(header, chunks)

    def read_content(self, request: ls.ReadContentRequest) -> Iterator[ls.ReadContentResponse]:
        return self._contents.read(request.hash)


def _query(request: ls.GetLineageRequest) -> tuple[str, ...]:
    """What a page token is bound to: the subject, the direction and the depth (the page
    size may change between pages)."""
    execution = request.execution_id
    subject = (
        ("artifact", request.artifact_hash)
        if request.WhichOneof("subject") == "artifact_hash"
        else ("execution", execution.project, execution.domain, execution.name)
    )
    return ("lineage", *subject, str(request.direction), str(request.depth))


def _with_records(index: LineageIndex, hashes: Iterable[str]) -> list[Artifact]:
    """The indexed artifacts among ``hashes``, each with its records, in hash order."""
    found = index.artifacts(list(hashes))
    artifacts = []
    for artifact_hash, artifact in sorted(found.items()):
        artifact.records.extend(index.records(artifact_hash))
        artifacts.append(artifact)
    return artifacts


def _execution_steps(index: LineageIndex, execution: ExecutionKey) -> set[StepKey]:
    steps = index.execution_steps(execution)
    if not steps:
        raise NotFound(
            f"execution {execution} has no lineage: it does not exist, or has recorded no "
            "inputs or outputs yet"
        )
    return steps


def _steps_by_node(index: LineageIndex, execution: ExecutionKey) -> dict[str, LineageStep]:
    walk = LineageWalk(index)
    own = walk.load(_execution_steps(index, execution))
    return {key.node_id: walk.steps[key] for key in own}
