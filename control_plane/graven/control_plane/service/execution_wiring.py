"""The execution services and what they share, built together for the composition root.

Both services must share one Notifier: a claim waits for the executions that CreateExecution
queues, and a watch for the changes ReportEvents applies.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.execution_repository import ExecutionRepository
from graven.control_plane.service.agents import AgentService, LeaseSettings
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.service.watch import Notifier
from graven.store import ObjectStore


def execution_services(
    sessions: sessionmaker[Session],
    registry: RegistryService,
    store: ObjectStore,
    leases: LeaseSettings,
) -> tuple[ExecutionService, AgentService]:
    repository = ExecutionRepository(sessions)
    workflows = WorkflowVersions(registry)
    notifier = Notifier()
    return (
        ExecutionService(repository, workflows, store, notifier),
        AgentService(repository, workflows, store, notifier, leases),
    )
