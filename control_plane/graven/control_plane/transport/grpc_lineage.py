"""LineageService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator

import grpc

from graven.control_plane.service.bundles import split_upload
from graven.control_plane.service.lineage import LineageService
from graven.control_plane.transport.grpc_errors import (
    Context,
    grpc_method,
    grpc_stream_method,
    grpc_upload_method,
)
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import lineage_service_pb2 as ls
from graven.v1 import lineage_service_pb2_grpc as ls_grpc


class LineageServicer(ls_grpc.LineageServiceServicer):
    service_name = ls.DESCRIPTOR.services_by_name["LineageService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, lineage: LineageService) -> None:
        self._lineage = lineage

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        ls_grpc.add_LineageServiceServicer_to_server(self, server)

    @grpc_method
    def GetArtifact(self, request: ls.GetArtifactRequest) -> ls.GetArtifactResponse:
        return self._lineage.get_artifact(request)

    @grpc_method
    def GetLineage(self, request: ls.GetLineageRequest) -> ls.GetLineageResponse:
        return self._lineage.get_lineage(request)

    @grpc_method
    def FindByContent(self, request: ls.FindByContentRequest) -> ls.FindByContentResponse:
        return self._lineage.find_by_content(request)

    @grpc_method
    def DiffExecutions(self, request: ls.DiffExecutionsRequest) -> ls.DiffExecutionsResponse:
        return self._lineage.diff_executions(request)

    @grpc_upload_method
    def UploadContent(
        self, request_iterator: Iterator[ls.UploadContentRequest]
    ) -> ls.UploadContentResponse:
        header, chunks = split_upload(request_iterator)
        return self._lineage.upload_content(header, chunks)

    @grpc_stream_method
    def ReadContent(
        self, request: ls.ReadContentRequest, context: Context
    ) -> AsyncIterator[ls.ReadContentResponse]:
        return self.offload.stream(functools.partial(self._lineage.read_content, request))
