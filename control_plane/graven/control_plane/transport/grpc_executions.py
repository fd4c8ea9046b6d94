"""ExecutionService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

from collections.abc import Iterator

import grpc

from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.transport.grpc_cancellation import cancellation_of
from graven.control_plane.transport.grpc_errors import grpc_method, grpc_stream_method
from graven.v1 import execution_service_pb2 as es
from graven.v1 import execution_service_pb2_grpc as es_grpc


class ExecutionServicer(es_grpc.ExecutionServiceServicer):
    service_name = es.DESCRIPTOR.services_by_name["ExecutionService"].full_name

    def __init__(self, executions: ExecutionService) -> None:
        self._executions = executions

    def add_to_server(self, server: grpc.Server) -> None:
        es_grpc.add_ExecutionServiceServicer_to_server(self, server)

    @grpc_method
    def CreateExecution(
        self, request: es.CreateExecutionRequest, context: grpc.ServicerContext
    ) -> es.CreateExecutionResponse:
        return self._executions.create_execution(request)

    @grpc_method
    def GetExecution(
        self, request: es.GetExecutionRequest, context: grpc.ServicerContext
    ) -> es.GetExecutionResponse:
        return self._executions.get_execution(request)

    @grpc_method
    def ListExecutions(
        self, request: es.ListExecutionsRequest, context: grpc.ServicerContext
    ) -> es.ListExecutionsResponse:
        return self._executions.list_executions(request)

    @grpc_method
    def ListNodeExecutions(
        self, request: es.ListNodeExecutionsRequest, context: grpc.ServicerContext
    ) -> es.ListNodeExecutionsResponse:
        return self._executions.list_node_executions(request)

    @grpc_method
    def GetExecutionData(
        self, request: es.GetExecutionDataRequest, context: grpc.ServicerContext
    ) -> es.GetExecutionDataResponse:
        return self._executions.get_execution_data(request)

    @grpc_method
    def GetNodeExecutionData(
        self, request: es.GetNodeExecutionDataRequest, context: grpc.ServicerContext
    ) -> es.GetNodeExecutionDataResponse:
        return self._executions.get_node_execution_data(request)

    @grpc_stream_method
    def WatchExecution(
        self, request: es.WatchExecutionRequest, context: grpc.ServicerContext
    ) -> Iterator[es.WatchExecutionResponse]:
        yield from self._executions.watch_execution(request, cancellation_of(context))

    @grpc_method
    def TerminateExecution(
        self, request: es.TerminateExecutionRequest, context: grpc.ServicerContext
    ) -> es.TerminateExecutionResponse:
        return self._executions.terminate_execution(request)

    @grpc_method
    def RelaunchExecution(
        self, request: es.RelaunchExecutionRequest, context: grpc.ServicerContext
    ) -> es.RelaunchExecutionResponse:
        return self._executions.relaunch_execution(request)

    @grpc_method
    def RecoverExecution(
        self, request: es.RecoverExecutionRequest, context: grpc.ServicerContext
    ) -> es.RecoverExecutionResponse:
        return self._executions.recover_execution(request)
