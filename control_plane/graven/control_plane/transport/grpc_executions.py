"""ExecutionService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import grpc

from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.transport.client_limits import ClientLimit, grpc_client
from graven.control_plane.transport.grpc_cancellation import cancellation_of
from graven.control_plane.transport.grpc_errors import Context, grpc_method, grpc_stream_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import execution_service_pb2 as es
from graven.v1 import execution_service_pb2_grpc as es_grpc


class ExecutionServicer(es_grpc.ExecutionServiceServicer):
    service_name = es.DESCRIPTOR.services_by_name["ExecutionService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, executions: ExecutionService, max_watches_per_client: int) -> None:
        self._executions = executions
        self._watches = ClientLimit(
            max_watches_per_client, "WatchExecution streams", "max_watches_per_client"
        )

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        es_grpc.add_ExecutionServiceServicer_to_server(self, server)

    @grpc_method
    def CreateExecution(self, request: es.CreateExecutionRequest) -> es.CreateExecutionResponse:
        return self._executions.create_execution(request)

    @grpc_method
    def GetExecution(self, request: es.GetExecutionRequest) -> es.GetExecutionResponse:
        return self._executions.get_execution(request)

    @grpc_method
    def ListExecutions(self, request: es.ListExecutionsRequest) -> es.ListExecutionsResponse:
        return self._executions.list_executions(request)

    @grpc_method
    def ListNodeExecutions(
        self, request: es.ListNodeExecutionsRequest
    ) -> es.ListNodeExecutionsResponse:
        return self._executions.list_node_executions(request)

    @grpc_method
    def GetExecutionData(self, request: es.GetExecutionDataRequest) -> es.GetExecutionDataResponse:
        return self._executions.get_execution_data(request)

    @grpc_method
    def GetNodeExecutionData(
        self, request: es.GetNodeExecutionDataRequest
    ) -> es.GetNodeExecutionDataResponse:
        return self._executions.get_node_execution_data(request)

    @grpc_stream_method
    async def WatchExecution(
        self, request: es.WatchExecutionRequest, context: Context
    ) -> AsyncIterator[es.WatchExecutionResponse]:
        with self._watches.held(grpc_client(context.peer())):
            watch = await self.offload(
                functools.partial(
                    self._executions.watch_execution,
                    request,
                    self.offload,
                    cancellation_of(context),
                )
            )
            async for response in watch:
                yield response

    @grpc_method
    def TerminateExecution(
        self, request: es.TerminateExecutionRequest
    ) -> es.TerminateExecutionResponse:
        return self._executions.terminate_execution(request)

    @grpc_method
    def RelaunchExecution(
        self, request: es.RelaunchExecutionRequest
    ) -> es.RelaunchExecutionResponse:
        return self._executions.relaunch_execution(request)

    @grpc_method
    def RecoverExecution(self, request: es.RecoverExecutionRequest) -> es.RecoverExecutionResponse:
        return self._executions.recover_execution(request)
