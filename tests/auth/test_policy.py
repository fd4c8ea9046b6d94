"""The policy table against the services' descriptors and against the roles the issue
defines: every rpc is listed, and for any token (role, kind, scopes) and any rpc the guard
admits exactly what the roles say."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from graven.control_plane.auth.errors import Hidden, PermissionDenied, Unauthenticated
from graven.control_plane.auth.guard import Guard
from graven.control_plane.auth.places import named_places
from graven.control_plane.auth.policy import POLICY
from graven.control_plane.auth.principals import EVERYWHERE, Kind, Principal, Role, Scope
from graven.control_plane.errors import InvalidArgument
from graven.v1 import identifier_pb2 as idl
from graven.v1 import lineage_pb2, lineage_service_pb2

PROTO_PACKAGE = Path(idl.__file__).parent
SERVICES = sorted(PROTO_PACKAGE.glob("*_service_pb2.py"))

# The roles of issue 12 item 2, written out by rpc (the table under test says the same in
# its own terms): a read is viewer's, running is launcher's, registering registrar's, cache
# eviction and tokens admin's.
VIEWER = {
    "GetTask", "GetWorkflow", "GetLaunchPlan", "ListNames", "ListVersions", "DiffVersions",
    "GetExecution", "ListExecutions", "ListNodeExecutions", "GetExecutionData",
    "GetNodeExecutionData", "WatchExecution", "GetArtifact", "GetLineage", "FindByContent",
    "DiffExecutions", "ReadContent", "ExplainCache", "ListCacheEntries", "GetSignal",
    "ListSignals", "ListActiveLaunchPlans", "ListScheduleTicks",
}  # fmt: skip
VIEWER.add("ListNotificationDeliveries")
LAUNCHER = {
    "CreateExecution", "TerminateExecution", "RelaunchExecution", "RecoverExecution",
    "SetSignal", "UploadContent", "ActivateLaunchPlan", "DeactivateLaunchPlan",
}  # fmt: skip
REGISTRAR = {
    "Register", "CreateTask", "CreateWorkflow", "CreateLaunchPlan", "UploadBundle", "GetBundle",
}  # fmt: skip
ADMIN = {"EvictCache", "CreateToken", "ListTokens", "RevokeToken"}
# Named by content (sha256), not by project: the role in any scope is enough.
CONTENT_ADDRESSED = {
    "GetArtifact", "FindByContent", "UploadContent", "ReadContent", "UploadBundle", "GetBundle",
}  # fmt: skip
# Name one resource of a project: out of scope is NOT_FOUND, existence does not leak.
HIDDEN = VIEWER - CONTENT_ADDRESSED - {
    "ListNames", "ListExecutions", "ListCacheEntries", "ListActiveLaunchPlans",
} | {
    "TerminateExecution", "RelaunchExecution", "RecoverExecution", "SetSignal",
    "ActivateLaunchPlan", "DeactivateLaunchPlan",
}  # fmt: skip
PROJECT, OTHER = "alpha", "beta"


def service_methods() -> dict[str, tuple[str, Descriptor]]:
    """Every rpc of every Graven service: full method name -> (rpc name, input type)."""
    methods = {}
    for path in SERVICES:
        module = importlib.import_module(f"graven.v1.{path.stem}")
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                methods[f"/{service.full_name}/{method.name}"] = (method.name, method.input_type)
    return methods


METHODS = service_methods()


def test_every_rpc_of_every_service_is_in_the_table_and_nothing_else() -> None:
    assert len(SERVICES) == 9, SERVICES
    assert set(POLICY) == set(METHODS)


def test_the_roles_written_out_cover_every_rpc_once() -> None:
    agent = {name for name, _ in METHODS.values() if name not in VIEWER | LAUNCHER}
    agent -= REGISTRAR | ADMIN
    groups = [VIEWER, LAUNCHER, REGISTRAR, ADMIN]
    assert sum(map(len, groups)) == len(set().union(*groups))
    assert {m for m in POLICY if "AgentService" in m} == {
        f"/graven.v1.AgentService/{name}" for name in agent
    }


def request_in(descriptor: Descriptor, project: str) -> Message:
    """A request of this type whose every identifier and project/domain filter names
    ``project``/dev (the last member of a oneof wins, as in any request)."""
    message = _message_class(descriptor)()
    _fill(message, project)
    return message


def _message_class(descriptor: Descriptor) -> Any:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


# Literals and types nest without end and name no project.
UNNAMED = ("graven.v1.Literal", "graven.v1.LiteralType", "graven.v1.LiteralMap")
# Workflows nest too (branches, subworkflows); every identifier is within a few levels.
MAX_DEPTH = 8


def _fill(message: Any, project: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        return
    if message.DESCRIPTOR.full_name in (
        idl.Identifier.DESCRIPTOR.full_name,
        idl.ExecutionIdentifier.DESCRIPTOR.full_name,
    ):
        message.project, message.domain, message.name = project, "dev", "n"
        return
    for field in message.DESCRIPTOR.fields:
        if field.type == FieldDescriptor.TYPE_STRING and field.name in ("project", "domain"):
            if not field.is_repeated:
                setattr(message, field.name, project if field.name == "project" else "dev")
            continue
        kind = field.message_type
        if kind is None or not kind.full_name.startswith("graven.") or kind.full_name in UNNAMED:
            continue
        if not field.is_repeated:
            _fill(getattr(message, field.name), project, depth + 1)
        elif not kind.GetOptions().map_entry:
            _fill(getattr(message, field.name).add(), project, depth + 1)


class NoTokens:
    def principal(self, secret_hash: str) -> Principal | None:
        return None


SCOPES = {
    "exact": (Scope(PROJECT, "dev"),),
    "project": (Scope(PROJECT, "*"),),
    "everywhere": (EVERYWHERE,),
    "other": (Scope(OTHER, "dev"),),
    "other-domain": (Scope(PROJECT, "prod"),),
}


@given(
    method=st.sampled_from(sorted(POLICY)),
    role=st.sampled_from(list(Role)),
    kind=st.sampled_from(list(Kind)),
    scopes=st.sampled_from(sorted(SCOPES)),
)
def test_the_guard_admits_what_the_roles_say(
    method: str, role: Role, kind: Kind, scopes: str
) -> None:
    name, input_type = METHODS[method]
    principal = Principal("someone", kind, role, SCOPES[scopes])
    agent_rpc = "AgentService" in method
    needed = (
        Role.VIEWER
        if name in VIEWER or agent_rpc
        else Role.LAUNCHER
        if name in LAUNCHER
        else Role.REGISTRAR
        if name in REGISTRAR
        else Role.ADMIN
    )
    covered = scopes in ("exact", "project", "everywhere")
    if name in CONTENT_ADDRESSED or agent_rpc:
        covered = True
    if "TokenService" in method:
        covered = scopes == "everywhere"
    request = request_in(input_type, PROJECT)
    if agent_rpc:
        request.agent_id = "worker-1"  # type: ignore[attr-defined]
    guard = Guard(NoTokens())
    expected: type[Exception] | None = None
    if (kind == Kind.AGENT) != agent_rpc or role < needed:
        expected = PermissionDenied
    elif not covered:
        expected = Hidden if name in HIDDEN else PermissionDenied
    if expected is None:
        guard.admit(method, principal, request)
        if agent_rpc:
            assert request.agent_id == "someone/worker-1"  # type: ignore[attr-defined]
    else:
        with pytest.raises(expected):
            guard.admit(method, principal, request)


def test_an_agent_id_cannot_escape_its_token() -> None:
    guard = Guard(NoTokens())
    agent = Principal("pool-a", Kind.AGENT, Role.VIEWER, (EVERYWHERE,))
    request = _message_class(METHODS["/graven.v1.AgentService/Heartbeat"][1])()
    request.agent_id = "pool-b/worker-1"
    guard.admit("/graven.v1.AgentService/Heartbeat", agent, request)
    # Another token's agent id is only a suffix of this token's own namespace.
    assert request.agent_id == "pool-a/pool-b/worker-1"
    for bad in ("", "x" * 250, "bell\a"):
        request.agent_id = bad
        with pytest.raises(InvalidArgument):
            guard.admit("/graven.v1.AgentService/Heartbeat", agent, request)


def test_a_list_without_a_project_needs_every_project() -> None:
    guard = Guard(NoTokens())
    request = _message_class(METHODS["/graven.v1.ExecutionService/ListExecutions"][1])()
    project_wide = Principal("v", Kind.USER, Role.VIEWER, (Scope(PROJECT, "*"),))
    with pytest.raises(PermissionDenied):
        guard.admit("/graven.v1.ExecutionService/ListExecutions", project_wide, request)
    request.project = PROJECT
    guard.admit("/graven.v1.ExecutionService/ListExecutions", project_wide, request)
    everyone = Principal("a", Kind.USER, Role.VIEWER, (EVERYWHERE,))
    guard.admit("/graven.v1.ExecutionService/ListExecutions", everyone, type(request)())


def test_a_registration_naming_another_projects_task_is_refused() -> None:
    guard = Guard(NoTokens())
    registrar = Principal("r", Kind.USER, Role.REGISTRAR, (Scope(PROJECT, "*"),))
    method = "/graven.v1.RegistryService/Register"
    request = request_in(METHODS[method][1], PROJECT)
    guard.admit(method, registrar, request)
    # A workflow of alpha whose node runs a task of beta.
    reference = request.entries[0].workflow.spec.template.nodes.add()  # type: ignore[attr-defined]
    reference.task_node.task_id.CopyFrom(
        idl.Identifier(resource_type=idl.RESOURCE_TYPE_TASK, project=OTHER, domain="dev")
    )
    with pytest.raises(PermissionDenied):
        guard.admit(method, registrar, request)


def test_an_answer_naming_a_project_out_of_scope_is_refused_whole() -> None:
    guard = Guard(NoTokens())
    viewer = Principal("v", Kind.USER, Role.VIEWER, (Scope(PROJECT, "dev"),))
    method = "/graven.v1.LineageService/GetArtifact"
    rule = guard.admit(method, viewer, None)
    mine = lineage_pb2.LineageRecord(
        execution_id=idl.ExecutionIdentifier(project=PROJECT, domain="dev")
    )
    theirs = lineage_pb2.LineageRecord(
        execution_id=idl.ExecutionIdentifier(project=OTHER, domain="dev")
    )
    answer = lineage_service_pb2.GetArtifactResponse()
    answer.artifact.records.append(mine)
    guard.check_answer(method, rule, viewer, answer)
    answer.artifact.records.append(theirs)
    assert sorted(named_places(answer)) == [(PROJECT, "dev"), (OTHER, "dev")]
    with pytest.raises(PermissionDenied):
        guard.check_answer(method, rule, viewer, answer)


class OneToken:
    def __init__(self, principal: Principal) -> None:
        self.lookups = 0
        self.answer: Principal | None = principal

    def principal(self, secret_hash: str) -> Principal | None:
        self.lookups += 1
        return self.answer


def test_authentication_is_cached_briefly_and_forgotten_on_revocation() -> None:
    now = datetime.now(UTC)
    tokens = OneToken(Principal("u", Kind.USER, Role.VIEWER, (EVERYWHERE,), now + timedelta(1)))
    guard = Guard(tokens, clock=lambda: now)
    for _ in range(100):
        guard.authenticate("gvn_secret")
    assert tokens.lookups == 1
    tokens.answer = None
    guard.forget()
    with pytest.raises(Unauthenticated, match="not valid"):
        guard.authenticate("gvn_secret")
    with pytest.raises(Unauthenticated, match="needs a token"):
        guard.authenticate(None)


def test_an_expired_token_is_refused_even_from_the_cache() -> None:
    moments = [datetime.now(UTC)]
    expiry = moments[0] + timedelta(seconds=30)
    tokens = OneToken(Principal("u", Kind.USER, Role.VIEWER, (EVERYWHERE,), expiry))
    guard = Guard(tokens, clock=lambda: moments[0])
    guard.authenticate("gvn_secret")
    moments[0] = expiry
    with pytest.raises(Unauthenticated, match="expired"):
        guard.authenticate("gvn_secret")
