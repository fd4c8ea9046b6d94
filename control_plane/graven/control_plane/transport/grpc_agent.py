"""AgentService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.agents import AgentService
from graven.control_plane.transport.grpc_cancellation import cancellation_of
from graven.control_plane.transport.grpc_errors import grpc_method
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import agent_service_pb2_grpc as ag_grpc


class AgentServicer(ag_grpc.AgentServiceServicer):
    service_name = ag.DESCRIPTOR.services_by_name["AgentService"].full_name

    def __init__(self, agents: AgentService) -> None:
        self._agents = agents

    def add_to_server(self, server: grpc.Server) -> None:
        ag_grpc.add_AgentServiceServicer_to_server(self, server)

    @grpc_method
    def ClaimExecution(
        self, request: ag.ClaimExecutionRequest, context: grpc.ServicerContext
    ) -> ag.ClaimExecutionResponse:
        return self._agents.claim_execution(request, cancellation_of(context))

    @grpc_method
    def Heartbeat(
        self, request: ag.HeartbeatRequest, context: grpc.ServicerContext
    ) -> ag.HeartbeatResponse:
        return self._agents.heartbeat(request)

    @grpc_method
    def ReportEvents(
        self, request: ag.ReportEventsRequest, context: grpc.ServicerContext
    ) -> ag.ReportEventsResponse:
        return self._agents.report_events(request)

    @grpc_method
    def ReserveCache(
        self, request: ag.ReserveCacheRequest, context: grpc.ServicerContext
    ) -> ag.ReserveCacheResponse:
        return self._agents.reserve_cache(request)

    @grpc_method
    def WaitSignals(
        self, request: ag.WaitSignalsRequest, context: grpc.ServicerContext
    ) -> ag.WaitSignalsResponse:
        return self._agents.wait_signals(request)

    @grpc_method
    def StartChildExecutions(
        self, request: ag.StartChildExecutionsRequest, context: grpc.ServicerContext
    ) -> ag.StartChildExecutionsResponse:
        return self._agents.start_child_executions(request)
