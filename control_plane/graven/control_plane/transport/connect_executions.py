"""ExecutionService over Connect: each method hands the request to the service layer."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import execution_service_connect as es_connect
from graven.v1 import execution_service_pb2 as es


class ExecutionConnect(es_connect.ExecutionService):
    def __init__(self, executions: ExecutionService, blocking: Blocking) -> None:
        self._executions = executions
        self._blocking = blocking

    async def create_execution(
        self, request: es.CreateExecutionRequest, ctx: Context
    ) -> es.CreateExecutionResponse:
        return await self._blocking.call(self._executions.create_execution, request)

    async def get_execution(
        self, request: es.GetExecutionRequest, ctx: Context
    ) -> es.GetExecutionResponse:
        return await self._blocking.call(self._executions.get_execution, request)

    async def list_executions(
        self, request: es.ListExecutionsRequest, ctx: Context
    ) -> es.ListExecutionsResponse:
        return await self._blocking.call(self._executions.list_executions, request)

    async def list_node_executions(
        self, request: es.ListNodeExecutionsRequest, ctx: Context
    ) -> es.ListNodeExecutionsResponse:
        return await self._blocking.call(self._executions.list_node_executions, request)

    async def get_execution_data(
        self, request: es.GetExecutionDataRequest, ctx: Context
    ) -> es.GetExecutionDataResponse:
        return await self._blocking.call(self._executions.get_execution_data, request)

    async def get_node_execution_data(
        self, request: es.GetNodeExecutionDataRequest, ctx: Context
    ) -> es.GetNodeExecutionDataResponse:
        return await self._blocking.call(self._executions.get_node_execution_data, request)

    def watch_execution(
        self, request: es.WatchExecutionRequest, ctx: Context
    ) -> AsyncIterator[es.WatchExecutionResponse]:
        return self._blocking.watch(
            lambda cancellation: self._executions.watch_execution(
                request, self._blocking.offload, cancellation
            ),
            "ExecutionService.WatchExecution",
            ctx.client_address(),
        )

    async def terminate_execution(
        self, request: es.TerminateExecutionRequest, ctx: Context
    ) -> es.TerminateExecutionResponse:
        return await self._blocking.call(self._executions.terminate_execution, request)

    async def relaunch_execution(
        self, request: es.RelaunchExecutionRequest, ctx: Context
    ) -> es.RelaunchExecutionResponse:
        return await self._blocking.call(self._executions.relaunch_execution, request)

    async def recover_execution(
        self, request: es.RecoverExecutionRequest, ctx: Context
    ) -> es.RecoverExecutionResponse:
        return await self._blocking.call(self._executions.recover_execution, request)
