"""The composition root: one database, one object store, the services over them, and the
servers that expose the services."""

from __future__ import annotations

from datetime import timedelta

from graven.control_plane.auth.guard import Guard
from graven.control_plane.auth.home_tokens import HomeTokens, install_home_tokens
from graven.control_plane.config import Settings, prepare_private_state
from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.persistence.notification_repository import NotificationRepository
from graven.control_plane.persistence.registry_repository import RegistryRepository
from graven.control_plane.persistence.token_repository import TokenRepository
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.agents import LeaseSettings
from graven.control_plane.service.bundles import BundleStore
from graven.control_plane.service.clock import Clock, utc_now
from graven.control_plane.service.execution_wiring import RequestLimits, execution_services
from graven.control_plane.service.notification_queries import NotificationQueries
from graven.control_plane.service.notification_senders import EmailSender, Senders, WebhookSender
from graven.control_plane.service.notifications import RetryPolicy
from graven.control_plane.service.notifier import DeliveryLoop
from graven.control_plane.service.periodic import Periodic
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.service.schedule_wiring import schedule_services
from graven.control_plane.service.tokens import TokenService
from graven.control_plane.service.upload_collection import UploadCollector
from graven.control_plane.transport.connect_apps import ConnectServices
from graven.control_plane.transport.grpc_agent import AgentServicer
from graven.control_plane.transport.grpc_auth import AuthInterceptor
from graven.control_plane.transport.grpc_cache import CacheServicer
from graven.control_plane.transport.grpc_executions import ExecutionServicer
from graven.control_plane.transport.grpc_lineage import LineageServicer
from graven.control_plane.transport.grpc_notifications import NotificationServicer
from graven.control_plane.transport.grpc_registry import RegistryServicer
from graven.control_plane.transport.grpc_schedules import ScheduleServicer
from graven.control_plane.transport.grpc_server import GrpcServer, create_server
from graven.control_plane.transport.grpc_signals import SignalServicer
from graven.control_plane.transport.grpc_tokens import TokenServicer
from graven.control_plane.transport.http_server import HttpServer, create_http_server
from graven.control_plane.transport.tls import Tls
from graven.store import open_store

STOP_GRACE_SECONDS = 5.0


class ControlPlane:
    """Builds everything on construction (the schema is migrated then), serves on start().

    ``grpc_port`` and ``http_port`` are the bound ports once started, which is how a port of
    0 (any free port) is found out.
    """

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
        """``clock`` is the time uploads are recorded and collected by (tests move it)."""
        self.settings = settings
        # The home, database and store are private to the user running Graven (0700/0600).
        prepare_private_state(settings)
        self.engine = make_engine(settings.db_url)
        upgrade(self.engine)
        self.store = open_store(settings.store_url)
        sessions = make_sessions(self.engine)
        self.registry = RegistryService(RegistryRepository(sessions), BundleStore(self.store))
        self.executions, self.agents, self.lineage, self.cache, self.signals = execution_services(
            sessions,
            self.registry,
            self.store,
            LeaseSettings(
                lease=timedelta(seconds=settings.lease_seconds),
                max_claim_wait=timedelta(seconds=settings.max_claim_wait_seconds),
            ),
            RequestLimits(settings.max_upload_bytes, settings.max_lineage_steps),
            clock,
        )
        self.uploads = UploadCollector(
            UploadRepository(sessions),
            self.store,
            grace=timedelta(seconds=settings.upload_grace_seconds),
            clock=clock,
        )
        self.schedules, self.scheduler = schedule_services(
            sessions, self.registry, self.executions, clock
        )
        notifications = NotificationRepository(sessions)
        self.notifications = NotificationQueries(notifications)
        timeout = settings.notification_timeout_seconds
        self.deliveries = DeliveryLoop(
            notifications,
            Senders(
                WebhookSender(dict(settings.webhook_secrets), timeout),
                EmailSender(settings.smtp_host, settings.smtp_port, settings.smtp_from, timeout),
            ),
            RetryPolicy(
                max_attempts=settings.notification_max_attempts,
                first_delay=timedelta(seconds=settings.notification_first_retry_seconds),
            ),
            clock,
        )
        # Repeated on threads of their own while the control plane serves.
        self._rounds = (
            Periodic(self.uploads.collect, settings.upload_collection_seconds, "upload-collection"),
            Periodic(self.scheduler.run_once, settings.scheduler_seconds, "scheduler"),
            Periodic(self.deliveries.run_once, settings.notification_poll_seconds, "notifications"),
        )
        tokens = TokenRepository(sessions)
        # Every call but health and reflection is authenticated and authorized by it.
        self.guard = Guard(tokens)
        self.tokens = TokenService(tokens, self.guard.forget)
        self.home_tokens: HomeTokens = install_home_tokens(settings.home, tokens)
        self.tls = Tls.of(settings.tls_cert, settings.tls_key)
        self.grpc_port = settings.grpc_port
        self._grpc: GrpcServer | None = None
        self.http_port = settings.http_port
        self._http: HttpServer | None = None

    @property
    def grpc_address(self) -> str:
        return f"{self.settings.host}:{self.grpc_port}"

    def start(self) -> None:
        if self._grpc is not None:
            raise RuntimeError("the control plane is already started")
        self._grpc = create_server(
            RegistryServicer(self.registry),
            ExecutionServicer(self.executions, self.settings.max_watches_per_client),
            AgentServicer(self.agents, self.settings.max_claims_per_client),
            LineageServicer(self.lineage),
            CacheServicer(self.cache),
            SignalServicer(self.signals),
            TokenServicer(self.tokens),
            ScheduleServicer(self.schedules),
            NotificationServicer(self.notifications),
            address=f"{self.settings.host}:{self.settings.grpc_port}",
            max_message_bytes=self.settings.max_message_bytes,
            workers=self.settings.grpc_workers,
            agent_workers=self.settings.grpc_agent_workers,
            upload_workers=self.settings.grpc_upload_workers,
            interceptors=[AuthInterceptor(self.guard)],
            tls=None if self.tls is None else self.tls.grpc_credentials(),
        )
        self._grpc.start()
        self.grpc_port = self._grpc.port
        for rounds in self._rounds:
            rounds.start()
        if self.settings.http_port is not None:
            self._http = create_http_server(
                ConnectServices(
                    self.registry,
                    self.executions,
                    self.lineage,
                    self.cache,
                    self.signals,
                    self.tokens,
                    self.schedules,
                ),
                guard=self.guard,
                tls=self.tls,
                host=self.settings.host,
                port=self.settings.http_port,
                max_message_bytes=self.settings.max_message_bytes,
                allowed_hosts=self.settings.http_allowed_hosts,
                max_watches_per_client=self.settings.max_watches_per_client,
            )
            self._http.start()
            self.http_port = self._http.port

    def stop(self, grace: float | None = STOP_GRACE_SECONDS) -> None:
        if self._http is not None:
            self._http.stop(grace)
        if self._grpc is not None:
            self._grpc.stop(grace)
        for rounds in self._rounds:
            rounds.stop()
        self.engine.dispose()

    def wait(self) -> None:
        """Block until stop() (from another thread or a signal handler) has finished."""
        if self._grpc is not None:
            self._grpc.wait()

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
