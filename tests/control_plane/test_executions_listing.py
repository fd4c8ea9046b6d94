"""ListExecutions filters and pages, ListNodeExecutions pages, and the data calls' errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cp_support import DOMAIN
from execution_support import NODES, Harness, private_plane
from google.protobuf.timestamp_pb2 import Timestamp

from graven.literals import int_literal
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier
from graven.v1.literals_pb2 import LiteralMap


@pytest.fixture
def cp(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    with private_plane(tmp_path, database_url) as harness:
        yield harness


def names(response: es.ListExecutionsResponse) -> list[str]:
    return [e.id.name for e in response.executions]


def list_all(cp: Harness, page_size: int, **filters: object) -> list[str]:
    """Every page of a listing, following the tokens."""
    request = es.ListExecutionsRequest(
        project=cp.project,
        domain=DOMAIN,
        page_size=page_size,
        **filters,  # type: ignore[arg-type]
    )
    found: list[str] = []
    while True:
        response = cp.executions.ListExecutions(request)
        assert len(response.executions) <= page_size
        found += names(response)
        if not response.next_page_token:
            return found
        request.page_token = response.next_page_token


def test_executions_are_listed_newest_first_filtered_and_paged(cp: Harness) -> None:
    a1 = cp.register()
    a2 = cp.register(a1.id.name, "v2")
    b1 = cp.register()
    created = [
        cp.create(workflow.id, x=int_literal(i))
        for i, workflow in enumerate([a1, a1, a2, b1, a1, a2, b1])
    ]
    for execution in created[1:3]:
        cp.executions.TerminateExecution(es.TerminateExecutionRequest(id=execution.id))
    newest_first = [e.id.name for e in reversed(created)]

    for page_size in range(1, len(created) + 2):
        assert list_all(cp, page_size) == newest_first

    def only(*picked: pb.Execution) -> list[str]:
        return [name for name in newest_first if name in {e.id.name for e in picked}]

    a_runs = [e for e in created if e.spec.workflow_id.name == a1.id.name]
    assert list_all(cp, 2, workflow_name=a1.id.name) == only(*a_runs)
    assert list_all(cp, 2, workflow_name=a1.id.name, workflow_version="v2") == only(
        created[2], created[5]
    )
    terminated = [pb.EXECUTION_PHASE_TERMINATED]
    assert list_all(cp, 1, phases=terminated) == only(created[1], created[2])
    both = [pb.EXECUTION_PHASE_QUEUED, pb.EXECUTION_PHASE_TERMINATED]
    assert list_all(cp, 3, phases=both) == newest_first
    middle = created[3].closure.created_at
    assert list_all(cp, 2, created_after=middle) == only(*created[3:])
    assert list_all(cp, 2, created_before=middle) == only(*created[:3])
    assert list_all(cp, 2, created_after=middle, phases=terminated) == []

    elsewhere = es.ListExecutionsRequest(project="elsewhere", domain=DOMAIN)
    assert names(cp.executions.ListExecutions(elsewhere)) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"project": ""}, "project"),
        ({"page_size": -1}, "page_size"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"phases": [42]}, "phases[0]"),
        ({"workflow_name": "Not A Name"}, "workflow_name"),
    ],
)
def test_bad_list_requests_name_the_field(
    cp: Harness, fields: dict[str, object], field: str
) -> None:
    request = es.ListExecutionsRequest(project=cp.project, domain=DOMAIN)
    for name, value in fields.items():
        if name == "phases":
            request.phases.extend(value)  # type: ignore[arg-type]
        else:
            setattr(request, name, value)
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.ListExecutions(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(field)


@pytest.mark.parametrize("field", ["created_after", "created_before"])
@pytest.mark.parametrize(
    "moment",
    [Timestamp(seconds=10**13), Timestamp(seconds=-(10**12)), Timestamp(seconds=0, nanos=-1)],
)
def test_time_filters_outside_the_timestamp_range_are_invalid(
    cp: Harness, field: str, moment: Timestamp
) -> None:
    request = es.ListExecutionsRequest(project=cp.project, domain=DOMAIN)
    getattr(request, field).CopyFrom(moment)
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.ListExecutions(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(field)


def test_a_page_token_only_continues_its_own_query(cp: Harness) -> None:
    workflow = cp.register()
    for i in range(3):
        cp.create(workflow.id, x=int_literal(i))
    first = cp.executions.ListExecutions(
        es.ListExecutionsRequest(project=cp.project, domain=DOMAIN, page_size=1)
    )
    assert first.next_page_token
    changed = es.ListExecutionsRequest(
        project=cp.project,
        domain=DOMAIN,
        page_size=1,
        page_token=first.next_page_token,
        phases=[pb.EXECUTION_PHASE_QUEUED],
    )
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.ListExecutions(changed)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "different query" in caught.value.details()


def test_node_executions_page_in_topological_order(cp: Harness) -> None:
    workflow = cp.register()
    execution = cp.create(workflow.id, x=int_literal(1))
    request = es.ListNodeExecutionsRequest(execution_id=execution.id, page_size=1)
    seen = []
    while True:
        response = cp.executions.ListNodeExecutions(request)
        seen += [n.id.node_id for n in response.node_executions]
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    assert seen == list(NODES)

    other = cp.create(workflow.id, x=int_literal(2))
    first = cp.executions.ListNodeExecutions(
        es.ListNodeExecutionsRequest(execution_id=execution.id, page_size=1)
    )
    with pytest.raises(grpc.RpcError) as caught:
        cp.executions.ListNodeExecutions(
            es.ListNodeExecutionsRequest(
                execution_id=other.id, page_size=1, page_token=first.next_page_token
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_data_of_nodes_not_run_is_empty_and_unknown_ones_are_not_found(cp: Harness) -> None:
    execution = cp.create(cp.register().id, x=int_literal(1))
    node = NodeExecutionIdentifier(execution_id=execution.id, node_id="fmt")
    empty = cp.executions.GetNodeExecutionData(es.GetNodeExecutionDataRequest(id=node))
    assert (empty.inputs, empty.outputs) == (LiteralMap(), LiteralMap())
    outputs = cp.executions.GetExecutionData(es.GetExecutionDataRequest(id=execution.id)).outputs
    assert outputs == LiteralMap()

    node.node_id = "nope"
    missing_execution = ExecutionIdentifier(project=cp.project, domain=DOMAIN, name="nope")
    for call in (
        lambda: cp.executions.GetNodeExecutionData(es.GetNodeExecutionDataRequest(id=node)),
        lambda: cp.executions.GetExecutionData(es.GetExecutionDataRequest(id=missing_execution)),
        lambda: cp.executions.ListNodeExecutions(
            es.ListNodeExecutionsRequest(execution_id=missing_execution)
        ),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            call()
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert "nope" in caught.value.details()
