"""Authorization by project, domain and role against a real control plane, and the attacks
of issue 12 (a fake agent, cross-project terminate, evict and read, a hijacked "latest"),
each failing with the victim's data unchanged."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from auth_cases import DOMAIN, WAIT, Client, Project, client, create_token, launch, registration
from auth_support import admin_token, remember
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import execution_pb2 as ex
from graven.v1 import execution_service_pb2 as es
from graven.v1 import identifier_pb2 as idl
from graven.v1 import registry_service_pb2 as rs


def refused(call: Callable[..., Any], request: Message) -> grpc.StatusCode:
    """The status of a call that must fail (a stream's, once read)."""
    with pytest.raises(grpc.RpcError) as raised:
        _completed(call(request, timeout=WAIT))
    code: grpc.StatusCode = raised.value.code()
    return code


def _completed(answer: object) -> object:
    return answer if isinstance(answer, Message) else list(answer)  # type: ignore[call-overload]


@pytest.fixture
def plane(tmp_path: Path, database_url: str) -> Iterator[ControlPlane]:
    """A plane of the test's own (no other test's execution waits in its queue), with a
    lease long enough that a claim outlives the test."""
    settings = Settings.for_home(tmp_path / "home", db_url=database_url, grpc_port=0)
    with ControlPlane(dataclasses.replace(settings, lease_seconds=60.0)) as running:
        yield remember(running)


def snapshot(plane: ControlPlane, execution_id: idl.ExecutionIdentifier) -> tuple[object, ...]:
    """What an attack must not change: the execution and its node executions."""
    with client(plane, admin_token(plane)) as admin:
        execution = admin.executions.GetExecution(
            es.GetExecutionRequest(id=execution_id), timeout=WAIT
        ).execution
        nodes = admin.executions.ListNodeExecutions(
            es.ListNodeExecutionsRequest(execution_id=execution_id), timeout=WAIT
        ).node_executions
    return execution.SerializeToString(deterministic=True), [
        n.SerializeToString(deterministic=True) for n in nodes
    ]


def test_a_viewer_of_a_reads_a_cannot_launch_there_and_cannot_see_b(
    control_plane: ControlPlane,
) -> None:
    a, b = Project(control_plane, "a"), Project(control_plane, "b")
    in_a, in_b = a.launch(), b.launch()
    _, secret = create_token(control_plane, "viewer", [(a.name, DOMAIN)])
    with client(control_plane, secret) as viewer:
        got = viewer.executions.GetExecution(es.GetExecutionRequest(id=in_a.id), timeout=WAIT)
        assert got.execution.id == in_a.id
        listed = viewer.executions.ListExecutions(
            es.ListExecutionsRequest(project=a.name, domain=DOMAIN), timeout=WAIT
        )
        assert [e.id for e in listed.executions] == [in_a.id]
        workflow = viewer.registry.GetWorkflow(
            rs.GetWorkflowRequest(id=a.workflow_id()), timeout=WAIT
        )
        assert workflow.workflow.id.version == "v1"

        assert refused(viewer.executions.CreateExecution, _launch_request(a)) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        # B's execution does not exist for this token; B's lists are refused.
        get_b = es.GetExecutionRequest(id=in_b.id)
        assert refused(viewer.executions.GetExecution, get_b) == grpc.StatusCode.NOT_FOUND
        list_b = es.ListExecutionsRequest(project=b.name, domain=DOMAIN)
        assert refused(viewer.executions.ListExecutions, list_b) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        every = es.ListExecutionsRequest()
        assert refused(viewer.executions.ListExecutions, every) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        get_b_workflow = rs.GetWorkflowRequest(id=b.workflow_id())
        assert refused(viewer.registry.GetWorkflow, get_b_workflow) == grpc.StatusCode.NOT_FOUND


def _launch_request(project: Project) -> es.CreateExecutionRequest:
    return es.CreateExecutionRequest(
        project=project.name, domain=DOMAIN, workflow_id=project.workflow_id()
    )


def test_a_launcher_launches_but_cannot_register(control_plane: ControlPlane) -> None:
    a = Project(control_plane, "a")
    _, secret = create_token(control_plane, "launcher", [(a.name, "*")])
    with client(control_plane, secret) as launcher:
        launched = launch(launcher.executions, a.workflow_id())
        assert launched.id.project == a.name
        again = registration(a.name, a.workflow, "v2")
        assert refused(launcher.registry.Register, again) == grpc.StatusCode.PERMISSION_DENIED
        versions = rs.ListVersionsRequest(
            resource_type=idl.RESOURCE_TYPE_WORKFLOW, project=a.name, domain=DOMAIN, name="wf"
        )
        listed = launcher.registry.ListVersions(versions, timeout=WAIT).versions
        assert [v.id.version for v in listed] == ["v1"]


def test_user_tokens_cannot_call_agent_service_and_agent_tokens_nothing_else(
    control_plane: ControlPlane,
) -> None:
    _, agent_secret = create_token(control_plane, "viewer", [("*", "*")], agent=True)
    claim = ag.ClaimExecutionRequest(agent_id="fake", wait_for=Duration())
    with client(control_plane, admin_token(control_plane)) as admin:
        assert refused(admin.agents.ClaimExecution, claim) == grpc.StatusCode.PERMISSION_DENIED
        beat = ag.HeartbeatRequest(agent_id="fake")
        assert refused(admin.agents.Heartbeat, beat) == grpc.StatusCode.PERMISSION_DENIED
    with client(control_plane, agent_secret) as agent:
        listing = es.ListExecutionsRequest(project="p", domain=DOMAIN)
        assert refused(agent.executions.ListExecutions, listing) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        assert agent.agents.Heartbeat(ag.HeartbeatRequest(agent_id="a"), timeout=WAIT)


def test_an_agent_run_with_a_user_token_ends_with_the_refusal(
    control_plane: ControlPlane, ray_address: str
) -> None:
    """`graven agent` with a user token: the refused claim ends it (one error line from the
    CLI), instead of an agent asking again forever."""
    from graven.data_plane.agent import Agent

    runner = Agent(
        control_plane.grpc_address, ray_address, token=admin_token(control_plane), claim_wait=0.1
    )
    ended: list[BaseException] = []

    def run() -> None:
        try:
            runner.run()
        except BaseException as error:
            ended.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if thread.is_alive():
        runner.stop()
        thread.join()
        pytest.fail("the agent kept claiming with a token that may not claim")
    (error,) = ended
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "is for agents" in (error.details() or "")


def test_the_fake_agent_attack_fails_and_the_execution_is_unchanged(
    plane: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    """Another agent token, even one reusing the holder's agent id, can neither report for
    an execution it does not hold nor reserve its cache keys nor keep its lease; the
    refusals are logged, naming the token."""
    caplog.set_level(logging.WARNING, logger="graven.control_plane.service.agents")
    victim = Project(plane, "victim")
    execution = victim.launch()
    _, holder_secret = create_token(plane, "viewer", [("*", "*")], agent=True)
    thief_name, thief_secret = create_token(plane, "viewer", [("*", "*")], agent=True)
    with client(plane, holder_secret) as holder, client(plane, thief_secret) as thief:
        claimed = holder.agents.ClaimExecution(
            ag.ClaimExecutionRequest(agent_id="worker", wait_for=Duration(seconds=5)),
            timeout=WAIT,
        )
        assert claimed.execution.id == execution.id
        running = ex.Event(
            execution=ex.ExecutionEvent(
                id=execution.id, phase=ex.EXECUTION_PHASE_RUNNING, occurred_at=_now()
            )
        )
        holder.agents.ReportEvents(
            ag.ReportEventsRequest(agent_id="worker", events=[running]), timeout=WAIT
        )
        before = snapshot(plane, execution.id)

        forged = ex.Event(
            execution=ex.ExecutionEvent(
                id=execution.id, phase=ex.EXECUTION_PHASE_SUCCEEDED, occurred_at=_now()
            )
        )
        node = ex.Event(
            node=ex.NodeEvent(
                id=idl.NodeExecutionIdentifier(execution_id=execution.id, node_id="n"),
                phase=ex.NODE_PHASE_SUCCEEDED,
                occurred_at=_now(),
            )
        )
        for events in ([forged], [node]):
            report = ag.ReportEventsRequest(agent_id="worker", events=events)
            assert refused(thief.agents.ReportEvents, report) == (
                grpc.StatusCode.FAILED_PRECONDITION
            )
        reserve = ag.ReserveCacheRequest(
            agent_id="worker",
            execution_id=execution.id,
            requests=[ag.CacheRequest(node_id="n", key="sha256:" + "0" * 64)],
        )
        assert refused(thief.agents.ReserveCache, reserve) == grpc.StatusCode.FAILED_PRECONDITION
        logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert len(logged) == 3, logged
        assert all(f"{thief_name}/worker" in message for message in logged)
        beat = thief.agents.Heartbeat(
            ag.HeartbeatRequest(agent_id="worker", execution_ids=[execution.id]), timeout=WAIT
        )
        assert list(beat.lost) == [execution.id]
        # Nor is there anything to claim: the execution stays with its holder.
        stolen = thief.agents.ClaimExecution(
            ag.ClaimExecutionRequest(agent_id="worker", wait_for=Duration()), timeout=WAIT
        )
        assert not stolen.HasField("execution")
        assert snapshot(plane, execution.id) == before
        # The holder still holds it.
        kept = holder.agents.Heartbeat(
            ag.HeartbeatRequest(agent_id="worker", execution_ids=[execution.id]), timeout=WAIT
        )
        assert list(kept.lost) == []


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


def test_cross_project_terminate_evict_and_read_fail(control_plane: ControlPlane) -> None:
    victim, attacker = Project(control_plane, "victim"), Project(control_plane, "attacker")
    execution = victim.launch()
    before = snapshot(control_plane, execution.id)
    _, launcher = create_token(control_plane, "launcher", [(attacker.name, "*")])
    _, admin_of_b = create_token(control_plane, "admin", [(attacker.name, "*")])
    with client(control_plane, launcher) as own, client(control_plane, admin_of_b) as admin:
        _assert_cannot_touch(own, execution.id)
        _assert_cannot_touch(admin, execution.id)
        evict = cs.EvictCacheRequest(project=victim.name, domain=DOMAIN, task_name="wf.t")
        assert refused(admin.cache.EvictCache, evict) == grpc.StatusCode.PERMISSION_DENIED
        evict_all = cs.EvictCacheRequest(task_name="wf.t")
        assert refused(admin.cache.EvictCache, evict_all) == grpc.StatusCode.PERMISSION_DENIED
        # Its own project is its to manage.
        mine = cs.EvictCacheRequest(project=attacker.name, domain=DOMAIN, task_name="wf.t")
        assert admin.cache.EvictCache(mine, timeout=WAIT).evicted == 0
    assert snapshot(control_plane, execution.id) == before


def _assert_cannot_touch(attacker: Client, execution_id: idl.ExecutionIdentifier) -> None:
    hidden = grpc.StatusCode.NOT_FOUND
    calls = [
        (attacker.executions.TerminateExecution, es.TerminateExecutionRequest(id=execution_id)),
        (attacker.executions.RelaunchExecution, es.RelaunchExecutionRequest(id=execution_id)),
        (attacker.executions.RecoverExecution, es.RecoverExecutionRequest(id=execution_id)),
        (attacker.executions.GetExecution, es.GetExecutionRequest(id=execution_id)),
        (attacker.executions.GetExecutionData, es.GetExecutionDataRequest(id=execution_id)),
        (attacker.executions.WatchExecution, es.WatchExecutionRequest(id=execution_id)),
        (
            attacker.executions.ListNodeExecutions,
            es.ListNodeExecutionsRequest(execution_id=execution_id),
        ),
    ]
    for call, request in calls:
        assert refused(call, request) == hidden, call


def test_a_hijacked_latest_fails_and_relaunch_latest_runs_the_projects_own_version(
    control_plane: ControlPlane,
) -> None:
    victim, attacker = Project(control_plane, "victim"), Project(control_plane, "attacker")
    source = victim.launch()
    _, registrar = create_token(control_plane, "registrar", [(attacker.name, "*")])
    with client(control_plane, registrar) as evil:
        hijack = registration(victim.name, victim.workflow, "evil")
        assert refused(evil.registry.Register, hijack) == grpc.StatusCode.PERMISSION_DENIED
        # Nor by the single-entity rpc, nor by a workflow of its own that runs the victim's
        # task (a reference into another project).
        workflow_entry = hijack.entries[1].workflow
        assert refused(evil.registry.CreateWorkflow, workflow_entry) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        borrowed = registration(attacker.name, "borrow", "v1")
        node = borrowed.entries[1].workflow.spec.template.nodes[0]
        node.task_node.task_id.project = victim.name
        assert refused(evil.registry.Register, borrowed) == grpc.StatusCode.PERMISSION_DENIED
    _, launcher = create_token(control_plane, "launcher", [(victim.name, DOMAIN)])
    with client(control_plane, launcher) as owner:
        relaunched = owner.executions.RelaunchExecution(
            es.RelaunchExecutionRequest(id=source.id, latest=True), timeout=WAIT
        ).execution
    assert relaunched.spec.workflow_id.version == "v1"
    assert relaunched.id.project == victim.name


def test_a_tokens_rpc_needs_an_admin_of_every_project(control_plane: ControlPlane) -> None:
    from graven.v1 import token_service_pb2 as tk

    _, project_admin = create_token(control_plane, "admin", [("a-project", "*")])
    with client(control_plane, project_admin) as admin:
        listing = tk.ListTokensRequest()
        assert refused(admin.tokens.ListTokens, listing) == grpc.StatusCode.PERMISSION_DENIED
        escalate = tk.CreateTokenRequest(
            name="escalated",
            role=tk.TOKEN_ROLE_ADMIN,
            scopes=[tk.TokenScope(project="*", domain="*")],
        )
        assert refused(admin.tokens.CreateToken, escalate) == grpc.StatusCode.PERMISSION_DENIED


def test_an_agent_claims_only_executions_of_its_scopes(plane: ControlPlane) -> None:
    other, own = Project(plane, "other"), Project(plane, "own")
    # The other project's execution is older: a claim without scopes would take it first.
    theirs, ours = other.launch(), own.launch()
    _, scoped = create_token(plane, "viewer", [(own.name, "*")], agent=True)
    _, everywhere = create_token(plane, "viewer", [("*", "*")], agent=True)
    claim = ag.ClaimExecutionRequest(agent_id="worker", wait_for=Duration(seconds=2))
    with client(plane, scoped) as agent:
        assert agent.agents.ClaimExecution(claim, timeout=WAIT).execution.id == ours.id
        # Nothing else for it: the other project's execution is not its to run.
        assert not agent.agents.ClaimExecution(claim, timeout=WAIT).HasField("execution")
    with client(plane, everywhere) as agent:
        assert agent.agents.ClaimExecution(claim, timeout=WAIT).execution.id == theirs.id
