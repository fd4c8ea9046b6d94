"""Nested node executions over a real gRPC server: branch cases, map elements, subworkflow
nodes and the failure node are recorded with their parent, listed depth first (a node before
those nested in it, siblings in template order, elements by index), filtered by parent with
page tokens that survive new elements, refused when the workflow has no such node, handed to
a resuming agent and taken over by a recovery; and the migration that brought them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from execution_support import Harness, Watcher, execution_event, node_event, private_plane
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_support import TOP_LEVEL, Language
from sqlalchemy import insert, inspect

from graven.control_plane.persistence.base import make_engine, make_sessions
from graven.control_plane.persistence.execution_models import ExecutionRow, NodeExecutionRow
from graven.control_plane.persistence.execution_repository import ExecutionKey, ExecutionRepository
from graven.control_plane.persistence.migrate import upgrade
from graven.control_plane.service.node_paths import NodePaths, in_order
from graven.digests import sha256_hex
from graven.literals import int_literal
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import ExecutionIdentifier

SHORT_LEASE = 1.0
# Every node id of one run of the language workflow, in the documented order.
ELEMENTS = [f"n4/{i}" for i in range(12)]
ORDER = [
    "n0",
    "n1",
    "n1/n2",
    "n1/n3",
    "n4",
    *ELEMENTS,
    "n5",
    "n6",
    "n6/n0",
    "n6/n1",
    "n7",
    "n8",
    "on-failure",
]


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


@pytest.fixture
def language(cp: Harness) -> Language:
    return Language(cp)


def running(cp: Harness, language: Language) -> tuple[ExecutionIdentifier, str]:
    """A claimed execution of the language workflow, and the agent holding it."""
    execution = cp.create(language.workflow.id, x=int_literal(1))
    agent = cp.agent()
    assert agent.claim().execution.id == execution.id
    return execution.id, agent.agent_id


def report_all(cp: Harness, agent_id: str, execution_id: ExecutionIdentifier) -> None:
    """Every node of ORDER, reported in a shuffled order: parents after some children."""
    agent = cp.agent(agent_id)
    node_ids = ORDER.copy()
    random.Random(7).shuffle(node_ids)
    events = [
        node_event(
            execution_id,
            node_id,
            pb.NODE_PHASE_SKIPPED if node_id == "n1/n3" else pb.NODE_PHASE_SUCCEEDED,
        )
        for node_id in node_ids
    ]
    agent.report(*events)


def listed(
    cp: Harness, execution_id: ExecutionIdentifier, parent: str | None = None, size: int = 0
) -> list[str]:
    """Every node id ListNodeExecutions gives, page after page."""
    ids: list[str] = []
    token = ""
    while True:
        request = es.ListNodeExecutionsRequest(
            execution_id=execution_id, page_size=size, page_token=token
        )
        if parent is not None:
            request.parent_node_id = parent
        response = cp.executions.ListNodeExecutions(request)
        ids += [n.id.node_id for n in response.node_executions]
        token = response.next_page_token
        if not token:
            return ids


def test_nested_nodes_are_recorded_with_their_parent_and_listed_depth_first(
    cp: Harness, language: Language
) -> None:
    execution_id, agent_id = running(cp, language)
    report_all(cp, agent_id, execution_id)
    nodes = {n.id.node_id: n for n in cp.nodes(execution_id)}
    assert list(nodes) == ORDER
    assert {node_id: n.parent_node_id for node_id, n in nodes.items()} == {
        node_id: node_id.rpartition("/")[0] for node_id in ORDER
    }
    assert nodes["n1/n3"].phase == pb.NODE_PHASE_SKIPPED
    # The template names the task of a case node, a map element and a subworkflow's node.
    for node_id in ("n1/n2", "n4/10", "n6/n1", "on-failure"):
        assert nodes[node_id].task_id == language.inc
    assert not nodes["n4"].HasField("task_id")


def test_the_parent_filter_gives_one_level(cp: Harness, language: Language) -> None:
    execution_id, agent_id = running(cp, language)
    before = listed(cp, execution_id, "")
    # Nothing recorded yet: the top level is the workflow's nodes, queued.
    assert before == list(TOP_LEVEL)
    report_all(cp, agent_id, execution_id)
    assert listed(cp, execution_id, "") == [*TOP_LEVEL, "on-failure"]
    assert listed(cp, execution_id, "n1") == ["n1/n2", "n1/n3"]
    # By index, not as text: n4/2 before n4/10.
    assert listed(cp, execution_id, "n4") == ELEMENTS
    assert listed(cp, execution_id, "n6") == ["n6/n0", "n6/n1"]
    assert listed(cp, execution_id, "n4/3") == []
    assert listed(cp, execution_id) == ORDER


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(size=st.integers(min_value=1, max_value=8), parent=st.sampled_from([None, "", "n4"]))
def test_pages_of_any_size_add_up_to_the_list(
    cp: Harness, language: Language, size: int, parent: str | None
) -> None:
    execution_id, agent_id = running(cp, language)
    report_all(cp, agent_id, execution_id)
    assert listed(cp, execution_id, parent, size) == listed(cp, execution_id, parent)


def test_a_page_token_continues_after_its_node_when_elements_appear(
    cp: Harness, language: Language
) -> None:
    execution_id, agent_id = running(cp, language)
    agent = cp.agent(agent_id)
    agent.report(*(node_event(execution_id, f"n4/{i}", pb.NODE_PHASE_RUNNING) for i in (0, 5)))
    request = es.ListNodeExecutionsRequest(
        execution_id=execution_id, parent_node_id="n4", page_size=1
    )
    first = cp.executions.ListNodeExecutions(request)
    assert [n.id.node_id for n in first.node_executions] == ["n4/0"]
    # Elements start meanwhile, before and after the cursor.
    agent.report(*(node_event(execution_id, f"n4/{i}", pb.NODE_PHASE_RUNNING) for i in (3, 7)))
    request.page_token = first.next_page_token
    request.page_size = 10
    rest = cp.executions.ListNodeExecutions(request)
    assert [n.id.node_id for n in rest.node_executions] == ["n4/3", "n4/5", "n4/7"]
    # A token is tied to its filter.
    other = es.ListNodeExecutionsRequest(
        execution_id=execution_id, parent_node_id="n1", page_token=first.next_page_token
    )
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.ListNodeExecutions(other)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in (caught.value.details() or "")


@pytest.mark.parametrize(
    ("node_id", "parent"),
    [
        ("n0/1", ""),  # a task node has no nested nodes
        ("n4/01", ""),  # one element, one id
        ("n4/x", ""),
        ("n4/1/n0", ""),
        ("n1/n4", ""),  # not a case of n1
        ("n5/n0", ""),  # a launch plan runs as an execution of its own
        ("n6/n7", ""),
        ("n9", ""),
        ("n4/2", "n1"),  # a parent other than the id's
    ],
)
def test_a_node_the_workflow_does_not_have_is_refused(
    cp: Harness, language: Language, node_id: str, parent: str
) -> None:
    execution_id, agent_id = running(cp, language)
    event = node_event(execution_id, node_id, pb.NODE_PHASE_RUNNING, parent_node_id=parent)
    with pytest.raises(grpc.RpcError) as caught:
        cp.agent(agent_id).report(event)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "events" in (caught.value.details() or "")
    # Nothing of the batch is applied, and the server keeps serving.
    assert all(n.phase == pb.NODE_PHASE_QUEUED for n in cp.nodes(execution_id))


def test_an_unknown_parent_filter_is_not_found(cp: Harness, language: Language) -> None:
    execution_id, _ = running(cp, language)
    request = es.ListNodeExecutionsRequest(execution_id=execution_id, parent_node_id="n1/n9")
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.ListNodeExecutions(request)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "n1/n9" in (caught.value.details() or "")


def test_a_resuming_agent_and_node_data_see_nested_nodes(tmp_path: Path, database_url: str) -> None:
    with private_plane(tmp_path, database_url, lease_seconds=SHORT_LEASE) as cp:
        resumed_with_nested_nodes(cp)


def resumed_with_nested_nodes(cp: Harness) -> None:
    execution_id, agent_id = running(cp, Language(cp))
    uri = cp.outputs(execution_id, "n4/3", int_literal(5))
    cp.agent(agent_id).report(
        node_event(execution_id, "n4/3", pb.NODE_PHASE_SUCCEEDED, outputs_uri=uri),
        node_event(execution_id, "n4", pb.NODE_PHASE_RUNNING),
    )
    data = cp.executions.GetNodeExecutionData(
        es.GetNodeExecutionDataRequest(id=node_event(execution_id, "n4/3", 1).node.id)
    )
    assert data.outputs.literals["o"] == int_literal(5)
    # The first agent goes silent; the next claim waits for its lease to run out.
    resumed = cp.agent().claim(wait=10 * SHORT_LEASE)
    assert resumed.execution.id == execution_id
    assert [n.id.node_id for n in resumed.node_executions] == ["n4", "n4/3"]
    assert resumed.node_executions[1].parent_node_id == "n4"


def test_a_watch_streams_nested_nodes(cp: Harness, language: Language) -> None:
    execution_id, agent_id = running(cp, language)
    watcher = Watcher(cp, execution_id)
    first = watcher.next()
    assert [n.id.node_id for n in first.node_executions] == list(TOP_LEVEL)
    cp.agent(agent_id).report(node_event(execution_id, "n6/n1", pb.NODE_PHASE_RUNNING))
    change = watcher.next()
    assert [(n.id.node_id, n.parent_node_id) for n in change.node_executions] == [("n6/n1", "n6")]
    watcher.call.cancel()


def test_a_recovery_takes_over_nested_nodes_that_succeeded(cp: Harness, language: Language) -> None:
    execution_id, agent_id = running(cp, language)
    agent = cp.agent(agent_id)
    child = ExecutionIdentifier(project=cp.project, domain="dev", name="some-child")
    agent.report(
        node_event(execution_id, "n4/0", pb.NODE_PHASE_SUCCEEDED),
        node_event(execution_id, "n4/1", pb.NODE_PHASE_FAILED),
        node_event(execution_id, "n1/n2", pb.NODE_PHASE_SUCCEEDED),
        node_event(execution_id, "n5", pb.NODE_PHASE_SUCCEEDED, child_execution_id=child),
        execution_event(execution_id, pb.EXECUTION_PHASE_FAILED),
    )
    recovered = cp.executions.RecoverExecution(
        es.RecoverExecutionRequest(id=execution_id)
    ).execution
    nodes = {n.id.node_id: n for n in cp.nodes(recovered.id) if n.phase != pb.NODE_PHASE_QUEUED}
    assert list(nodes) == ["n1/n2", "n4/0", "n5"]
    assert all(n.phase == pb.NODE_PHASE_RECOVERED for n in nodes.values())
    assert nodes["n4/0"].parent_node_id == "n4"
    assert nodes["n1/n2"].parent_node_id == "n1"
    assert nodes["n4/0"].source_execution_id == execution_id
    assert nodes["n5"].child_execution_id == child


def test_an_upgrade_from_0003_keeps_nodes_at_the_top_level(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0003")
    executions = ExecutionRow.__table__
    nodes = NodeExecutionRow.__table__
    at = datetime(2024, 1, 1, tzinfo=UTC)
    spec = pb.ExecutionSpec(mode=pb.EXECUTION_MODE_MANUAL)
    with engine.begin() as connection:
        # Written with the 0003 columns only.
        (seq,) = connection.execute(
            insert(executions).returning(executions.c.id),  # type: ignore[arg-type]
            {
                "project": "p", "domain": "d", "name": "old", "workflow_project": "p",
                "workflow_domain": "d", "workflow_name": "wf", "workflow_version": "v1",
                "mode": pb.EXECUTION_MODE_MANUAL, "spec": spec.SerializeToString(),
                "phase": pb.EXECUTION_PHASE_FAILED, "created_at": at, "updated_at": at,
                "outputs_uri": "", "terminate_requested": False, "terminate_reason": "",
                "revision": 2,
            },
        ).one()  # fmt: skip
        connection.execute(
            insert(nodes),  # type: ignore[arg-type]
            {
                "execution_id": seq, "node_id": "n0", "task_project": "p", "task_domain": "d",
                "task_name": "t", "task_version": "v1", "phase": pb.NODE_PHASE_SUCCEEDED,
                "attempt": 1, "cache_status": 0, "cache_key": "", "inputs_uri": "",
                "outputs_uri": "file:///out", "revision": 2,
            },
        )  # fmt: skip
    upgrade(engine)
    repository = ExecutionRepository(make_sessions(engine))
    stored = repository.get(ExecutionKey("p", "d", "old"))
    assert stored is not None
    assert not stored.execution.spec.HasField("parent_node_execution")
    (node,) = repository.nodes(stored, parent="").values()
    assert (node.id.node_id, node.parent_node_id, node.outputs_uri) == ("n0", "", "file:///out")
    assert not node.HasField("child_execution_id")
    assert repository.children(ExecutionKey("p", "d", "old")) == []
    schema = inspect(engine)
    assert schema.get_pk_constraint("signals")["constrained_columns"] == [
        "execution_id",
        "signal_id",
    ]
    assert "ix_node_executions_parent" in {i["name"] for i in schema.get_indexes("node_executions")}
    assert "ix_executions_parent" in {i["name"] for i in schema.get_indexes("executions")}
    engine.dispose()


def test_map_elements_reserve_cache_keys_of_their_own(cp: Harness, language: Language) -> None:
    execution_id, agent_id = running(cp, language)

    def reserve(*node_ids: str) -> list[int]:
        request = ag.ReserveCacheRequest(
            agent_id=agent_id,
            execution_id=execution_id,
            requests=[
                ag.CacheRequest(node_id=node_id, key=sha256_hex(node_id.encode()))
                for node_id in node_ids
            ],
        )
        return [answer.decision for answer in cp.agents.ReserveCache(request).answers]

    assert reserve("n4/0", "n4/1", "n6/n0") == [ag.CACHE_DECISION_RUN] * 3
    with pytest.raises(grpc.RpcError) as caught:
        reserve("n4/0", "n4/one")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith("requests[1].node_id:")


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(ORDER))
def test_the_order_does_not_depend_on_when_nodes_were_recorded(
    language: Language, order: list[str]
) -> None:
    paths = NodePaths(language.workflow)
    nodes = [pb.NodeExecution(id=node_event(ExecutionIdentifier(), n, 1).node.id) for n in order]
    assert [n.id.node_id for n in in_order(paths, nodes)] == ORDER
