"""LineageService over Connect: each method hands the request to the service layer.

UploadContent stays unimplemented here: browsers cannot stream a request, and clients that
upload files (the SDK, the CLI) speak gRPC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graven.control_plane.service.lineage import LineageService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import lineage_service_connect as ls_connect
from graven.v1 import lineage_service_pb2 as ls


class LineageConnect(ls_connect.LineageService):
    def __init__(self, lineage: LineageService, blocking: Blocking) -> None:
        self._lineage = lineage
        self._blocking = blocking

    async def get_artifact(
        self, request: ls.GetArtifactRequest, ctx: Context
    ) -> ls.GetArtifactResponse:
        return await self._blocking.call(self._lineage.get_artifact, request)

    async def get_lineage(
        self, request: ls.GetLineageRequest, ctx: Context
    ) -> ls.GetLineageResponse:
        return await self._blocking.call(self._lineage.get_lineage, request)

    async def find_by_content(
        self, request: ls.FindByContentRequest, ctx: Context
    ) -> ls.FindByContentResponse:
        return await self._blocking.call(self._lineage.find_by_content, request)

    async def diff_executions(
        self, request: ls.DiffExecutionsRequest, ctx: Context
    ) -> ls.DiffExecutionsResponse:
        return await self._blocking.call(self._lineage.diff_executions, request)

    def read_content(
        self, request: ls.ReadContentRequest, ctx: Context
    ) -> AsyncIterator[ls.ReadContentResponse]:
        return self._blocking.stream(
            lambda _: self._lineage.read_content(request), "LineageService.ReadContent"
        )
