"""SignalService over Connect: each method hands the request to the service layer."""

from __future__ import annotations

from graven.control_plane.service.signals import SignalService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import signal_service_connect as ss_connect
from graven.v1 import signal_service_pb2 as ss


class SignalConnect(ss_connect.SignalService):
    def __init__(self, signals: SignalService, blocking: Blocking) -> None:
        self._signals = signals
        self._blocking = blocking

    async def set_signal(self, request: ss.SetSignalRequest, ctx: Context) -> ss.SetSignalResponse:
        return await self._blocking.call(self._signals.set_signal, request)

    async def get_signal(self, request: ss.GetSignalRequest, ctx: Context) -> ss.GetSignalResponse:
        return await self._blocking.call(self._signals.get_signal, request)

    async def list_signals(
        self, request: ss.ListSignalsRequest, ctx: Context
    ) -> ss.ListSignalsResponse:
        return await self._blocking.call(self._signals.list_signals, request)
