"""AgentService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.agents import AgentService
from graven.control_plane.transport.client_limits import ClientLimit, grpc_client
from graven.control_plane.transport.grpc_cancellation import cancellation_of
from graven.control_plane.transport.grpc_errors import Context, grpc_async_method, grpc_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import agent_service_pb2_grpc as ag_grpc


class AgentServicer(ag_grpc.AgentServiceServicer):
    service_name = ag.DESCRIPTOR.services_by_name["AgentService"].full_name
    reserved = True
    offload: Offload

    def __init__(self, agents: AgentService, max_claims_per_client: int) -> None:
        self._agents = agents
        self._claims = ClientLimit(
            max_claims_per_client, "ClaimExecution waits", "max_claims_per_client"
        )

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        ag_grpc.add_AgentServiceServicer_to_server(self, server)

    @grpc_async_method
    async def ClaimExecution(
        self, request: ag.ClaimExecutionRequest, context: Context
    ) -> ag.ClaimExecutionResponse:
        with self._claims.held(grpc_client(context.peer())):
            return await self._agents.claim_execution(
                request, self.offload, cancellation_of(context)
            )

    @grpc_method
    def Heartbeat(self, request: ag.HeartbeatRequest) -> ag.HeartbeatResponse:
        return self._agents.heartbeat(request)

    @grpc_method
    def ReportEvents(self, request: ag.ReportEventsRequest) -> ag.ReportEventsResponse:
        return self._agents.report_events(request)

    @grpc_method
    def ReserveCache(self, request: ag.ReserveCacheRequest) -> ag.ReserveCacheResponse:
        return self._agents.reserve_cache(request)

    @grpc_method
    def WaitSignals(self, request: ag.WaitSignalsRequest) -> ag.WaitSignalsResponse:
        return self._agents.wait_signals(request)

    @grpc_method
    def StartChildExecutions(
        self, request: ag.StartChildExecutionsRequest
    ) -> ag.StartChildExecutionsResponse:
        return self._agents.start_child_executions(request)
