"""SignalService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.signals import SignalService
from graven.control_plane.transport.grpc_errors import grpc_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import signal_service_pb2 as ss
from graven.v1 import signal_service_pb2_grpc as ss_grpc


class SignalServicer(ss_grpc.SignalServiceServicer):
    service_name = ss.DESCRIPTOR.services_by_name["SignalService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, signals: SignalService) -> None:
        self._signals = signals

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        ss_grpc.add_SignalServiceServicer_to_server(self, server)

    @grpc_method
    def SetSignal(self, request: ss.SetSignalRequest) -> ss.SetSignalResponse:
        return self._signals.set_signal(request)

    @grpc_method
    def GetSignal(self, request: ss.GetSignalRequest) -> ss.GetSignalResponse:
        return self._signals.get_signal(request)

    @grpc_method
    def ListSignals(self, request: ss.ListSignalsRequest) -> ss.ListSignalsResponse:
        return self._signals.list_signals(request)
