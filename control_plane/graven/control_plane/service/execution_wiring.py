"""The execution services and what they share, built together for the composition root.

The execution services must share one Notifier: a claim waits for the executions that
CreateExecution queues, and a watch for the changes ReportEvents applies. Lineage and the
cache are fed by the same events and launches, and the agents' gates and launch-plan nodes
need signals and child executions, so those are built here too.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.cache_repository import CacheRepository
from graven.control_plane.persistence.execution_repository import ExecutionRepository
from graven.control_plane.persistence.lineage_repository import LineageRepository
from graven.control_plane.persistence.signal_repository import SignalRepository
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.agents import AgentService, LeaseSettings
from graven.control_plane.service.cache import CacheService
from graven.control_plane.service.child_executions import ChildExecutions
from graven.control_plane.service.clock import Clock, utc_now
from graven.control_plane.service.contents import ContentStore
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.service.lineage import LineageService
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.service.signals import SignalService
from graven.control_plane.service.watch import Notifier
from graven.store import ObjectStore


class RequestLimits(NamedTuple):
    max_upload_bytes: int
    max_lineage_steps: int


class ExecutionServices(NamedTuple):
    executions: ExecutionService
    agents: AgentService
    lineage: LineageService
    cache: CacheService
    signals: SignalService


def execution_services(
    sessions: sessionmaker[Session],
    registry: RegistryService,
    store: ObjectStore,
    leases: LeaseSettings,
    limits: RequestLimits,
    clock: Clock = utc_now,
) -> ExecutionServices:
    repository = ExecutionRepository(sessions)
    lineage = LineageRepository(sessions)
    cache = CacheRepository(sessions)
    uploads = UploadRepository(sessions)
    workflows = WorkflowVersions(registry)
    notifier = Notifier()
    executions = ExecutionService(repository, workflows, store, notifier, lineage, uploads, clock)
    signals = SignalService(SignalRepository(sessions), repository, workflows)
    children = ChildExecutions(executions, repository, workflows)
    return ExecutionServices(
        executions=executions,
        agents=AgentService(
            repository, workflows, store, notifier, leases, cache, signals, children
        ),
        lineage=LineageService(
            lineage,
            ContentStore(store, uploads, limits.max_upload_bytes, clock),
            limits.max_lineage_steps,
        ),
        cache=CacheService(cache, executions),
        signals=signals,
    )
