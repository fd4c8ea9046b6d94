"""The policy table: for every rpc of every Graven service, the role it needs, the kind of
token that may call it and where its project and domain are read from the request.

A test asserts the table lists every method of the service descriptors, so a new rpc cannot
be left open (or closed) by accident. Health and reflection are the only exempt services.

Rules for calls that name no project (content addressed by sha256: bundles, uploads, reads
of content, artifacts, lineage from an artifact): the role in any one scope suffices, and
the answers that name records (GetArtifact, GetLineage, FindByContent, DiffExecutions,
ExplainCache) are checked whole: one record of a project the token cannot see refuses the
call, so no answer is ever partial nor names another project. Reading content by its hash
needs the hash, which only such checked answers (or the bytes themselves) give.

Calls that name one resource of a project the token has no scope in answer NOT_FOUND
(``hide``: whether another project's execution exists is not the caller's to learn); calls
that name only a project (lists, launches, registrations) answer PERMISSION_DENIED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graven.control_plane.auth.places import (
    Places,
    at,
    each,
    everywhere,
    filters,
    nowhere,
    walked,
)
from graven.control_plane.auth.principals import Kind, Role

# Served unauthenticated: load balancers and generic tools (grpcurl) use them.
EXEMPT_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


@dataclass(frozen=True)
class Rule:
    role: Role
    places: Places
    kind: Kind = Kind.USER
    hide: bool = False
    # The answer's named records are checked against the token's scopes (see above).
    check_answer: bool = False


def _viewer(places: Places, *, hide: bool = True, check_answer: bool = False) -> Rule:
    return Rule(Role.VIEWER, places, hide=hide, check_answer=check_answer)


def _launcher(places: Places, *, hide: bool = True) -> Rule:
    return Rule(Role.LAUNCHER, places, hide=hide)


def _agent() -> Rule:
    # The lease, not the scope, says which executions an agent may report for.
    return Rule(Role.VIEWER, nowhere, kind=Kind.AGENT)


def _lineage_subject(request: Any) -> list[tuple[str, str]]:
    if request.WhichOneof("subject") == "execution_id":
        return at("execution_id")(request)
    return []


def _launch_target(request: Any) -> list[tuple[str, str]]:
    """Where the execution runs (its project defaults to the workflow's) and where its
    workflow or launch plan is registered."""
    target = request.WhichOneof("target")
    places = at(target)(request) if target else []
    project = request.project or (places[0][0] if places else "")
    domain = request.domain or (places[0][1] if places else "")
    return [(project, domain), *places]


_ID = at("id")
_REGISTRY = "/graven.v1.RegistryService/"
_EXECUTIONS = "/graven.v1.ExecutionService/"
_LINEAGE = "/graven.v1.LineageService/"
_CACHE = "/graven.v1.CacheService/"
_SIGNALS = "/graven.v1.SignalService/"
_AGENTS = "/graven.v1.AgentService/"
_TOKENS = "/graven.v1.TokenService/"
_NOTIFICATIONS = "/graven.v1.NotificationService/"
_SCHEDULES = "/graven.v1.ScheduleService/"

# Keyed by the full method name, as gRPC dispatches it: /graven.v1.Service/Method.
POLICY: dict[str, Rule] = {
    # Registrations are walked: every identifier they name (the entities and the tasks,
    # workflows and launch plans they reference) must be in the token's scopes.
    _REGISTRY + "Register": Rule(Role.REGISTRAR, walked),
    _REGISTRY + "CreateTask": Rule(Role.REGISTRAR, walked),
    _REGISTRY + "CreateWorkflow": Rule(Role.REGISTRAR, walked),
    _REGISTRY + "CreateLaunchPlan": Rule(Role.REGISTRAR, walked),
    _REGISTRY + "GetTask": _viewer(_ID),
    _REGISTRY + "GetWorkflow": _viewer(_ID),
    _REGISTRY + "GetLaunchPlan": _viewer(_ID),
    _REGISTRY + "ListNames": _viewer(filters, hide=False),
    _REGISTRY + "ListVersions": _viewer(filters),
    _REGISTRY + "DiffVersions": _viewer(filters),
    _REGISTRY + "UploadBundle": Rule(Role.REGISTRAR, nowhere),
    _REGISTRY + "GetBundle": Rule(Role.REGISTRAR, nowhere),
    _EXECUTIONS + "CreateExecution": _launcher(_launch_target, hide=False),
    _EXECUTIONS + "GetExecution": _viewer(_ID),
    _EXECUTIONS + "ListExecutions": _viewer(filters, hide=False),
    _EXECUTIONS + "ListNodeExecutions": _viewer(at("execution_id")),
    _EXECUTIONS + "GetExecutionData": _viewer(_ID),
    _EXECUTIONS + "GetNodeExecutionData": _viewer(at("id", "execution_id")),
    _EXECUTIONS + "WatchExecution": _viewer(_ID),
    _EXECUTIONS + "TerminateExecution": _launcher(_ID),
    _EXECUTIONS + "RelaunchExecution": _launcher(_ID),
    _EXECUTIONS + "RecoverExecution": _launcher(_ID),
    _LINEAGE + "GetArtifact": _viewer(nowhere, check_answer=True),
    _LINEAGE + "GetLineage": _viewer(_lineage_subject, check_answer=True),
    _LINEAGE + "FindByContent": _viewer(nowhere, check_answer=True),
    _LINEAGE + "DiffExecutions": _viewer(each(("a",), ("b",)), check_answer=True),
    _LINEAGE + "UploadContent": Rule(Role.LAUNCHER, nowhere),
    _LINEAGE + "ReadContent": _viewer(nowhere),
    _CACHE + "ExplainCache": _viewer(at("node_execution_id", "execution_id"), check_answer=True),
    _CACHE + "ListCacheEntries": _viewer(filters, hide=False),
    _CACHE + "EvictCache": Rule(Role.ADMIN, filters),
    _SIGNALS + "SetSignal": _launcher(at("id", "execution_id")),
    _SIGNALS + "GetSignal": _viewer(at("id", "execution_id")),
    _SIGNALS + "ListSignals": _viewer(at("execution_id")),
    _AGENTS + "ClaimExecution": _agent(),
    _AGENTS + "Heartbeat": _agent(),
    _AGENTS + "ReportEvents": _agent(),
    _AGENTS + "ReserveCache": _agent(),
    _AGENTS + "WaitSignals": _agent(),
    _AGENTS + "StartChildExecutions": _agent(),
    # A token may grant any scope and role, so only an admin of every project makes them.
    _TOKENS + "CreateToken": Rule(Role.ADMIN, everywhere),
    _TOKENS + "ListTokens": Rule(Role.ADMIN, everywhere),
    _TOKENS + "RevokeToken": Rule(Role.ADMIN, everywhere),
    _NOTIFICATIONS + "ListNotificationDeliveries": _viewer(at("execution_id")),
    # Activating makes executions run, so it is a launcher's.
    _SCHEDULES + "ActivateLaunchPlan": _launcher(_ID),
    _SCHEDULES + "DeactivateLaunchPlan": _launcher(_ID),
    _SCHEDULES + "ListActiveLaunchPlans": _viewer(filters, hide=False),
    _SCHEDULES + "ListScheduleTicks": _viewer(_ID),
}


def exempt(method: str) -> bool:
    return method.split("/")[1] in EXEMPT_SERVICES
