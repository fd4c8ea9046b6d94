"""The Connect applications of the control plane: the same service-layer objects the gRPC
servicers serve, for the browser console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectrpc.server import ConnectASGIApplication

from graven.control_plane.service.cache import CacheService
from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.service.lineage import LineageService
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.service.schedule_service import ScheduleService
from graven.control_plane.service.signals import SignalService
from graven.control_plane.service.tokens import TokenService
from graven.control_plane.transport.connect_auth import ConnectAuth
from graven.control_plane.transport.connect_cache import CacheConnect
from graven.control_plane.transport.connect_calls import Blocking
from graven.control_plane.transport.connect_errors import CODECS
from graven.control_plane.transport.connect_executions import ExecutionConnect
from graven.control_plane.transport.connect_lineage import LineageConnect
from graven.control_plane.transport.connect_registry import RegistryConnect
from graven.control_plane.transport.connect_schedules import ScheduleConnect
from graven.control_plane.transport.connect_signals import SignalConnect
from graven.control_plane.transport.connect_tokens import TokenConnect
from graven.control_plane.transport.http_limits import BoundedGzip
from graven.v1 import cache_service_connect as cs_connect
from graven.v1 import execution_service_connect as es_connect
from graven.v1 import lineage_service_connect as ls_connect
from graven.v1 import registry_service_connect as rs_connect
from graven.v1 import schedule_service_connect as sc_connect
from graven.v1 import signal_service_connect as ss_connect
from graven.v1 import token_service_connect as tk_connect


@dataclass(frozen=True)
class ConnectServices:
    """The service-layer objects served over Connect."""

    registry: RegistryService
    executions: ExecutionService
    lineage: LineageService
    cache: CacheService
    signals: SignalService
    tokens: TokenService
    schedules: ScheduleService


def connect_applications(
    services: ConnectServices, blocking: Blocking, max_message_bytes: int, auth: ConnectAuth
) -> list[ConnectASGIApplication[Any]]:
    # connectrpc's own gzip inflates a whole body before it checks read_max_bytes.
    options: dict[str, Any] = {
        "interceptors": [auth],
        "codecs": CODECS,
        "read_max_bytes": max_message_bytes,
        "compressions": [BoundedGzip(max_message_bytes)],
    }
    return [
        rs_connect.RegistryServiceASGIApplication(
            RegistryConnect(services.registry, blocking), **options
        ),
        es_connect.ExecutionServiceASGIApplication(
            ExecutionConnect(services.executions, blocking), **options
        ),
        ls_connect.LineageServiceASGIApplication(
            LineageConnect(services.lineage, blocking), **options
        ),
        cs_connect.CacheServiceASGIApplication(CacheConnect(services.cache, blocking), **options),
        ss_connect.SignalServiceASGIApplication(
            SignalConnect(services.signals, blocking), **options
        ),
        tk_connect.TokenServiceASGIApplication(TokenConnect(services.tokens, blocking), **options),
        sc_connect.ScheduleServiceASGIApplication(
            ScheduleConnect(services.schedules, blocking), **options
        ),
    ]
